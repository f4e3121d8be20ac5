"""AKS node facts for the fit check: the labels AKS puts on nodes and the reservations it documents.

Source: Microsoft Learn "Node resource reservations in AKS" (learn.microsoft.com/azure/aks/node-resource-reservations),
read 2026-12-07, AKS 1.29 and later: kube-reserved CPU 60/100/140/180/260/420/740 millicores for 1/2/4/8/16/32/64
cores; kube-reserved memory the lesser of 20 MB x max pods + 50 MB and 25% of the node's memory; eviction at
memory.available < 100 Mi. MB is taken as MiB, and core counts between (or above) the table's columns take the next
column down: both unverified. Max pods: 250, the Azure CNI Overlay default this cluster uses (network_plugin_mode
overlay in components/azure/cluster.py; "Configure Azure CNI Overlay networking", unverified for 2026).
"""

from __future__ import annotations

from aiinfra.components.base.allocatable import Reserved

CPU_TABLE = ((1, 60), (2, 100), (4, 140), (8, 180), (16, 260), (32, 420), (64, 740))  # (cores, millicores reserved)
MEMORY_PER_POD_MIB = 20
MEMORY_BASE_MIB = 50
MEMORY_MAX_FRACTION = 0.25
EVICTION_MIB = 100
MAX_PODS = 250

SPOT_LABEL = "kubernetes.azure.com/scalesetpriority"
ACCELERATOR_LABEL_SET = True
SYSTEM_COMMON_LABELS = False  # the AKS system pool carries only aiinfra.dev/role and aiinfra.dev/pool (components/azure/cluster.py)


def reserved(instance_type: str, vcpus: int, memory_gib: float) -> Reserved:
    cpu = max((m for cores, m in CPU_TABLE if cores <= max(vcpus, 1)), default=CPU_TABLE[0][1])
    kube = min(MEMORY_PER_POD_MIB * MAX_PODS + MEMORY_BASE_MIB, MEMORY_MAX_FRACTION * memory_gib * 1024)
    notes = () if vcpus in dict(CPU_TABLE) else (f"{vcpus} cores is not a column of AKS's CPU table: {cpu}m assumed",)
    return Reserved(cpu, round(kube) + EVICTION_MIB, MAX_PODS, notes)


def cloud_labels(pool, instance_type: str, region: str) -> dict[str, set[str]]:
    zones = [pool.zone] if pool.zone else list(pool.zones)
    labels = {
        "node.kubernetes.io/instance-type": {instance_type},
        "kubernetes.io/os": {"linux"},
        "topology.kubernetes.io/region": {region},
        "topology.kubernetes.io/zone": {f"{region}-{z}" for z in zones} or {"0"},
    }
    if pool.capacity == "spot":
        labels[SPOT_LABEL] = {"spot"}
    return labels


def aiinfra_labels(pool) -> dict[str, str]:
    """What components/azure/gpu_pool.node_labels adds: InfiniBand pools' fabric and domain labels."""
    if pool.fabric_kind == "infiniband":
        return {"aiinfra.dev/fabric": "infiniband", "aiinfra.dev/ib-domain": pool.name}
    return {}


def extended_resources(env, pool) -> dict[str, int]:
    """One rdma/ib per HCA on InfiniBand pools, where the platform installs the network operator's RDMA device
    plugin (with mlops.gpu_operator; components/kubernetes/addons/gpu.py infiniband_objects)."""
    if pool.fabric_kind == "infiniband" and pool.fabric and pool.fabric.interfaces and env.mlops.gpu_operator:
        return {"rdma/ib": pool.fabric.interfaces}
    return {}
