"""Kueue queues per GPU flavor and the training operator."""

from __future__ import annotations

from typing import Any

from aiinfra.components.kubernetes.addons.model import (
    GPU_RESOURCE,
    KubeObject,
    accelerator_toleration,
    pool_selector,
    taint_tolerations,
)
from aiinfra.resolved import ResolvedEnvironment, ResolvedPool

LOCAL_QUEUE = "default"


KUEUE_API = "kueue.x-k8s.io/v1beta2"


def kueue_values(monitoring: bool) -> dict[str, Any]:
    return {"enablePrometheus": True} if monitoring else {}


def trainer_values() -> dict[str, Any]:
    return {"runtimes": {"defaultEnabled": True}}


def resource_of(pool: ResolvedPool) -> str:
    return pool.accelerator_resource or GPU_RESOURCE


def kueue_objects(env: ResolvedEnvironment) -> list[KubeObject]:
    """One ResourceFlavor per pool, a ClusterQueue whose quota is what the pools hold at their maximum size,
    and the LocalQueue `default` in the workload namespace. CPU pools come first, so CPU-only work does not
    take GPU nodes; GPU work skips them (0 GPU quota)."""
    pools = sorted(env.worker_pools, key=lambda p: (bool(p.gpu), p.name))
    if not pools:
        return []
    gpus = any(p.gpu for p in pools)
    queue = "gpu" if gpus else "cpu"
    # Quotas in each accelerator's own resource (nvidia.com/gpu, google.com/tpu, aws.amazon.com/neuron, amd.com/gpu).
    resources = list(dict.fromkeys(resource_of(p) for p in pools if p.gpu))
    covered = ["cpu", "memory"] + resources
    objs: list[KubeObject] = []
    flavors = []
    for p in pools:
        spec: dict[str, Any] = {"nodeLabels": pool_selector(env, p)}
        tolerations = ([accelerator_toleration(p)] if p.gpu else []) + taint_tolerations(env, [p])
        if tolerations:
            spec["tolerations"] = tolerations
        objs.append(KubeObject(f"flavor-{p.name}", {"apiVersion": KUEUE_API, "kind": "ResourceFlavor", "metadata": {"name": p.name}, "spec": spec}, ["kueue"]))
        quota = [
            {"name": "cpu", "nominalQuota": p.vcpus * p.nodes_max},
            {"name": "memory", "nominalQuota": f"{int(p.memory_gib * p.nodes_max)}Gi"},
        ]
        for r in resources:
            quota.append({"name": r, "nominalQuota": p.gpus_per_node * p.nodes_max if p.gpu and resource_of(p) == r else 0})
        flavors.append({"name": p.name, "resources": quota})
    flavor_keys = [o.key for o in objs]
    objs.append(
        KubeObject(
            "cluster-queue",
            {
                "apiVersion": KUEUE_API,
                "kind": "ClusterQueue",
                "metadata": {"name": queue},
                "spec": {"namespaceSelector": {}, "resourceGroups": [{"coveredResources": covered, "flavors": flavors}]},
            },
            ["kueue", *flavor_keys],
        )
    )
    objs.append(
        KubeObject(
            "local-queue",
            {
                "apiVersion": KUEUE_API,
                "kind": "LocalQueue",
                "metadata": {"name": LOCAL_QUEUE, "namespace": env.spec.identity.namespace},
                "spec": {"clusterQueue": queue},
            },
            ["kueue", "cluster-queue"],
        )
    )
    return objs
