"""EKS (AL2023 nodeadm) node facts for the fit check: the labels EKS puts on managed node group nodes and the
kubelet reservations nodeadm configures.

Source: awslabs/amazon-eks-ami nodeadm/internal/kubelet/config.go @ e48b98ad65e7 (withDefaultReservedResources,
getCPUMillicoresToReserve, getMemoryMebibytesToReserve, defaultKubeletSubConfig): kubeReserved cpu = 6% of the
first core, 1% of the second, 0.5% of cores 3-4, 0.25% of the rest; kubeReserved memory = 11 MiB x maxPods + 255
MiB; evictionHard memory.available 100Mi; no systemReserved. maxPods from nodeadm/internal/kubelet/eni-max-pods.txt
@ 5e1334f235bf (ENIs x (IPv4 per ENI - 1) + 2), rows for the catalog's types; a type not in it gets nodeadm's
default of 110 (marked). A managed node group may pass its own maxPods to nodeadm (unverified here).
"""

from __future__ import annotations

from aiinfra.components.base.allocatable import Reserved, tiered

CPU_TIERS = ((1, 0.06), (1, 0.01), (2, 0.005), (None, 0.0025))  # (cores, fraction reserved)
MEMORY_PER_POD_MIB = 11
MEMORY_BASE_MIB = 255
EVICTION_MIB = 100
DEFAULT_MAX_PODS = 110  # nodeadm max_pods.go defaultMaxPods, when the type is not in eni-max-pods.txt

MAX_PODS = {
    "c6i.2xlarge": 58, "g4dn.xlarge": 29, "g5.xlarge": 58, "g5.2xlarge": 58, "g5.8xlarge": 234, "g5.12xlarge": 737,
    "g5.16xlarge": 234, "g5.24xlarge": 737, "g5.48xlarge": 345, "g5g.xlarge": 58, "g6.xlarge": 58, "g6.8xlarge": 234,
    "g6.12xlarge": 234, "g6.16xlarge": 737, "g6.48xlarge": 737, "g6e.xlarge": 58, "g6e.8xlarge": 234, "g6e.12xlarge": 292,
    "g6e.16xlarge": 737, "g6e.48xlarge": 492, "gr6.4xlarge": 234, "inf2.xlarge": 58, "inf2.8xlarge": 234,
    "inf2.24xlarge": 737, "inf2.48xlarge": 737, "m6i.large": 29, "m6i.xlarge": 58, "m6i.2xlarge": 58, "m6i.4xlarge": 234,
    "m6i.8xlarge": 234, "p3.8xlarge": 234, "p3dn.24xlarge": 737, "p4d.24xlarge": 737, "p4de.24xlarge": 737,
    "p5.48xlarge": 100, "p5e.48xlarge": 100, "p5en.48xlarge": 198, "trn1.2xlarge": 58, "trn1.32xlarge": 247,
    "trn1n.32xlarge": 247, "trn2.48xlarge": 100,
}

# Labels EKS and the kubelet set on every managed node group node (EKS user guide "managed-node-groups";
# Kubernetes well-known labels); eks.amazonaws.com/nodegroup is left out: the group's name is chosen at deploy time.
CAPACITY_LABEL = "eks.amazonaws.com/capacityType"
CAPACITY_VALUES = {"on-demand": "ON_DEMAND", "spot": "SPOT", "reserved": "ON_DEMAND", "capacity-block": "CAPACITY_BLOCK"}


def reserved(instance_type: str, vcpus: int, memory_gib: float) -> Reserved:
    pods = MAX_PODS.get(instance_type)
    notes = () if pods else (f"{instance_type} is not in nodeadm's eni-max-pods.txt: maxPods {DEFAULT_MAX_PODS} assumed",)
    pods = pods or DEFAULT_MAX_PODS
    cpu = round(tiered(vcpus * 1000, [(None if w is None else w * 1000, f) for w, f in CPU_TIERS]))
    return Reserved(cpu, MEMORY_PER_POD_MIB * pods + MEMORY_BASE_MIB + EVICTION_MIB, pods, notes)


def cloud_labels(pool, instance_type: str, region: str) -> dict[str, set[str]]:
    kind = "capacity-block" if pool.reservation_kind == "capacity-block" else pool.capacity
    zones = [pool.zone] if pool.zone else list(pool.zones)
    return {
        "node.kubernetes.io/instance-type": {instance_type},
        "kubernetes.io/os": {"linux"},
        "topology.kubernetes.io/region": {region},
        "topology.kubernetes.io/zone": set(zones),
        CAPACITY_LABEL: {CAPACITY_VALUES.get(kind, "ON_DEMAND")},
    }


def aiinfra_labels(pool) -> dict[str, str]:
    """What components/aws/gpu_pool.node_labels adds to the common labels: EFA types' fabric labels."""
    if pool.fabric_kind == "efa" and pool.fabric and pool.fabric.interfaces:
        return {"aiinfra.dev/fabric": "efa", "vpc.amazonaws.com/efa.present": "true"}
    return {}


ACCELERATOR_LABEL_SET = True
SYSTEM_COMMON_LABELS = True  # the system pool gets components/base/gpu_pool.node_labels like any pool


def extended_resources(env, pool) -> dict[str, int]:
    """Device-plugin resources beyond the accelerator: EFA interfaces, where the platform installs
    aws-efa-k8s-device-plugin (with mlops.gpu_operator; components/kubernetes/addons/plan.py)."""
    if pool.fabric_kind == "efa" and pool.fabric and pool.fabric.interfaces and env.mlops.gpu_operator:
        return {"vpc.amazonaws.com/efa": pool.fabric.interfaces}
    return {}
