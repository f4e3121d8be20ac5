"""GKE (Standard node pools) node facts for the fit check: the labels GKE puts on nodes and the reservations it
documents.

Source: GKE "Plan GKE Standard node sizes" (cloud.google.com/kubernetes-engine/docs/concepts/plan-node-sizes,
"Memory and CPU reservations"), read 2026-12-07: memory 255 MiB on machines under 1 GiB, else 25% of the first 4 GiB,
20% of the next 4, 10% of the next 8, 6% of the next 112 and 2% above 128 GiB; CPU 6% of the first core, 1% of the
next, 0.5% of the next 2 and 0.25% above 4 cores; an eviction threshold of 100 MiB. GKE's own DaemonSets (logging,
metrics, the GPU driver installer) take requests on top of this; they are not modelled.
"""

from __future__ import annotations

from aiinfra.components.base.allocatable import Reserved, tiered

GIB_MIB = 1024
CPU_TIERS = ((1, 0.06), (1, 0.01), (2, 0.005), (None, 0.0025))
MEMORY_TIERS = ((4 * GIB_MIB, 0.25), (4 * GIB_MIB, 0.20), (8 * GIB_MIB, 0.10), (112 * GIB_MIB, 0.06), (None, 0.02))
SMALL_MACHINE_MIB = 255  # machines with less than 1 GiB
EVICTION_MIB = 100
MAX_PODS = 110  # GKE Standard's default maximum Pods per node (VPC-native)

SPOT_LABEL = "cloud.google.com/gke-spot"
NODE_POOL_LABEL = "cloud.google.com/gke-nodepool"
ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator"


def reserved(instance_type: str, vcpus: int, memory_gib: float) -> Reserved:
    memory = memory_gib * GIB_MIB
    mem = SMALL_MACHINE_MIB if memory < GIB_MIB else tiered(memory, MEMORY_TIERS)
    cpu = tiered(vcpus * 1000, [(None if w is None else w * 1000, f) for w, f in CPU_TIERS])
    return Reserved(round(cpu), round(mem) + EVICTION_MIB, MAX_PODS)


def cloud_labels(pool, instance_type: str, region: str) -> dict[str, set[str]]:
    machine = pool.machine_type or instance_type
    zones = [pool.zone] if pool.zone else list(pool.zones)
    labels = {
        "node.kubernetes.io/instance-type": {machine},
        "cloud.google.com/machine-family": {machine.split("-")[0]},
        NODE_POOL_LABEL: {pool.name},
        "kubernetes.io/os": {"linux"},
        "topology.kubernetes.io/region": {region},
        "topology.kubernetes.io/zone": set(zones),
    }
    if pool.capacity == "spot":
        labels[SPOT_LABEL] = {"true"}
    if pool.accelerator_type and (pool.family or "nvidia") == "nvidia":
        labels[ACCELERATOR_LABEL] = {pool.accelerator_type}
    return labels


def aiinfra_labels(pool) -> dict[str, str]:
    """What components/gcp/gpu_pool.node_labels adds: the fabric label and the accelerator's own labels (TPU),
    and no `accelerator` label (GKE labels GPU nodes itself); nodes of a ComputeClass carry its label
    (components/gcp/compute_class.py)."""
    labels = {"aiinfra.dev/fabric": pool.fabric_kind} if pool.fabric_kind else {}
    if getattr(pool, "compute_class", None):
        labels["cloud.google.com/compute-class"] = pool.compute_class
    return {**labels, **pool.accelerator_labels}


ACCELERATOR_LABEL_SET = False  # components/base/gpu_pool.node_labels(accelerator_label=False) on GKE
SYSTEM_COMMON_LABELS = True  # the system pool gets components/base/gpu_pool.node_labels like any pool


def extended_resources(env, pool) -> dict[str, int]:
    return {}
