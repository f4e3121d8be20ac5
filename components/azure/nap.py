"""AKS node auto-provisioning (NAP, managed Karpenter; k8s-ai-2026.md §2): with `cluster.autoscaling: nap` every
autoscaling pool becomes a Karpenter `NodePool` (karpenter.sh/v1) with its own `AKSNodeClass`
(karpenter.azure.com/v1beta1), and fixed-size pools stay agent pools (NAP refuses autoscaling agent pools but
keeps fixed ones). A NodePool has no minimum: NAP starts nodes for pending pods, so the pool's `max` is its
`limits` and its `min` is not held.

The nodes carry the labels and taints the agent pool would have had, so pods, Kueue flavors and policies select
them the same way; Kueue's quota for the pool and the NodePool's limits are the same figures (max × the VM
size's resources)."""

from __future__ import annotations

from typing import Any

from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

NODE_POOL_API = "karpenter.sh/v1"
NODE_CLASS_API = "karpenter.azure.com/v1beta1"
# Who installs the NVIDIA driver (ResolvedEnvironment.gpu_driver) as AKSNodeClass.spec.gpu.mode spells it; AMD
# pools never take AKS's driver (the AMD GPU operator loads it), as on agent pools (gpu_pool.gpu_profile).
GPU_MODE = {"aks": "Driver", "none": "None"}
# Disruption by pool kind: a GPU pool is emptied only when idle (a running training or serving pod is never moved
# to save a node); CPU pools may also be consolidated when underutilised. Nodes are replaced after 30 days at most.
DISRUPTION = {
    "gpu": {"consolidationPolicy": "WhenEmpty", "consolidateAfter": "10m"},
    "cpu": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "5m"},
}
EXPIRE_AFTER = "720h"


# What NAP cannot give a pool that an agent pool can (k8s-ai-2026.md §2.2, §2.3): spec field -> (why, hint).
REFUSED = {
    "reserved": (
        "NAP cannot place nodes in a capacity reservation group (reserved capacity under NAP is announced, not shipped: Azure/AKS#5604)",
        "make the pool fixed-size (nodes: N) so it stays an agent pool, or use cluster.autoscaling: cluster-autoscaler",
    ),
    "infiniband": (
        "NAP starts single VMs, not one scale set, and AKS links ND VMs over InfiniBand only within a scale set (unverified for NAP)",
        "make the InfiniBand pool fixed-size (nodes: N) so it stays one agent pool, or use cluster.autoscaling: cluster-autoscaler",
    ),
}


def refusals(spec: Any, pools: list[ResolvedPool]) -> list[Any]:
    """Problems for the autoscaling pools NAP cannot provision; the network and identity NAP needs (Azure CNI
    overlay with Cilium, managed identity) are what every aiinfra AKS cluster has (cluster.network_profile)."""
    from aiinfra.problems import Problem

    out = []
    index = {p.name: i for i, p in enumerate(spec.node_pools)}
    for p in pools:
        if p.system or p.nodes_min == p.nodes_max:
            continue
        for reason, applies in (("reserved", p.capacity == "reserved"), ("infiniband", p.fabric_kind == "infiniband")):
            if applies:
                why, hint = REFUSED[reason]
                field = "capacity" if reason == "reserved" else "nodes"
                out.append(Problem(f"node_pools[{index[p.name]}].{field}", f"pool {p.name}: {why}", hint, p.capacity if reason == "reserved" else None))
    return out


def unheld_minimums(spec: Any, pools: list[ResolvedPool]) -> list[Any]:
    """A NodePool has no minimum: NAP starts nodes for pending pods only, so `min` nodes are not kept warm."""
    from aiinfra.problems import Problem

    index = {p.name: i for i, p in enumerate(spec.node_pools)}
    return [
        Problem(f"node_pools[{index[p.name]}].nodes", f"pool {p.name}: node auto-provisioning keeps no minimum; its {p.nodes_min} node(s) come only for pending pods",
                f"write nodes: {{min: 0, max: {p.nodes_max}}}, or a fixed size to keep an agent pool running", p.nodes_min)
        for p in pools if not p.system and 0 < p.nodes_min < p.nodes_max
    ]


