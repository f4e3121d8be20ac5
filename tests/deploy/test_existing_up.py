"""`aiinfra up` and `down` of a `cloud: existing` environment end to end: the real CLI, the Automation API and the
stand-in Pulumi CLI (tests/deploy/fake_pulumi.py), the live drift check against a local server answering like a
Kubernetes API server with the example's own snapshot (tests/components/existing/kube_server.py, the real
`kubernetes` client). Nothing cloud-side is created, the Kubernetes provider gets the spec's context and the
kubeconfig's path (never its contents), what the snapshot shows installed is not installed again, a drift refuses
before Pulumi runs, and `down` deletes only what `up` created."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("kubernetes")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "components" / "existing"))

from kube_server import KubeServer  # noqa: E402

from aiinfra.cli.main import app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ONPREM = ROOT / "stacks" / "existing-onprem-h100.yaml"
COREWEAVE = ROOT / "stacks" / "existing-coreweave.yaml"
# Each example: its stack, context, kubeconfig (as the spec writes it, under HOME), snapshot, what the snapshot
# shows installed (so not installed again) and what the platform still installs there.
CASES = {
    "onprem": (ONPREM, "dgx-lab", "dgx-lab-admin", ".kube/config", "existing-onprem-h100.json", "kube-prometheus-stack", "gpu-operator"),
    "coreweave": (COREWEAVE, "cw-train", "cw-prod", ".kube/cw-prod.yaml", "existing-coreweave.json", "gpu-operator", "kube-prometheus-stack"),
}
TOKEN = "e2e-bearer-token-never-in-state"  # the kubeconfig's credential: must appear in no state, config or output
CLOUD_PACKAGES = ("aws:", "gcp:", "azure-native:", "azure:", "pulumi:providers:aws", "pulumi:providers:gcp", "pulumi:providers:azure")


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "300"})


def snapshot_nodes(name: str) -> list[dict]:
    return json.loads((ROOT / "stacks" / "snapshots" / name).read_text())["items"]


def write_kubeconfig(server: KubeServer, path: Path, context: str) -> Path:
    """The server's kubeconfig with a credential whose text must never leave the file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    server.kubeconfig(path, context)
    data = json.loads(path.read_text())
    data["users"][0]["user"]["token"] = TOKEN
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def kubectl(fake_pulumi, clean_env) -> Path:
    """`up`'s credential check asks `kubectl auth whoami` (components/existing/facts.py); this one records the call."""
    tool = clean_env / "bin" / "kubectl"
    tool.write_text(f"#!/bin/sh\necho \"kubectl $* KUBECONFIG=$KUBECONFIG\" >> {fake_pulumi.home}/cloud-cli.txt\nexit 0\n")
    tool.chmod(0o755)
    return fake_pulumi.home / "cloud-cli.txt"


@pytest.fixture(params=sorted(CASES))
def case(request, fake_pulumi, clean_env, kubectl, as_state):
    """A cluster answering with the example's snapshot, its kubeconfig where the spec looks (HOME is the test's),
    and the stand-in Pulumi CLI primed with the resources the real program previews for it."""
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load

    spec, stack, context, kubeconfig, snapshot, preinstalled, installed = CASES[request.param]
    server = KubeServer(nodes=snapshot_nodes(snapshot)).__enter__()
    request.addfinalizer(lambda: server.__exit__(None, None, None))
    path = write_kubeconfig(server, clean_env / "home" / kubeconfig, context)
    preview = build(load(spec))
    resources = as_state(preview)
    fake_pulumi.scenario(resources=resources, outputs={k: v for k, v in preview["outputs"].items() if k != "kubeconfig"} | {"kubeconfig": str(path)},
                         secret_outputs=["kubeconfig"])
    return {"name": request.param, "spec": spec, "stack": stack, "context": context, "kubeconfig": path, "written": kubeconfig, "server": server, "preview": preview,
            "resources": resources, "preinstalled": preinstalled, "installed": installed, "snapshot": snapshot}


def deployed(fake_pulumi, stack: str) -> list[dict]:
    return [r for r in fake_pulumi.stacks()[stack]["deployment"]["resources"] if r["custom"]]


def program_resources(env) -> list:
    """What the inline program `pulumi up` ran (aiinfra.deploy.stack.program) registers, under the engine's mocks."""
    from aiinfra.deploy.stack import program
    from aiinfra.program import engine, mock_settings, offered_zones

    mocks = engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, offered_zones(env), mock_settings(env))
    return engine.run(program(env), mocks, stack=env.spec.name).resources


