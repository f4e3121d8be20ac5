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


def test_an_eks_arn_is_a_context_and_only_the_providers_take_it():
    import json

    result = CliRunner().invoke(app, ["preview", "--json", str(SPECS / "existing.ok.karpenter.yaml")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    arn = "arn:aws:eks:us-east-1:123456789012:cluster/ml-platform-shared-karpenter"
    assert data["region"] == arn and len(arn) > 40
    named = [r for r in data["resources"] if arn in json.dumps(r["inputs"])]
    assert named and {r["type"] for r in named} == {"pulumi:providers:kubernetes"}  # no resource name or label carries it
    assert all(r["inputs"]["context"] == arn for r in named)


def test_a_region_longer_than_any_context_is_refused_with_the_reason(tmp_path):
    import json

    path = tmp_path / "s.yaml"
    path.write_text(f"name: long\ncloud: existing\nregion: {'c' * 254}\nexisting: {{snapshot: x.json}}\n")
    result = CliRunner().invoke(app, ["validate", "--json", str(path)])
    assert result.exit_code == 2
    [problem] = [p for p in json.loads(result.stdout)["problems"] if p["path"] == "region"]
    assert "at most 253 characters" in problem["message"] and "EKS context" in problem["message"]
