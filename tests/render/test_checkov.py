"""checkov's curated Kubernetes checks on everything `aiinfra render` writes, custom resources
included (as the Pods they create, since checkov skips custom resources)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from checkov_policy import ALLOWED, CHECKS, NOT_CHECKED

from aiinfra.manifests.templates import pod_templates

ROOT = Path(__file__).resolve().parents[2]


def checkov_binary() -> str | None:
    """checkov pins packaging<24 and cannot share an environment with pulumi: scripts/setup installs it
    into .venv-checkov (or set CHECKOV, or put it on PATH)."""
    local = ROOT / ".venv-checkov" / "bin" / "checkov"
    return os.environ.get("CHECKOV") or shutil.which("checkov") or (str(local) if local.exists() else None)


pytestmark = pytest.mark.skipif(checkov_binary() is None, reason="checkov not installed (scripts/setup puts it in .venv-checkov; or set CHECKOV)")

FABRIC_OF_POOL = {"train": "efa", "mega": "tcpxo", "ultra": "rdma", "nd": "infiniband", "mi": "infiniband"}

BAD_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "control", "namespace": "default"},
    "spec": {"containers": [{"name": "c", "image": "busybox:latest", "securityContext": {"privileged": True}}]},
}


def scanned_files(rendered: dict[str, list[dict]], root: Path) -> dict[str, set[str]]:
    """Write every scanned object to its own file; return file name -> the exception sets it may use."""
    allowed: dict[str, set[str]] = {}
    for scenario, manifests in rendered.items():
        for m in manifests:
            objs = [(m["metadata"]["name"], m, m["kind"])] if m["apiVersion"] in ("v1", "apps/v1") else []
            objs += [(n, p, m["kind"]) for n, p in pod_templates(m) if m["kind"] not in ("Deployment",)]
            for name, obj, origin in objs:
                fname = f"{scenario}--{obj['kind'].lower()}--{name}.yaml"
                (root / fname).write_text(yaml.safe_dump(obj, sort_keys=False))
                sets: set[str] = set()
                if obj["kind"] == "Pod":
                    if origin != "LeaderWorkerSet":  # a multi-node server's pods serve: probed, no batch exceptions
                        sets.add("batch")
                    pool = obj["spec"].get("nodeSelector", {}).get("aiinfra.dev/pool")  # Ray pods go to any untainted node
                    if pool in FABRIC_OF_POOL:
                        sets.add(FABRIC_OF_POOL[pool])
                    if origin == "TrainJob":
                        sets.add("trainjob")
                allowed[fname] = sets
    (root / "control--pod.yaml").write_text(yaml.safe_dump(BAD_POD))
    return allowed


@pytest.fixture(scope="module")
def scan(rendered, tmp_path_factory):
    root = tmp_path_factory.mktemp("checkov")
    allowed = scanned_files(rendered, root)
    cmd = [
        checkov_binary(), "-d", str(root), "--framework", "kubernetes", "--check", ",".join(CHECKS),
        "--skip-download", "--quiet", "--compact", "-o", "json",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    report = report[0] if isinstance(report, list) else report
    failed: dict[str, set[str]] = {}
    for f in report["results"]["failed_checks"]:
        failed.setdefault(Path(f["file_path"]).name, set()).add(f["check_id"])
    return allowed, failed, report["summary"]


def test_checks_and_skips_are_disjoint_and_exceptions_are_in_the_set():
    assert not set(CHECKS) & set(NOT_CHECKED)
    for name, rules in ALLOWED.items():
        assert set(rules) <= set(CHECKS), name


def test_rendered_manifests_fail_only_their_documented_exceptions(scan):
    allowed, failed, summary = scan
    assert summary["passed"] > 300 and summary["parsing_errors"] == 0
    for fname, checks in failed.items():
        if fname.startswith("control--"):
            continue
        permitted = set().union(*(set(ALLOWED.get(s, {})) for s in allowed[fname])) if allowed[fname] else set()
        assert checks <= permitted, f"{fname}: {sorted(checks - permitted)} fail without a documented exception"


def test_serving_and_plain_pods_pass_every_check(scan):
    allowed, failed, _ = scan
    clean = [f for f in allowed if "--deployment--" in f or "--serviceaccount--" in f or f.startswith("ethernet--") and "--pod--" not in f]
    assert clean
    for f in clean:
        assert f not in failed, (f, failed.get(f))


def test_the_pods_of_a_multi_node_server_pass_the_probe_checks(scan):
    """The LeaderWorkerSet's leader and worker pods are scanned as serving pods, without the batch exceptions."""
    allowed, failed, _ = scan
    group = [f for f in allowed if "--pod--" in f and f.endswith(("-serve-leader.yaml", "-serve-worker.yaml"))]
    assert len(group) >= 8 and all("batch" not in allowed[f] for f in group)
    assert not [(f, failed[f] & {"CKV_K8S_8", "CKV_K8S_9"}) for f in group if failed.get(f, set()) & {"CKV_K8S_8", "CKV_K8S_9"}]


def test_every_fabric_exception_is_still_needed(scan):
    """A stale exception hides a regression later: each fabric's exceptions must be exercised."""
    allowed, failed, _ = scan
    for fabric in ("rdma", "infiniband", "tcpxo"):
        hit = set().union(*[failed.get(f, set()) for f, sets in allowed.items() if fabric in sets])
        assert set(ALLOWED[fabric]) <= hit, f"{fabric}: unused exceptions {sorted(set(ALLOWED[fabric]) - hit)}"


def test_checkov_catches_a_bad_pod(scan):
    _, failed, _ = scan
    assert {"CKV_K8S_14", "CKV_K8S_16", "CKV_K8S_21", "CKV_K8S_13", "CKV_K8S_31"} <= failed["control--pod.yaml"]