def nap_pools(env: ResolvedEnvironment) -> list[ResolvedPool]:
    """The worker pools NAP provisions: every autoscaling one, where the environment runs NAP."""
    if env.autoscaler != "nap":
        return []
    return [p for p in env.worker_pools if p.nodes_min < p.nodes_max]


def node_labels(pool: ResolvedPool) -> dict[str, str]:
    """What components.azure.gpu_pool.node_labels writes on an agent pool's nodes (no InfiniBand under NAP)."""
    labels = {"aiinfra.dev/pool": pool.name, "aiinfra.dev/capacity": pool.capacity}
    if pool.gpu:
        labels.update({"accelerator": pool.family or "nvidia", "aiinfra.dev/gpu": pool.gpu, "aiinfra.dev/gpu-count": str(pool.gpus_per_node)})
    return {**labels, **pool.labels}


def taints(pool: ResolvedPool) -> list[dict[str, str]]:
    """The accelerator taint aiinfra sets and the capacity taints AKS puts on spot agent pools, kept the same."""
    out = []
    if pool.gpu:
        t = pool.accelerator_taint
        key, value, effect = (t.key, t.value, t.effect) if t is not None else ("nvidia.com/gpu", "true", "NoSchedule")
        out.append({"key": key, "value": value, "effect": effect})
    return out + [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints]


def limits(env: ResolvedEnvironment, pool: ResolvedPool) -> dict[str, int | str]:
    """The NodePool's limits: what the pool holds at its maximum in its largest size, the figures of Kueue's quota
    for it (components/kubernetes/addons/scheduling.pool_capacity)."""
    from aiinfra.components.kubernetes.addons.scheduling import pool_capacity

    held = pool_capacity(env, pool)
    return {("memory" if k == "memory_gib" else k): (f"{v}Gi" if k == "memory_gib" else v) for k, v in held.items()}


def node_class(pool: ResolvedPool, gpu_driver: str | None, subnet_id: Any, tags: dict[str, str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"imageFamily": "Ubuntu", "osDiskSizeGB": pool.disk_gib, "vnetSubnetID": subnet_id, "tags": {**tags, "aiinfra.dev/pool": pool.name}}
    if pool.gpu:
        spec["gpu"] = {"mode": GPU_MODE[gpu_driver or "aks"] if (pool.family or "nvidia") == "nvidia" else "None"}
    return {"apiVersion": NODE_CLASS_API, "kind": "AKSNodeClass", "metadata": {"name": pool.name}, "spec": spec}


def node_pool(env: ResolvedEnvironment, pool: ResolvedPool) -> dict[str, Any]:
    zones = list(env.zones)
    sizes = [pool.instance_type, *(a.instance_type for a in pool.fallbacks)]
    requirements = [
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": sizes},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot" if pool.capacity == "spot" else "on-demand"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
    ]
    # GPU sizes stay regional unless pinned, as agent pools do (gpu_pool.pool_zones); CPU nodes spread over the zones.
    where = [pool.zone] if pool.zone else ([] if pool.gpu else zones)
    if where:
        requirements.append({"key": "topology.kubernetes.io/zone", "operator": "In", "values": list(where)})
    template: dict[str, Any] = {
        "metadata": {"labels": node_labels(pool)},
        "spec": {
            "nodeClassRef": {"group": "karpenter.azure.com", "kind": "AKSNodeClass", "name": pool.name},
            "requirements": requirements,
            "expireAfter": EXPIRE_AFTER,
        },
    }
    if taints(pool):
        template["spec"]["taints"] = taints(pool)
    return {
        "apiVersion": NODE_POOL_API,
        "kind": "NodePool",
        "metadata": {"name": pool.name, "annotations": {"aiinfra.dev/nodes-max": str(pool.nodes_max)}},
        "spec": {"template": template, "limits": limits(env, pool), "disruption": DISRUPTION["gpu" if pool.gpu else "cpu"]},
    }
