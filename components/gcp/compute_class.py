"""GKE custom ComputeClasses (k8s-ai-2026.md §3): where an autoscaling pool has gpu: alternatives offered in the
region, GKE's autoscaler tries the pool's own node pool first, then node pools it creates itself for each later
alternative, in the spec's order, with the pool's capacity (spot, flex-start, on-demand).

The node pool joins its class by the class's node label and NoSchedule taint; GKE puts both on the nodes it
creates for the class, and the pool's pods select the label and tolerate the taint (ResolvedPool.compute_class,
taints). Auto-created node pools need the cluster's node auto-provisioning with resource limits
(cluster_autoscaling): the limits are what the classes' pools may hold at their maximum, the same figures
Kueue's quota is made of (components/kubernetes/addons/scheduling.py).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from aiinfra.resolve.result import ResolvedPool

API_VERSION = "cloud.google.com/v1"
LABEL = "cloud.google.com/compute-class"
# One priority's capacity fields per capacity (schema: spec.priorities[].spot / .flexStart); reserved pools keep to
# their reservation and queued flex-start goes through ProvisioningRequests, so neither gets a class.
CAPACITY_FIELDS: dict[str, dict[str, Any]] = {
    "on-demand": {},
    "spot": {"spot": True, "reservations": {"affinity": "None"}},
    "flex-start": {"flexStart": {"enabled": True}, "reservations": {"affinity": "None"}},
}
GIB_IN_GB = 1.073741824  # GKE resource limits count memory in GB, the catalog in GiB


def wants_class(pool: ResolvedPool, autoscaler: str) -> bool:
    """A class only where GKE has something to fall back to and may scale: NVIDIA alternatives of a fabric-less
    autoscaling pool (a fabric pool's GPU NICs and compact placement are its own node pool's)."""
    return (
        autoscaler != "none"
        and not pool.system
        and pool.nodes_min < pool.nodes_max
        and bool(pool.fallbacks)
        and pool.fabric is None
        and (pool.family or "nvidia") == "nvidia"
        and not pool.queued
        and pool.capacity in CAPACITY_FIELDS
    )


def with_classes(pools: list[ResolvedPool], autoscaler: str) -> list[ResolvedPool]:
    """The pools with their class named (its label and taint follow: ResolvedPool.tolerations)."""
    return [dataclasses.replace(p, compute_class=p.name) if wants_class(p, autoscaler) else p for p in pools]


def node_labels(alt: ResolvedPool, capacity: str, user: dict[str, str]) -> dict[str, str]:
    """The aiinfra.dev/* labels of an auto-created node (as components.base.gpu_pool.node_labels writes them for a pool)."""
    labels = {"aiinfra.dev/pool": alt.name, "aiinfra.dev/capacity": capacity}
    if alt.gpu:
        labels.update({"aiinfra.dev/gpu": alt.gpu, "aiinfra.dev/gpu-count": str(alt.gpus_per_node)})
    return {**labels, **user}


def priorities(pool: ResolvedPool, node_pool_name: str) -> list[dict[str, Any]]:
    """The pool's own node pool first (a `nodepools` priority stands alone), then each alternative."""
    out: list[dict[str, Any]] = [{"nodepools": [node_pool_name]}]
    for alt in pool.fallbacks:
        rule: dict[str, Any] = {"machineType": alt.machine_type}
        if alt.accelerator_type:
            rule["gpu"] = {"type": alt.accelerator_type, "count": alt.gpus_per_node, "driverVersion": "latest"}
        rule.update(CAPACITY_FIELDS[pool.capacity])
        rule["nodeLabels"] = node_labels(alt, pool.capacity, dict(pool.labels))
        out.append(rule)
    return out


def compute_class(pool: ResolvedPool, node_pool_name: str, service_account: Any) -> dict[str, Any]:
    """The ComputeClass object (cloud.google.com/v1); `service_account` is the node service account's email."""
    assert pool.compute_class
    return {
        "apiVersion": API_VERSION,
        "kind": "ComputeClass",
        "metadata": {"name": pool.compute_class, "labels": {"aiinfra.dev/pool": pool.name}},
        "spec": {
            "priorities": priorities(pool, node_pool_name),
            "nodePoolAutoCreation": {"enabled": True},
            # Nothing outside the listed priorities: a pool's cost ceiling is its types' prices at its maximum.
            "whenUnsatisfiable": "DoNotScaleUp",
            "nodePoolConfig": {"serviceAccount": service_account, "imageType": "cos_containerd", "gvnic": {"enabled": True}, "autoRepair": pool.capacity != "flex-start"},
        },
    }


def resource_limits(pools: list[ResolvedPool]) -> list[tuple[str, int]]:
    """(resource type, maximum) for the cluster's node auto-provisioning: every pool at its maximum size, each
    class pool at its largest priority, plus each alternative's accelerator type at its pool's maximum. GKE counts
    every node of the cluster against these (cpu in cores, memory in GB, GPUs per accelerator type)."""
    cpu = memory = 0.0
    gpus: dict[str, int] = {}
    for p in pools:
        shapes = [p, *(p.fallbacks if p.compute_class else ())]
        cpu += max(s.vcpus for s in shapes) * p.nodes_max
        memory += max(s.memory_gib for s in shapes) * p.nodes_max
        for s in shapes:
            if s.accelerator_type and s.family in (None, "nvidia"):
                gpus[s.accelerator_type] = gpus.get(s.accelerator_type, 0) + s.gpus_per_node * p.nodes_max
    limits = [("cpu", math.ceil(cpu)), ("memory", math.ceil(memory * GIB_IN_GB))]
    return limits + sorted(gpus.items())
