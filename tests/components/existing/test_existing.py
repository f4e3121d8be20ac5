"""cloud: existing: the snapshot read as the catalog (accelerator discovery per family, as data), pools that select
the nodes the cluster has, the platform minus what it runs, prices from the spec, and every bad input as exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.catalog.snapshot import normalise, read_node
from aiinfra.cli.main import app
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[3]
ONPREM = ROOT / "stacks" / "existing-onprem-h100.yaml"
COREWEAVE = ROOT / "stacks" / "existing-coreweave.yaml"


@pytest.mark.parametrize("value, gpu", [
    ("NVIDIA-H100-80GB-HBM3", "H100"), ("A100-SXM4-40GB", "A100"), ("A100-SXM4-80GB", "A100-80GB"), ("nvidia-tesla-a100", "A100"),
    ("nvidia-h100-mega-80gb", "H100"), ("H100_NVLINK_80GB", "H100"), ("h100", "H100"), ("tpu-v5p-slice", "TPU-v5p"),
    ("tpu-v5-lite-podslice", "TPU-v5e"), ("trainium2", "Trainium2"), ("AMD_Instinct_MI300X", "MI300X"), ("nvidia-l4", "L4"),
    ("A100-SXM4-40GB-MIG-1g.5gb", None), ("NVIDIA-Quadro-X9", None),
])
def test_label_values_normalise_to_catalog_names(value, gpu):
    assert normalise(value) == gpu


def node(labels, alloc, taints=None):
    return {"kind": "Node", "metadata": {"name": "n", "labels": labels}, "spec": {"taints": taints or []}, "status": {"allocatable": {"cpu": "8", "memory": "64Gi", **alloc}}}


@pytest.mark.parametrize("labels, alloc, want", [
    ({"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}, {"nvidia.com/gpu": "8"}, ("H100", 8, "nvidia.com/gpu")),
    ({"cloud.google.com/gke-accelerator": "nvidia-l4"}, {"nvidia.com/gpu": "1"}, ("L4", 1, "nvidia.com/gpu")),
    ({"cloud.google.com/gke-tpu-accelerator": "tpu-v5p-slice"}, {"google.com/tpu": "4"}, ("TPU-v5p", 4, "google.com/tpu")),
    ({"karpenter.k8s.aws/instance-accelerator-name": "trainium2"}, {"aws.amazon.com/neuron": "16"}, ("Trainium2", 16, "aws.amazon.com/neuron")),
    ({"amd.com/gpu.product-name": "AMD_Instinct_MI300X"}, {"amd.com/gpu": "8"}, ("MI300X", 8, "amd.com/gpu")),
    ({"node.kubernetes.io/instance-type": "p5.48xlarge"}, {"nvidia.com/gpu": "8"}, ("H100", 8, "nvidia.com/gpu")),
    ({"node.kubernetes.io/instance-type": "BM.GPU.H100.8"}, {}, ("H100", 8, None)),
    ({"nvidia.com/gpu.product": "NVIDIA-H200", "nvidia.com/gpu.count": "8"}, {}, ("H200", 8, None)),
    ({"feature.node.kubernetes.io/pci-10de.present": "true"}, {"nvidia.com/gpu": "8"}, (None, 0, None)),
    ({}, {}, (None, 0, None)),
])
def test_each_family_is_found_by_its_labels_and_allocatable(labels, alloc, want):
    n = read_node(node(labels, alloc))
    assert (n.gpu, n.count, n.resource) == want


def test_onprem_pools_take_the_nodes_and_the_platform_skips_what_runs():
    env = load(ONPREM)
    train = next(p for p in env.worker_pools if p.name == "train")
    assert train.selected_nodes == ("dgx-h100-01", "dgx-h100-02")
    assert train.carried_labels["nvidia.com/gpu.product"] == "NVIDIA-H100-80GB-HBM3"
    assert train.hourly_usd_per_node == pytest.approx(16.8)
    assert env.system_pool.selected_nodes == ("svc-1", "svc-2")  # the tainted control-plane node is left out
    assert env.preinstalled == {"kube-prometheus-stack"}
    assert env.gpu_driver == "host"  # GFD reports a host driver: the operator runs with driver.enabled=false
    from aiinfra.components.kubernetes.addons.plan import plan

    keys = [r.key for r in plan(env).releases]
    assert "gpu-operator" in keys and "kube-prometheus-stack" not in keys
    assert plan(env).release("gpu-operator").values["driver"]["enabled"] is False


def test_coreweave_keeps_its_gpu_stack():
    env = load(COREWEAVE)
    assert {"gpu-operator", "network-operator"} <= env.preinstalled
    from aiinfra.components.kubernetes.addons.plan import plan

    p = plan(env)
    assert not p.has("gpu-operator") and any("already on the cluster" in n for n in p.notes)


def test_preview_creates_no_cloud_resource():
    result = CliRunner().invoke(app, ["preview", "--json", str(COREWEAVE)])
    assert result.exit_code == 0, result.output
    types = {r["type"] for r in json.loads(result.output)["resources"]}
    assert all(t.startswith(("kubernetes:", "aiinfra:", "pulumi:providers:kubernetes")) for t in types), types
    assert "kubernetes:core/v1:NodePatch" not in types  # its nodes are selected by labels they carry (test_selector.py)


def spec(tmp_path, extra="", pools="  - {name: train, gpu: 'H100:8', nodes: 2}\n", snapshot="snap.json", region="dgx-lab-admin"):
    shutil.copy(ROOT / "stacks" / "snapshots" / "existing-onprem-h100.json", tmp_path / "snap.json")
    path = tmp_path / "s.yaml"
    path.write_text(f"name: tst\ncloud: existing\nregion: {region}\nexisting:\n  kubeconfig: {tmp_path}/none\n  snapshot: {snapshot}\n{extra}node_pools:\n{pools}")
    return path


def refused(path) -> str:
    result = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "250"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_accelerators_the_cluster_lacks_name_what_it_has(tmp_path):
    out = refused(spec(tmp_path, pools="  - {name: train, gpu: 'B200:8'}\n"))
    assert "no node with 8 × B200 (it has 2 nodes with 8 × H100, 3 CPU nodes)" in out
    out = refused(spec(tmp_path, pools="  - {name: train, gpu: 'H100:4'}\n"))
    assert "did you mean H100:8?" in out


def test_more_nodes_than_match(tmp_path):
    out = refused(spec(tmp_path, pools="  - {name: train, gpu: 'H100:8', nodes: 3}\n"))
    assert "node_pools[0].nodes" in out and "asks for 3 nodes with 8 × H100, but 2 schedulable ones are left" in out and "set nodes: 2" in out
    out = refused(spec(tmp_path, pools="  - {name: a, gpu: 'H100:8', nodes: 2}\n  - {name: b, gpu: 'H100:8', nodes: 1}\n"))
    assert "node_pools[1].nodes" in out and "0 schedulable ones are left" in out


def test_a_snapshot_that_is_not_a_node_list(tmp_path):
    (tmp_path / "pods.json").write_text(json.dumps({"apiVersion": "v1", "kind": "PodList", "items": []}))
    assert "existing.snapshot" in (out := refused(spec(tmp_path, snapshot="pods.json"))) and "not a v1 NodeList (got kind 'PodList')" in out
    (tmp_path / "bad.json").write_text("{")
    assert "is not JSON" in refused(spec(tmp_path, snapshot="bad.json"))
    assert "does not exist" in refused(spec(tmp_path, snapshot="gone.json"))


def test_a_context_not_in_the_kubeconfig(tmp_path):
    path = spec(tmp_path, region="other")
    (tmp_path / "none").write_text("apiVersion: v1\nkind: Config\ncontexts: [{name: dgx-lab-admin, context: {cluster: c, user: u}}]\n")
    out = refused(path)
    assert "context 'other' is not in" in out and "contexts: dgx-lab-admin" in out


def test_a_snapshot_of_another_context(tmp_path):
    assert "was discovered from context 'dgx-lab-admin', not 'lab2'" in refused(spec(tmp_path, region="lab2"))


def test_credentials_that_cannot_install_cluster_wide(tmp_path):
    path = spec(tmp_path)
    data = json.loads((tmp_path / "snap.json").read_text())
    data["aiinfra"]["cluster_wide"] = False
    (tmp_path / "snap.json").write_text(json.dumps(data))
    assert "may not create cluster-wide objects" in refused(path)


def test_unpriced_pools_fail_a_budget_closed(tmp_path):
    path = spec(tmp_path, extra="policy: {max_hourly_usd: 1000}\n")
    result = CliRunner().invoke(app, ["preview", "--json", str(path)])
    assert result.exit_code != 0
    violations = json.loads(result.output)["policy"]["violations"]
    assert any(v["id"] == "AI-COST-001" and "cannot show" in v["message"] for v in violations), violations
    priced = spec(tmp_path, extra="  prices: {H100: 2, CPU: 0.5}\npolicy: {max_hourly_usd: 1000}\n")
    assert CliRunner().invoke(app, ["preview", "--json", str(priced)]).exit_code == 0


def test_bad_prices(tmp_path):
    out = refused(spec(tmp_path, extra="  prices: {H1OO: 2}\n"))
    assert "existing.prices.H1OO" in out


def test_up_without_the_pulumi_cli_refuses_like_every_cloud(tmp_path):
    import os
    import subprocess
    import sys

    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "aiinfra", "up", str(COREWEAVE), "--yes"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "the Pulumi CLI is not installed" in r.stderr and "aiinfra preview" in r.stderr
    assert r.stdout == ""


def test_energy_of_an_existing_cluster_is_unknown_never_zero():
    from aiinfra.report import energy

    e = energy.summary(load(ONPREM))
    assert e["pue"] is None and e["kgco2e_per_month_max"] is None and e["kwh_per_hour_max"] is None
    assert any("no PUE or CPU power figures for existing" in u for u in e["unknown"])