def test_up_on_an_existing_cluster_creates_only_kubernetes_objects_through_its_context(case, fake_pulumi, clean_env, kubectl, envs):
    result = invoke("up", case["spec"], "--yes")
    assert result.exit_code == 0, result.output
    # The program `pulumi up` was given registers what the preview shows (the stand-in CLI deploys the preview's state).
    (env,) = envs
    assert {r.urn for r in program_resources(env)} == {r["urn"] for r in case["preview"]["resources"]}
    assert f"✓ {case['stack']} is up" in result.output
    # The live drift check read the nodes, and nothing else, before deploying (components/existing/drift.py).
    assert case["server"].requests and all(r.startswith("GET /api/v1/nodes") for r in case["server"].requests)
    (up,) = fake_pulumi.ran("up")
    assert up[up.index("--exec-kind") + 1] == "auto.inline"
    # No cloud resource at all: Kubernetes objects and the Kubernetes provider only.
    custom = deployed(fake_pulumi, case["stack"])
    assert custom and not [r["type"] for r in custom if r["type"].startswith(CLOUD_PACKAGES)]
    assert {r["type"].split(":")[0] for r in custom} == {"kubernetes", "pulumi"}
    assert {r["type"] for r in custom if r["type"].startswith("pulumi:")} == {"pulumi:providers:kubernetes"}
    # Every provider is on the spec's context with the kubeconfig's path as written (the provider expands ~/ itself,
    # so the state is the same from every machine); every object goes through one of them.
    providers = [r for r in case["preview"]["resources"] if r["type"] == "pulumi:providers:kubernetes"]
    assert providers and all(p["inputs"]["context"] == case["context"] and p["inputs"]["kubeconfig"] == f"~/{case['written']}" for p in providers)
    urns = {p["urn"] for p in providers}
    objects = [r for r in case["preview"]["resources"] if r["custom"] and r["type"].startswith("kubernetes:")]
    assert objects and all((r["options"]["provider"] or "").rsplit("::", 1)[0] in urns for r in objects)
    # The kubeconfig's contents reach neither the program, the state, the stack config, the Pulumi CLI nor the output.
    workspace = clean_env / "data" / "workspaces" / case["stack"]
    texts = {
        "preview": json.dumps(case["preview"]), "state": (fake_pulumi.home / "stacks.json").read_text(),
        "pulumi calls": (fake_pulumi.home / "calls.jsonl").read_text(), "output": result.output,
        **{f"workspace {p.name}": p.read_text() for p in workspace.iterdir() if p.is_file()},
    }
    server_url = case["server"].url
    assert not [k for k, t in texts.items() if TOKEN in t or server_url in t], "the kubeconfig's contents leaked"
    assert not [k for k in fake_pulumi.stacks()[case["stack"]]["config"] if "kubeconfig" in k.lower()]
    # The credential check asked kubectl, which found the spec's kubeconfig.
    assert "kubectl auth whoami" in kubectl.read_text()


def test_the_platform_skips_what_the_snapshot_shows_installed(case):
    releases = case["preview"]["outputs"]["platform"]["releases"]
    charts = {r["name"].removeprefix(f"{case['stack']}-") for r in case["preview"]["resources"] if r["type"] == "kubernetes:helm.sh/v4:Chart"}
    assert case["preinstalled"] not in releases and case["preinstalled"] not in charts
    assert case["installed"] in releases and case["installed"] in charts  # the same chart is installed where the cluster lacks it
    assert f"already on the cluster, not installed again: {case['preinstalled']}" in case["preview"]["outputs"]["platform"]["notes"]


def test_a_node_gone_refuses_up_before_pulumi_runs_and_offline_deploys_the_snapshot(case, fake_pulumi, clean_env):
    pool = case["preview"]["outputs"]["nodes"]["train"]
    gone = pool[-1]
    with KubeServer(nodes=[n for n in snapshot_nodes(case["snapshot"]) if n["metadata"]["name"] != gone]) as server:
        write_kubeconfig(server, case["kubeconfig"], case["context"])
        result = invoke("up", case["spec"], "--yes")
        assert result.exit_code == 2, result.output
        assert f"node {gone} (pool train) is gone" in " ".join(result.output.split())
        assert fake_pulumi.calls() == []  # not even `pulumi version`
        assert not (clean_env / "data" / "state").exists() and not (clean_env / "data" / "workspaces").exists()
        assert all(r.startswith("GET /api/v1/nodes") for r in server.requests)

        offline = invoke("up", case["spec"], "--yes", "--offline")
        assert offline.exit_code == 0, offline.output
        assert not [r for r in server.requests if "continue" not in r][1:], "--offline must not read the cluster again"
        assert len(fake_pulumi.ran("up")) == 1


