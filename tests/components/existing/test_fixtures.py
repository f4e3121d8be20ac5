"""The existing-cluster fixtures (tests/fixtures/specs/existing.*.yaml, snapshots in tests/fixtures/snapshots/): each
accelerator family is found by its own label and its pods select the nodes by it; each bad input is exit 2 with
what the cluster has. (tests/cli/test_main.py runs every fixture through validate as well.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "specs"


@pytest.mark.parametrize("fixture, gpu, selector", [
    ("nvidia-gfd", "A100-80GB", {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}),
    ("gke-accelerator", "L4", {"cloud.google.com/gke-accelerator": "nvidia-l4"}),
    ("karpenter", "H100", {"karpenter.k8s.aws/instance-gpu-name": "h100"}),
    ("amd", "MI300X", {"amd.com/gpu.product-name": "AMD_Instinct_MI300X"}),
    ("tpu", "TPU-v5e", {"cloud.google.com/gke-tpu-accelerator": "tpu-v5-lite-podslice"}),
    ("neuron", "Trainium2", {"karpenter.k8s.aws/instance-accelerator-name": "trainium2"}),
])
def test_each_family_is_selected_by_its_own_label(fixture, gpu, selector):
    env = load(SPECS / f"existing.ok.{fixture}.yaml")
    [pool] = env.worker_pools
    assert (pool.gpu, pool.node_selector) == (gpu, selector)
    assert not env.warnings


def test_tpu_pods_also_select_the_topology_the_nodes_carry():
    from aiinfra.manifests.data import placement

    [pool] = load(SPECS / "existing.ok.tpu.yaml").worker_pools
    assert placement(pool)[0] == {"cloud.google.com/gke-tpu-accelerator": "tpu-v5-lite-podslice", "cloud.google.com/gke-tpu-topology": "2x2"}


@pytest.mark.parametrize("fixture, path, words", [
    ("context-not-in-kubeconfig", "region", "context 'lab-b' is not in ../kube/kubeconfig-lab.yaml (contexts: lab-a)"),
    ("not-a-node-list", "existing.snapshot", "pods.json lists Pod, not only Nodes"),
    ("accelerators-lacking", "node_pools[0].gpu", "no node with 8 × B200 (it has 3 nodes with 8 × A100-80GB, 2 CPU nodes)"),
    ("more-nodes-than-match", "node_pools[0].nodes", "asks for 5 nodes with 8 × A100-80GB, but 3 schedulable ones are left"),
    ("not-cluster-wide", "region", "may not create cluster-wide objects (namespaces, CRDs, ClusterRoles)"),
])
def test_each_bad_input_says_what_is_wrong(fixture, path, words):
    import json

    result = CliRunner().invoke(app, ["validate", "--json", str(SPECS / f"existing.bad.{fixture}.yaml")])
    assert result.exit_code == 2, result.output
    problems = json.loads(result.stdout)["problems"]
    assert any(p["path"] == path and words in p["message"] and p["hint"] for p in problems), problems
