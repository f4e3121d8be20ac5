"""A live preview (and up) on an existing cluster reads the nodes again with discovery's read-only calls, through the
real `kubernetes` client against a local server answering like a Kubernetes API server (recorded responses), and
refuses (exit 2) on drift from the snapshot, listing each change and how to record the cluster again; --offline or
a kubeconfig that is not there keep the snapshot-only preview and say so."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("kubernetes")
sys.path.insert(0, str(Path(__file__).parent))

from kube_server import FIXTURES, KubeServer  # noqa: E402

from aiinfra.cli.main import app  # noqa: E402
from aiinfra.components.existing.discover import discover, write  # noqa: E402


def recorded() -> list[dict]:
    return [n for page in ("nodes-1.json", "nodes-2.json") for n in json.loads((FIXTURES / page).read_text())["items"]]


def environment(tmp_path: Path) -> Path:
    """A spec whose snapshot discover wrote from the recorded cluster, its kubeconfig beside it (relative to the spec)."""
    with KubeServer() as server:
        write(discover(str(server.kubeconfig(tmp_path / "kc")), "cw-prod"), tmp_path / "snap.json")
    path = tmp_path / "s.yaml"
    path.write_text("name: drift\ncloud: existing\nregion: cw-prod\nexisting: {kubeconfig: kc, snapshot: snap.json}\n"
                    "node_pools:\n  - {name: train, gpu: 'H100:8', nodes: 4}\n")
    return path


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})


def test_an_unchanged_cluster_previews_and_is_only_read(tmp_path):
    spec = environment(tmp_path)
    with KubeServer(nodes=recorded()) as server:
        server.kubeconfig(tmp_path / "kc")
        result = invoke("preview", "--json", str(spec))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["live"] == "live: the 6 nodes the pools take on cw-prod match snap.json"
        assert server.requests and all(r.startswith("GET /api/v1/nodes") for r in server.requests)  # list nodes, nothing else


def drifted() -> list[dict]:
    nodes = {n["metadata"]["name"]: n for n in copy.deepcopy(recorded())}
    del nodes["g004-h100"]
    nodes["g001-h100"]["metadata"]["labels"]["ib.coreweave.cloud/fabric"] = "ib-b"
    nodes["g001-h100"]["metadata"]["labels"]["nvidia.com/gfd.timestamp"] = "1765000000"  # volatile: not drift
    nodes["g002-h100"]["status"]["allocatable"]["memory"] = "1800Gi"
    nodes["g003-h100"]["spec"]["taints"].append({"key": "maintenance", "value": "true", "effect": "NoSchedule"})
    new = copy.deepcopy(nodes["g002-h100"])
    new["metadata"]["name"] = new["metadata"]["labels"]["kubernetes.io/hostname"] = "g005-h100"
    return [*nodes.values(), new]


def test_drift_refuses_with_each_change_and_the_fix(tmp_path):
    spec = environment(tmp_path)
    with KubeServer(nodes=drifted()) as server:
        server.kubeconfig(tmp_path / "kc")
        result = invoke("preview", "--json", str(spec))
        assert result.exit_code == 2, result.output
        problems = json.loads(result.stdout)["problems"]
        assert [p["message"].split("discovered: ")[1] for p in problems] == [
            "node g001-h100 (pool train): label ib.coreweave.cloud/fabric ib-a -> ib-b",
            "node g002-h100 (pool train): allocatable 126 CPU, 1900.0 GiB, 8 × H100 -> 126 CPU, 1800.0 GiB, 8 × H100",
            "node g003-h100 (pool train): new taint maintenance=true:NoSchedule",
            "node g004-h100 (pool train) is gone",
            "g005-h100 also carries gpu.nvidia.com/class=H100_NVLINK_80GB, which pool train's pods select",
        ]
        assert all(p["path"] == "existing.snapshot" for p in problems)
        assert problems[0]["hint"].startswith(f"record the cluster again: aiinfra discover --context cw-prod --kubeconfig {tmp_path / 'kc'} -o {tmp_path / 'snap.json'}")
        text = invoke("up", str(spec), "--yes")  # up refuses the same way, before it needs the Pulumi CLI
        assert text.exit_code == 2 and "node g004-h100 (pool train) is gone" in " ".join(text.output.split()), text.output
        assert "Nothing was created" in text.output


def test_offline_and_a_missing_kubeconfig_preview_the_snapshot_and_say_so(tmp_path):
    spec = environment(tmp_path)
    with KubeServer(nodes=drifted()) as server:
        server.kubeconfig(tmp_path / "kc")
        result = invoke("preview", "--json", "--offline", str(spec))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["live"] == "--offline: the preview reads snap.json only, not the cluster"
        assert server.requests == []
    (tmp_path / "kc").unlink()
    result = invoke("preview", str(spec))
    assert result.exit_code == 0, result.output
    assert "note: kc is not here, so the preview reads snap.json only, not the cluster" in " ".join(result.output.split())


def test_an_unreachable_cluster_previews_the_snapshot_and_says_why(tmp_path):
    spec = environment(tmp_path)
    with KubeServer(status=403) as server:
        server.kubeconfig(tmp_path / "kc")
        result = invoke("preview", "--json", str(spec))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["live"] == "the API server of 'cw-prod' answered HTTP 403 Forbidden, so the preview reads snap.json only"


def test_no_test_reads_the_developers_kubeconfig():
    """tests/conftest.py points HOME at a copy of the real home without .kube and drops $KUBECONFIG, so the examples,
    which name ~/.kube/..., preview from their snapshots on every machine; the rest of the home is still there."""
    import os

    real, home = Path(os.environ["AIINFRA_TEST_REAL_HOME"]), Path(os.path.expanduser("~"))  # the HOME the session started with
    assert "KUBECONFIG" not in os.environ and home != real and not os.path.lexists(home / ".kube")
    if real.is_dir() and real != real.parent:
        assert all(os.path.lexists(home / e.name) for e in real.iterdir() if e.name != ".kube")
    root = Path(__file__).resolve().parents[3]
    for spec, kubeconfig, snapshot in (("existing-onprem-h100", "~/.kube/config", "existing-onprem-h100"), ("existing-coreweave", "~/.kube/cw-prod.yaml", "existing-coreweave")):
        result = invoke("preview", "--json", str(root / "stacks" / f"{spec}.yaml"))
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["live"] == f"{kubeconfig} is not here, so the preview reads snapshots/{snapshot}.json only, not the cluster"