def test_down_deletes_only_what_up_created_and_keeps_the_object_store(case, fake_pulumi):
    assert invoke("up", case["spec"], "--yes").exit_code == 0
    created = {r["urn"] for r in fake_pulumi.stacks()[case["stack"]]["deployment"]["resources"]}
    result = invoke("down", case["spec"], "--yes")
    assert result.exit_code == 0, result.output
    assert f"✓ {case['stack']} is down" in result.output
    deleted = set(fake_pulumi.deleted_in_cloud())
    assert deleted == created  # everything up created, nothing else: no node, no release the cluster had
    assert not [u for u in deleted if case["preinstalled"] in u or ":core/v1:Node:" in u]
    assert deployed(fake_pulumi, case["stack"]) == []
    # The buckets live in the cluster's own object store: never in the state, so never deleted.
    assert not [u for u in deleted if "checkpoints" in u]
    assert case["preview"]["outputs"]["object_store"].startswith("https://")


def test_down_of_a_pool_labelled_by_aiinfra_removes_its_labels_only(fake_pulumi, clean_env, kubectl, as_state):
    """Two of four identical nodes (tests/fixtures/specs/existing.ok.no-exact-label.yaml): no label of theirs selects
    exactly those, so aiinfra labels them (a NodePatch each, metadata.labels only); `down` deletes those patches,
    which removes the labels, and never a node."""
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load

    spec = clean_env / "half.yaml"
    spec.write_text(f"name: half-cw\ncloud: existing\nregion: cw-prod\nexisting: {{kubeconfig: kc, snapshot: {ROOT / 'stacks' / 'snapshots' / 'existing-coreweave.json'}}}\n"
                    "node_pools:\n  - {name: train, gpu: 'H100:8', nodes: 2}\n")
    with KubeServer(nodes=snapshot_nodes("existing-coreweave.json")) as server:
        write_kubeconfig(server, clean_env / "kc", "cw-prod")
        preview = build(load(spec))
        patches = [r for r in preview["resources"] if r["type"] == "kubernetes:core/v1:NodePatch"]
        assert len(patches) == 2 and all(set(r["inputs"]) == {"apiVersion", "kind", "metadata"} and set(r["inputs"]["metadata"]) == {"name", "labels"} for r in patches)
        providers = [r["inputs"] for r in preview["resources"] if r["type"] == "pulumi:providers:kubernetes"]
        assert len(providers) == 2 and all((p["context"], p["kubeconfig"]) == ("cw-prod", str(clean_env / "kc")) for p in providers)
        fake_pulumi.scenario(resources=as_state(preview), outputs={}, secret_outputs=[])
        up = invoke("up", spec, "--yes")
        assert up.exit_code == 0, up.output
        result = invoke("down", spec, "--yes")
    assert result.exit_code == 0, result.output
    deleted = set(fake_pulumi.deleted_in_cloud())
    assert {r["urn"] for r in patches} <= deleted and not [u for u in deleted if ":core/v1:Node:" in u]
    assert "kubectl auth whoami --kubeconfig " + str(clean_env / "kc") + " --context cw-prod" in kubectl.read_text()


def test_a_kubeconfig_in_home_turns_the_preview_live_and_none_keeps_it_on_the_snapshot(clean_env):
    """HOME decides where ~/.kube/config is (tests/conftest.py points it away from the developer's own)."""
    nodes = snapshot_nodes("existing-onprem-h100.json")
    result = invoke("preview", "--json", ONPREM)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["live"] == "~/.kube/config is not here, so the preview reads snapshots/existing-onprem-h100.json only, not the cluster"
    with KubeServer(nodes=copy.deepcopy(nodes)) as server:
        write_kubeconfig(server, clean_env / "home" / ".kube" / "config", "dgx-lab-admin")
        result = invoke("preview", "--json", ONPREM)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["live"] == "live: the 4 nodes the pools take on dgx-lab-admin match snapshots/existing-onprem-h100.json"


def test_up_without_the_specs_kubeconfig_stops_at_the_credential_check(fake_pulumi, clean_env, kubectl):
    """A kubeconfig elsewhere ($KUBECONFIG, ~/.kube/config) is not the one the spec names (~/.kube/cw-prod.yaml)."""
    other = clean_env / "home" / ".kube" / "config"
    other.parent.mkdir(parents=True)
    other.write_text("apiVersion: v1\nkind: Config\ncontexts: [{name: cw-prod, context: {}}]\n")
    result = invoke("up", COREWEAVE, "--yes")
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert "no existing credentials found" in flat and "set existing.kubeconfig: to the kubeconfig's path" in flat
    assert fake_pulumi.commands() == [["version"]] and not kubectl.exists()
