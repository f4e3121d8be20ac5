"""AI-K8S-011 (every pool that may grow has a provisioner acting on it) and AI-K8S-002 (spot min 0 only where a
provisioner scales from zero), on small stacks of resources as preview captures them, and on previews of specs."""

from __future__ import annotations

from pathlib import Path

import pytest
from policyhelpers import aiinfra_verdict

from aiinfra.report.preview import build
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


def res(type_: str, name: str, inputs: dict) -> dict:
    return {"type": type_, "name": name, "urn": f"urn:test::{name}", "inputs": inputs, "options": {}}


def eks_group(name: str, lo: int, hi: int, spot: bool = False) -> dict:
    return res("aws:eks/nodeGroup:NodeGroup", name, {
        "scalingConfig": {"minSize": lo, "maxSize": hi, "desiredSize": lo}, "capacityType": "SPOT" if spot else "ON_DEMAND",
        "labels": {"aiinfra.dev/pool": name, "aiinfra.dev/gpu": "L4"}, "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
    })


def chart(name: str, chart_ref: str) -> dict:
    return res("kubernetes:helm.sh/v4:Chart", name, {"chart": chart_ref})


def node_pool(name: str, spot: bool = False) -> dict:
    return res("kubernetes:karpenter.sh/v1:NodePool", name, {
        "metadata": {"name": name},
        "spec": {"template": {"metadata": {"labels": {"aiinfra.dev/pool": name, "aiinfra.dev/gpu": "L4"}},
                              "spec": {"requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot" if spot else "on-demand"]}],
                                       "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]}}},
    })


AKS = res("azure-native:containerservice:ManagedCluster", "aks", {"nodeProvisioningProfile": {"mode": "Auto"}})
AGENT = res("azure-native:containerservice:AgentPool", "serve", {"enableAutoScaling": True, "minCount": 0, "maxCount": 3, "nodeLabels": {"aiinfra.dev/pool": "serve"}})


@pytest.mark.parametrize("resources, found", [
    ([eks_group("serve", 0, 3)], ["pool serve may grow from 0 to 3 nodes, but no cluster-autoscaler is installed: it stays at 0"]),
    ([eks_group("serve", 0, 3), chart("ca", "cluster-autoscaler")], []),
    ([eks_group("serve", 2, 2)], []),  # fixed size: nothing to scale
    ([node_pool("serve")], ["pool serve may grow from 0 to 1 nodes, but neither a Karpenter controller nor AKS node auto-provisioning is there: it stays at 0"]),
    ([node_pool("serve"), chart("karpenter", "oci://public.ecr.aws/karpenter/karpenter")], []),
    ([node_pool("serve"), AKS], []),
    ([AGENT], []),  # the AKS cluster autoscaler is built in
    ([AGENT, AKS], ["pool serve autoscales as an agent pool, which AKS refuses under node auto-provisioning: make it a NodePool or fixed-size"]),
    ([res("gcp:container/nodePool:NodePool", "batch", {"autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 4}, "queuedProvisioning": {"enabled": True},
                                                        "nodeConfig": {"labels": {"aiinfra.dev/pool": "batch"}}})],
     ["pool batch may grow from 0 to 4 nodes, but no Kueue ProvisioningRequest admission check asks for its nodes: it stays at 0"]),
    ([res("kubernetes:cloud.google.com/v1:ComputeClass", "cc", {"metadata": {"name": "serve"}, "spec": {"nodePoolAutoCreation": {"enabled": True}}}),
      res("gcp:container/cluster:Cluster", "gke", {})],
     ["ComputeClass serve creates node pools, but the cluster has no node auto-provisioning (clusterAutoscaling.enabled)"]),
    ([res("kubernetes:cloud.google.com/v1:ComputeClass", "cc", {"metadata": {"name": "serve"}, "spec": {"nodePoolAutoCreation": {"enabled": True}}}),
      res("gcp:container/cluster:Cluster", "gke", {"clusterAutoscaling": {"enabled": True}})], []),
])
def test_every_pool_that_may_grow_needs_a_provisioner(resources, found):
    assert aiinfra_verdict("AI-K8S-011", resources) == found


@pytest.mark.parametrize("resources, advised", [
    ([eks_group("serve", 1, 3, spot=True)], False),  # nothing would bring a node back from zero
    ([eks_group("serve", 1, 3, spot=True), chart("ca", "cluster-autoscaler")], True),
    ([eks_group("serve", 0, 3, spot=True), chart("ca", "cluster-autoscaler")], False),
])
def test_spot_min_zero_is_advised_only_where_a_provisioner_scales_from_zero(resources, advised):
    assert bool(aiinfra_verdict("AI-K8S-002", resources)) is advised


def _violations(text: str) -> list[str]:
    data = build(resolve(parse_spec(text)), check_policy=True)
    return [v["message"] for v in data["policy"]["violations"] if v["id"] == "AI-K8S-011"]


@pytest.mark.parametrize("cloud, settings, gpu", [("gcp", "gcp: {project: my-ml-project}\nregion: us-central1", "L4:1"), ("azure", "region: eastus", "A10:1")])
def test_autoscaling_none_holds_pools_at_their_minimum_and_fails_the_rule(cloud, settings, gpu):
    text = f"name: held-{cloud}\ncloud: {cloud}\n{settings}\ncluster: {{autoscaling: none}}\nnode_pools:\n  - {{name: serve, gpu: '{gpu}', nodes: {{min: 0, max: 4}}}}\n"
    assert _violations(text) == ["pool serve may grow from 0 to 4 nodes, but nothing scales it (cluster.autoscaling: none): it stays at 0"]
    assert _violations(text.replace("autoscaling: none", "autoscaling: auto")) == []


@pytest.mark.parametrize("fixture", ["gcp.ok.compute-class.yaml", "azure.ok.nap.yaml", "gcp.ok.flex-start.yaml"])
def test_the_provisioning_fixtures_pass_the_rule(fixture):
    data = build(load(SPECS / fixture), check_policy=True)
    assert [v for v in data["policy"]["violations"] if v["id"] == "AI-K8S-011"] == []
