"""AKS node auto-provisioning under mocks: the cluster's node_provisioning_profile, one AKSNodeClass and NodePool per
autoscaling pool (valid against their CRDs), fixed pools left as agent pools, limits equal to Kueue's quota, and
what NAP refuses."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from k8shelpers import cr_errors, spec_env

from aiinfra.components.azure.nap import node_class, node_pool
from aiinfra.components.kubernetes.addons.scheduling import kueue_objects
from aiinfra.problems import SpecError
from aiinfra.report.preview import build
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "specs"
T_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
T_NODE_CLASS = "kubernetes:karpenter.azure.com/v1beta1:AKSNodeClass"
SUBNET = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/nap-serve-rg/providers/Microsoft.Network/virtualNetworks/nap-serve-vnet/subnets/nodes"


@lru_cache(maxsize=1)
def preview() -> dict:
    return build(load(SPECS / "azure.ok.nap.yaml"), check_policy=True)


def of_type(token: str) -> dict[str, dict]:
    return {r["name"]: r["inputs"] for r in preview()["resources"] if r["type"] == token}


def test_the_cluster_runs_nap_on_the_network_it_needs_without_aks_default_pools():
    (cluster,) = of_type("azure-native:containerservice:ManagedCluster").values()
    assert cluster["nodeProvisioningProfile"] == {"mode": "Auto", "defaultNodePools": "None"}
    net = cluster["networkProfile"]
    assert (net["networkPlugin"], net["networkPluginMode"], net["networkPolicy"], net["networkDataplane"]) == ("azure", "overlay", "cilium", "cilium")
    assert cluster["identity"]["type"] == "UserAssigned"  # NAP takes no service principal


def test_only_fixed_size_pools_stay_agent_pools():
    agent = {r["agentPoolName"] for r in of_type("azure-native:containerservice:AgentPool").values()}
    assert agent == {"cpu"}
    assert sorted(of_type(T_NODE_POOL)) == ["nap-serve-nodepool-batch", "nap-serve-nodepool-serve"]
    assert sorted(of_type(T_NODE_CLASS)) == ["nap-serve-nodeclass-batch", "nap-serve-nodeclass-serve"]
    assert preview()["outputs"]["node_pools"] == {"cpu": "cpu", "serve": "serve", "batch": "batch"}


def test_the_gpu_node_pool_keeps_the_agent_pools_labels_taints_and_sizes():
    spec = of_type(T_NODE_POOL)["nap-serve-nodepool-serve"]["spec"]
    t = spec["template"]
    assert t["metadata"]["labels"] == {"aiinfra.dev/pool": "serve", "aiinfra.dev/capacity": "spot", "accelerator": "nvidia", "aiinfra.dev/gpu": "A10", "aiinfra.dev/gpu-count": "1"}
    assert t["spec"]["nodeClassRef"] == {"group": "karpenter.azure.com", "kind": "AKSNodeClass", "name": "serve"}
    assert t["spec"]["requirements"] == [
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["Standard_NV36ads_A10_v5", "Standard_NC24ads_A100_v4"]},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]  # GPU sizes stay regional, as agent pools do
    assert t["spec"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"},
        {"key": "kubernetes.azure.com/scalesetpriority", "value": "spot", "effect": "NoSchedule"},
    ]
    assert spec["limits"] == {"cpu": 3 * 36, "memory": f"{3 * 440}Gi", "nvidia.com/gpu": 3}
    assert spec["disruption"] == {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"} and t["spec"]["expireAfter"] == "720h"


def test_the_cpu_node_pool_spreads_over_the_zones_and_consolidates():
    spec = of_type(T_NODE_POOL)["nap-serve-nodepool-batch"]["spec"]
    assert {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["1", "2"]} in spec["template"]["spec"]["requirements"]
    assert "taints" not in spec["template"]["spec"] and spec["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"


def test_node_classes_join_the_node_subnet_and_follow_the_gpu_driver():
    serve = of_type(T_NODE_CLASS)["nap-serve-nodeclass-serve"]["spec"]
    assert serve == {"imageFamily": "Ubuntu", "osDiskSizeGB": 200, "vnetSubnetID": SUBNET, "gpu": {"mode": "Driver"},
                     "tags": {"aiinfra.dev/environment": "nap-serve", "managed-by": "aiinfra", "aiinfra.dev/pool": "serve"}}
    assert "gpu" not in of_type(T_NODE_CLASS)["nap-serve-nodeclass-batch"]["spec"]
    env = spec_env((SPECS / "azure.ok.nap.yaml").read_text() + "azure: {gpu_driver: none}\n")
    pool = next(p for p in env.pools if p.name == "serve")
    assert env.gpu_driver == "none"
    assert node_class(pool, env.gpu_driver, SUBNET, {})["spec"]["gpu"] == {"mode": "None"}


def test_rendered_objects_are_valid_against_their_crds():
    for token, kind, api in ((T_NODE_POOL, "NodePool", "karpenter.sh/v1"), (T_NODE_CLASS, "AKSNodeClass", "karpenter.azure.com/v1beta1")):
        for body in of_type(token).values():
            assert cr_errors({"apiVersion": api, "kind": kind, **body}) == []


def test_a_broken_node_pool_fails_its_crd():
    env = load(SPECS / "azure.ok.nap.yaml")
    body = node_pool(env, next(p for p in env.pools if p.name == "serve"))
    body["spec"]["disruption"]["consolidationPolicy"] = "Never"
    body["spec"]["template"]["spec"]["requirements"][0]["operator"] = "Within"
    errors = cr_errors(body)
    assert any("consolidationPolicy" in e for e in errors) and any("operator" in e for e in errors)


def test_kueue_quota_is_the_node_pools_limits():
    env = load(SPECS / "azure.ok.nap.yaml")
    queue = next(o.body for o in kueue_objects(env) if o.body["kind"] == "ClusterQueue")
    quota = {f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]} for f in queue["spec"]["resourceGroups"][0]["flavors"]}
    for p in env.worker_pools:
        if p.nodes_min < p.nodes_max:
            limits = node_pool(env, p)["spec"]["limits"]
            assert {k: v for k, v in quota[p.name].items() if v} == limits
    assert quota["cpu"] == {"cpu": 2 * 8, "memory": "64Gi", "nvidia.com/gpu": 0}  # the fixed agent pool: its own size


def test_preview_says_nap_scales_the_autoscaling_pools():
    rows = {p["name"]: p["scaled_by"] for p in preview()["node_pools"]}
    assert rows == {"system": None, "cpu": None, "serve": "AKS node auto-provisioning (NodePool serve)", "batch": "AKS node auto-provisioning (NodePool batch)"}
    assert not [v for v in preview()["policy"]["violations"] if v["enforcement"] == "mandatory"]


def test_without_nap_every_pool_is_an_agent_pool():
    env = spec_env((SPECS / "azure.ok.nap.yaml").read_text().replace("autoscaling: nap", "autoscaling: auto"))
    data = build(env, check_policy=False)
    types = {r["type"] for r in data["resources"]}
    assert T_NODE_POOL not in types and T_NODE_CLASS not in types
    (cluster,) = [r["inputs"] for r in data["resources"] if r["type"] == "azure-native:containerservice:ManagedCluster"]
    assert "nodeProvisioningProfile" not in cluster
    assert {r["inputs"]["agentPoolName"] for r in data["resources"] if r["type"] == "azure-native:containerservice:AgentPool"} == {"cpu", "serve", "batch"}


@pytest.mark.parametrize("fixture, expected", [
    ("azure.bad.nap-reserved.yaml", [("node_pools[0].capacity", "NAP cannot place nodes in a capacity reservation group")]),
    ("azure.bad.nap-infiniband.yaml", [("node_pools[0].nodes", "AKS links ND VMs over InfiniBand only within a scale set")]),
    ("azure.bad.autoscaling-karpenter.yaml", [("cluster.autoscaling", "AKS has no karpenter; it exists on EKS (aws)")]),
])
def test_what_nap_or_aks_refuses_is_a_problem(fixture, expected):
    with pytest.raises(SpecError) as info:
        load(SPECS / fixture)
    got = [(p.path, p.message) for p in info.value.problems]
    assert len(got) == len(expected)
    for (path, words), (got_path, message) in zip(expected, got):
        assert got_path == path and words in message
    assert all(p.hint for p in info.value.problems)


def test_a_fixed_reserved_pool_stays_an_agent_pool_under_nap():
    text = (SPECS / "azure.bad.nap-reserved.yaml").read_text().replace("nodes: {min: 0, max: 4}", "nodes: 2")
    env = spec_env(text)
    assert [p.name for p in env.worker_pools] == ["train"] and env.autoscaler == "nap"


def test_a_minimum_nap_does_not_hold_is_a_warning():
    text = (SPECS / "azure.ok.nap.yaml").read_text().replace("nodes: {min: 0, max: 6}", "nodes: {min: 2, max: 6}")
    (w,) = [w for w in spec_env(text).warnings if w.path.startswith("node_pools")]
    assert (w.path, w.value) == ("node_pools[2].nodes", 2) and "keeps no minimum" in w.message and "min: 0, max: 6" in w.hint
    assert not [w for w in load(SPECS / "azure.ok.nap.yaml").warnings if w.path.startswith("node_pools")]
