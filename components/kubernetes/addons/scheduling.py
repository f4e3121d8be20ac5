"""Kueue queues per GPU flavor and the training operator.

The quota is what the pools can be provisioned to, so an admitted workload's pending pods are what makes the
provisioner add nodes (GKE autoscaler or ComputeClass, AKS NAP, Karpenter); queued-provisioning pools are
admitted only once their ProvisioningRequest is provisioned."""

from __future__ import annotations

import functools
from typing import Any

from aiinfra.components.kubernetes.addons import dra
from aiinfra.components.kubernetes.addons.model import (
    GPU_RESOURCE,
    KubeObject,
    accelerator_toleration,
    pool_selector,
    taint_tolerations,
)
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

LOCAL_QUEUE = "default"


KUEUE_API = "kueue.x-k8s.io/v1beta2"
# Kueue's built-in ProvisioningRequest admission check (GA in v0.14, apis/kueue/v1beta2/provisioningrequestconfig_types.go)
# and GKE's class for queued provisioning (accelerators-capacity-data.md §1.5, §4.2).
PROVISIONING_CONTROLLER = "kueue.x-k8s.io/provisioning-request"
PROVISIONING_CHECK = "queued-provisioning"
QUEUED_CLASS = "queued-provisioning.gke.io"


@functools.lru_cache(maxsize=1)
def kueue_configuration() -> dict[str, Any]:
    """components/kubernetes/kueue-configuration.yaml: the chart's default Configuration and the DRA DeviceClass rows."""
    from importlib import resources

    import yaml

    data = yaml.safe_load(resources.files("aiinfra.components.kubernetes").joinpath("kueue-configuration.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict) and {"configuration", "device_classes"} <= set(data), "kueue-configuration.yaml"
    return data


def device_class_mappings(env: ResolvedEnvironment) -> list[dict[str, Any]]:
    """Kueue's resources.deviceClassMappings for the DeviceClasses the DRA driver creates here: without them a job
    claiming a DRA GPU or an IMEX channel is never admitted, and with them its devices count against the quota."""
    on = dra.driver_resources(env)
    return [{"name": row["resource"], "deviceClassNames": [row["device_class"]]} for row in kueue_configuration()["device_classes"] if on[row["driver_resource"]]]


def kueue_values(env: ResolvedEnvironment, monitoring: bool) -> dict[str, Any]:
    """Prometheus metrics where monitoring runs; the whole manager Configuration (the chart takes it as one string)
    where DRA devices need mapping, else the chart's own."""
    import yaml

    values: dict[str, Any] = {"enablePrometheus": True} if monitoring else {}
    mappings = device_class_mappings(env)
    if mappings:
        config = {**kueue_configuration()["configuration"], "resources": {"deviceClassMappings": mappings}}
        values["managerConfig"] = {"controllerManagerConfigYaml": yaml.safe_dump(config, sort_keys=False)}
    return values


def channel_resource(env: ResolvedEnvironment) -> str | None:
    """The logical resource Kueue counts IMEX channels in, where ComputeDomains are on."""
    mapped = {m["deviceClassNames"][0]: m["name"] for m in device_class_mappings(env)}
    return mapped.get(dra.CHANNEL_CLASS)


def resource_of(pool: ResolvedPool) -> str:
    return pool.accelerator_resource or GPU_RESOURCE


def provisioning_check(queued: list[ResolvedPool]) -> list[KubeObject]:
    """Queued provisioning (GKE flex-start `queued: true` pools): a workload admitted to such a pool's flavor gets a
    ProvisioningRequest, and Kueue admits it once GKE has made every node it needs (all at once, or none)."""
    managed = list(dict.fromkeys(resource_of(p) for p in queued if p.gpu))
    config: dict[str, Any] = {"provisioningClassName": QUEUED_CLASS}
    if managed:
        config["managedResources"] = managed
    return [
        KubeObject("provisioning-config", {"apiVersion": KUEUE_API, "kind": "ProvisioningRequestConfig", "metadata": {"name": PROVISIONING_CHECK}, "spec": config}, ["kueue"]),
        KubeObject(
            "provisioning-check",
            {
                "apiVersion": KUEUE_API,
                "kind": "AdmissionCheck",
                "metadata": {"name": PROVISIONING_CHECK},
                "spec": {
                    "controllerName": PROVISIONING_CONTROLLER,
                    "parameters": {"apiGroup": "kueue.x-k8s.io", "kind": "ProvisioningRequestConfig", "name": PROVISIONING_CHECK},
                },
            },
            ["kueue", "provisioning-config"],
        ),
    ]


def provisioned_shapes(env: ResolvedEnvironment, pool: ResolvedPool) -> list[ResolvedPool]:
    """The node shapes a pool's provisioner may start: its gpu: alternatives too where a GKE ComputeClass or AKS
    node auto-provisioning takes them, else the resolved type alone."""
    takes_alternatives = pool.compute_class is not None or (env.autoscaler == "nap" and pool.nodes_min < pool.nodes_max)
    return [pool, *pool.fallbacks] if takes_alternatives else [pool]


def pool_capacity(env: ResolvedEnvironment, pool: ResolvedPool) -> dict[str, int]:
    """What the pool can hold at its maximum size, in its largest shape: the ClusterQueue's quota for its flavor,
    and the same figures bound the provisioner (AKS NodePool limits; GKE node auto-provisioning limits)."""
    shapes = provisioned_shapes(env, pool)
    out = {"cpu": max(s.vcpus for s in shapes) * pool.nodes_max, "memory_gib": int(max(s.memory_gib for s in shapes) * pool.nodes_max)}
    if pool.gpu:
        out[resource_of(pool)] = max(s.gpus_per_node for s in shapes) * pool.nodes_max
    return out


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
    # DRA GPUs count in nvidia.com/gpu (kueue-configuration.yaml); IMEX channels in their own resource, one a node.
    channel = channel_resource(env)
    covered = ["cpu", "memory"] + resources + ([channel] if channel else [])
    objs: list[KubeObject] = []
    flavors = []
    for p in pools:
        spec: dict[str, Any] = {"nodeLabels": pool_selector(env, p)}
        tolerations = ([accelerator_toleration(p)] if p.gpu else []) + taint_tolerations(env, [p])
        if tolerations:
            spec["tolerations"] = tolerations
        after = ["kueue"]
        if p.topology_request is not None and env.topology is not None:
            # Topology-aware scheduling (k8s-ai-2026.md §4.2): gangs on this flavor are admitted only where they fit in one domain.
            spec["topologyName"] = env.topology[0]
            after.append("topology")
        objs.append(KubeObject(f"flavor-{p.name}", {"apiVersion": KUEUE_API, "kind": "ResourceFlavor", "metadata": {"name": p.name}, "spec": spec}, after))
        held = pool_capacity(env, p)
        quota = [{"name": "cpu", "nominalQuota": held["cpu"]}, {"name": "memory", "nominalQuota": f"{held['memory_gib']}Gi"}]
        for r in resources:
            quota.append({"name": r, "nominalQuota": held.get(r, 0)})
        if channel:
            quota.append({"name": channel, "nominalQuota": p.nodes_max if p.nvlink_domain is not None else 0})
        flavors.append({"name": p.name, "resources": quota})
    flavor_keys = [o.key for o in objs]
    if env.topology is not None:
        name, levels = env.topology
        objs.insert(0, KubeObject("topology", {"apiVersion": KUEUE_API, "kind": "Topology", "metadata": {"name": name}, "spec": {"levels": [{"nodeLabel": lv} for lv in levels]}}, ["kueue"]))
        flavor_keys.insert(0, "topology")
    queue_spec: dict[str, Any] = {"namespaceSelector": {}, "resourceGroups": [{"coveredResources": covered, "flavors": flavors}]}
    queued = [p for p in pools if p.queued]
    if queued:
        checks = provisioning_check(queued)
        objs += checks
        flavor_keys += [o.key for o in checks]
        queue_spec["admissionChecksStrategy"] = {"admissionChecks": [{"name": PROVISIONING_CHECK, "onFlavors": [p.name for p in queued]}]}
    objs.append(
        KubeObject("cluster-queue", {"apiVersion": KUEUE_API, "kind": "ClusterQueue", "metadata": {"name": queue}, "spec": queue_spec}, ["kueue", *flavor_keys])
    )
    objs.append(
        KubeObject(
            "local-queue",
            {
                "apiVersion": KUEUE_API,
                "kind": "LocalQueue",
                "metadata": {"name": LOCAL_QUEUE, "namespace": env.namespace},
                "spec": {"clusterQueue": queue},
            },
            ["kueue", "cluster-queue"],
        )
    )
    return objs
