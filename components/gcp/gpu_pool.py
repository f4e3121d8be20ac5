"""GKE node pools: GPU pools with GKE-installed drivers, GPUDirect NICs and compact placement, TPU pools (single-host,
or multi-host slices placed by their topology), and CPU pools.

GPU NICs follow gpu-fabrics.md §1.4: one `additional_node_network_configs` entry per extra network or
RDMA subnet. GKE sizes regional pools per zone; aiinfra's bounds are totals, so the pool uses
total_min/total_max autoscaling.
"""

from __future__ import annotations

import dataclasses
import math
import re
import warnings
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from aiinfra.components.base import gpu_pool as base_pool
from aiinfra.components.base.errors import ComponentInputError, raise_if
from aiinfra.components.base.gpu_pool import PoolCommon
from aiinfra.components.base.util import child, merge_tags
from aiinfra.components.gcp.labels import gcp_labels
from aiinfra.components.gcp.network import GpuNic
from aiinfra.problems import Problem
from aiinfra.resolve.zones import choose as choose_zones

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
# One driver channel for every GPU: B200 (A4) needs >= 570, which only LATEST gives on GKE 1.32 (gpu-fabrics.md §1.6).
GPU_DRIVER_VERSION = "LATEST"
CLASS_LABEL = "cloud.google.com/compute-class"  # components/gcp/compute_class.py: a node pool joins its class by label and taint
# GKE's own device plugin stays off DRA GPU nodes, and GKE installs no driver there: "automatic GPU driver installation
# isn't supported with DRA" (GKE "set-up-dra": gpu-driver-version=disabled and this label; k8s-ai-2026.md §5.4). The
# driver comes from Google's installer DaemonSet (gcp facts dra_driver_installers).
DRA_GPU_LABELS = {"gke-no-default-nvidia-gpu-device-plugin": "true"}
DRA_DRIVER_VERSION = "INSTALLATION_DISABLED"
POOL_NAME = re.compile(r"^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$")


@dataclass
class NodePoolArgs(PoolCommon):
    """The common pool fields (components.base.gpu_pool.PoolCommon, keyword-only) plus GKE's own. `pool` is also the
    GKE pool name."""

    project: str
    cluster: pulumi.Input[str] = field(metadata={"doc": "cluster id (projects/<p>/locations/<r>/clusters/<n>)"})
    location: str = field(default="", metadata={"doc": "the cluster's region"})
    candidate_zones: list[str] = field(default_factory=list, metadata={"doc": "zones of the region the pool may use"})
    machine_type: str = "e2-standard-4"
    accelerator_type: str | None = None
    fabric_kind: str | None = None
    gpu_nics: list[GpuNic] = field(default_factory=list)
    compact_placement: bool = False
    disk_type: str | None = None
    local_ssd_count: int = 0
    service_account: pulumi.Input[str] | None = None
    node_prerequisites: list[pulumi.Resource] = field(default_factory=list)
    compute_class: str | None = field(default=None, metadata={"doc": "the ComputeClass the pool joins (its label and NoSchedule taint)"})
    autoscale: bool = field(default=True, metadata={"doc": "False (cluster.autoscaling: none): the pool is held at nodes_min"})


def check(args: NodePoolArgs, name: str = "") -> list[Problem]:
    """The common pool contract plus GKE's: a valid pool name, an accelerator type for a GPU, the region's zones."""
    problems = base_pool.check(args)
    pool_name = args.pool_label(name)
    if not POOL_NAME.match(pool_name):
        problems.append(Problem("pool", f"GKE node pool names are lowercase, up to 40 characters: {pool_name!r}", value=pool_name))
    if args.gpu and not args.accelerator_type:
        problems.append(Problem("accelerator_type", "a GPU pool needs the GKE accelerator type (gpu, gpus_per_node and accelerator_type go together)"))
    if not args.candidate_zones:
        problems.append(Problem("candidate_zones", "candidate_zones lists the region's zones"))
    elif args.zone and args.zone not in args.candidate_zones:
        problems.append(Problem("zone", f"zone {args.zone} is not in the region's zones {sorted(args.candidate_zones)}", value=args.zone))
    if args.reservation_block and not args.zone:
        problems.append(Problem("zone", "a reservation block is in one zone: pin the pool to it (node_locations)"))
    if args.reservation_kind == "capacity-block":
        problems.append(Problem("reservation_kind", "Compute Engine has no capacity blocks; name a reservation (and its block)", value=args.reservation_kind))
    return problems


def offered_zones(project: str, machine_type: str, candidates: list[str]) -> list[str]:
    """Zones among the candidates whose Compute API lists the machine type; GPU machine types exist only in some zones."""
    offered = []
    for zone in candidates:
        found = gcp.compute.get_machine_types(project=project, zone=zone, filter=f'name = "{machine_type}"')
        if any(t.name == machine_type for t in found.machine_types or []):
            offered.append(zone)
    return offered


def pick_zones(project: str, machine_type: str, candidates: list[str], zone: str | None, single: bool, name: str = "") -> list[str]:
    """Raises ComponentInputError (paths `zone`, `machine_type`) where the machine type is not offered."""

    def fail(path: str, message: str, value: str | None) -> ComponentInputError:
        return ComponentInputError("aiinfra:gcp:NodePool", name, [Problem(path, message, value=value)])

    zones = offered_zones(project, machine_type, candidates)
    if zone:
        if zone not in candidates:
            raise fail("zone", f"zone {zone} is not in the region's zones {sorted(candidates)}", zone)
        if zone not in zones:
            raise fail("zone", f"{machine_type} is not offered in {zone}; offered in: {', '.join(zones) or 'none of ' + ', '.join(candidates)}", zone)
    elif not zones:
        raise fail("machine_type", f"{machine_type} is not offered in any of the zones {sorted(candidates)}", machine_type)
    # GPUDirect NICs and compact placement need every node in one zone.
    return choose_zones(zones, zone, one=single) or []


def node_labels(name: str, args: NodePoolArgs) -> dict[str, str]:
    # GKE labels its GPU nodes itself (cloud.google.com/gke-accelerator): no `accelerator` label. TPU labels
    # (gke-tpu-accelerator, gke-tpu-topology) are set explicitly too, as cluster-toolkit does (accelerators-capacity-data.md §1.2).
    labels = base_pool.node_labels(name, args, accelerator_label=False)
    if args.fabric_kind:
        labels["aiinfra.dev/fabric"] = args.fabric_kind
    if args.compute_class:
        labels[CLASS_LABEL] = args.compute_class
    if args.gpu and args.dra:
        labels.update(DRA_GPU_LABELS)
    return merge_tags({**labels, **args.accelerator_labels}, args.labels)


def multi_host(args: NodePoolArgs) -> bool:
    """A multi-host TPU slice: more chips in the topology than on one node."""
    if not args.topology or not args.gpus_per_node:
        return False
    return math.prod(int(d) for d in args.topology.split("x")) > args.gpus_per_node


def guest_accelerators(args: NodePoolArgs) -> list[gcp.container.NodePoolNodeConfigGuestAcceleratorArgs] | None:
    """NVIDIA GPUs attach to the VM with a GKE-installed driver (none on DRA GPU pools); TPU machine types carry their
    chips (no guest accelerator)."""
    if args.accelerator_family != "nvidia":
        return None
    version = DRA_DRIVER_VERSION if args.dra else GPU_DRIVER_VERSION
    return [
        gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
            type=args.accelerator_type,
            count=args.gpus_per_node,
            gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(gpu_driver_version=version),
        )
    ]


def taints(args: NodePoolArgs) -> list[gcp.container.NodePoolNodeConfigTaintArgs] | None:
    t = args.taint((GPU_TAINT["key"], GPU_TAINT["value"], "NoSchedule"))
    found = [t] if t else []
    if args.compute_class:
        found.append((CLASS_LABEL, args.compute_class, "NoSchedule"))
    return [gcp.container.NodePoolNodeConfigTaintArgs(key=k, value=v, effect=base_pool.EFFECT_ENUM[e]) for k, v, e in found] or None


def size(args: NodePoolArgs, zones: list[str]) -> dict:
    """A multi-host TPU slice is created and scaled whole: a fixed node_count, or per-zone bounds in its one zone
    (cluster-toolkit's workaround for the provider's total_* bounds with TPUs); other pools autoscale on totals."""
    if not args.autoscale and args.nodes_min < args.nodes_max:
        # Held at its minimum; the range stays visible (resource label NODES_MAX_LABEL) for policy AI-K8S-011.
        if not args.nodes_min:
            return {"node_count": 0}
        args = dataclasses.replace(args, nodes_max=args.nodes_min)
    if multi_host(args):
        if args.nodes_min == args.nodes_max:
            return {"node_count": args.nodes_max}
        return {
            "initial_node_count": args.nodes_min,
            "autoscaling": gcp.container.NodePoolAutoscalingArgs(min_node_count=args.nodes_min, max_node_count=args.nodes_max, location_policy="ANY"),
        }
    return {
        "initial_node_count": math.ceil(args.nodes_min / len(zones)),
        "autoscaling": gcp.container.NodePoolAutoscalingArgs(
            total_min_node_count=args.nodes_min,
            total_max_node_count=args.nodes_max,
            # ANY takes GPUs wherever there is capacity; BALANCED spreads CPU nodes over zones.
            location_policy="ANY" if args.gpu else "BALANCED",
        ),
    }


RESERVATION_KEY = "compute.googleapis.com/reservation-name"
# Machine families that take compact placement with flex-start (cluster-toolkit gke-node-pool preconditions).
FLEX_START_COMPACT = ("a3-ultragpu-", "a4-", "h4d-")


def reservation_affinity(args: NodePoolArgs) -> gcp.container.NodePoolNodeConfigReservationAffinityArgs | None:
    """SPECIFIC_RESERVATION names one reservation, or one block of it as <reservation>/reservationBlocks/<block>;
    spot and flex-start nodes must not consume reservations (NO_RESERVATION)."""
    if args.reservation:
        value = f"{args.reservation}/reservationBlocks/{args.reservation_block}" if args.reservation_block else args.reservation
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(consume_reservation_type="SPECIFIC_RESERVATION", key=RESERVATION_KEY, values=[value])
    if args.capacity in ("spot", "flex-start"):
        return gcp.container.NodePoolNodeConfigReservationAffinityArgs(consume_reservation_type="NO_RESERVATION")
    return None


def compact_allowed(args: NodePoolArgs) -> bool:
    """A reservation decides placement itself; queued provisioning refuses COMPACT for GPUs, and flex-start takes it
    only on the newest GPU families."""
    if not args.compact_placement or args.reservation or args.queued:
        return False
    return args.capacity != "flex-start" or args.machine_type.startswith(FLEX_START_COMPACT)


NODES_MAX_LABEL = "aiinfra.dev/nodes-max"


def held_range(args: NodePoolArgs) -> dict[str, str]:
    """The maximum a pool held at its minimum was asked to reach (nothing scales it)."""
    return {NODES_MAX_LABEL: str(args.nodes_max)} if not args.autoscale and args.nodes_min < args.nodes_max else {}


def node_config(name: str, args: NodePoolArgs) -> gcp.container.NodePoolNodeConfigArgs:
    accelerators = guest_accelerators(args)
    return gcp.container.NodePoolNodeConfigArgs(
        machine_type=args.machine_type,
        image_type="COS_CONTAINERD",
        disk_size_gb=args.disk_gib,
        disk_type=args.disk_type,
        guest_accelerators=accelerators,
        gvnic=gcp.container.NodePoolNodeConfigGvnicArgs(enabled=True),
        spot=args.capacity == "spot",
        flex_start=True if args.capacity == "flex-start" else None,
        reservation_affinity=reservation_affinity(args),
        ephemeral_storage_local_ssd_config=(
            gcp.container.NodePoolNodeConfigEphemeralStorageLocalSsdConfigArgs(local_ssd_count=args.local_ssd_count) if args.local_ssd_count else None
        ),
        shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(enable_secure_boot=True, enable_integrity_monitoring=True),
        workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
        metadata={"disable-legacy-endpoints": "true"},
        service_account=args.service_account,
        oauth_scopes=[CLOUD_PLATFORM],
        labels=node_labels(name, args),
        resource_labels=gcp_labels(merge_tags(args.tags, {"aiinfra.dev/pool": name, **held_range(args)})),
        taints=taints(args),
    )


def accelerator_topology(args: NodePoolArgs) -> str:
    """GKE's name of an NVLink domain's shape: 1x<GPUs in the domain> (A4X: 1x72)."""
    return f"1x{args.nvlink_domain.nodes * args.gpus_per_node}"


def workload_policy(name: str, args: NodePoolArgs, parent: pulumi.Resource) -> gcp.compute.ResourcePolicy:
    return gcp.compute.ResourcePolicy(
        f"{name}-workload-policy",
        project=args.project,
        region=args.location,
        workload_policy=gcp.compute.ResourcePolicyWorkloadPolicyArgs(type="HIGH_THROUGHPUT", accelerator_topology=accelerator_topology(args)),
        opts=child(parent),
    )


class NodePool(pulumi.ComponentResource):
    """One GKE node pool. GPU pools get the accelerator with a GKE-installed driver and a GPU taint; GPUDirect
    types get every GPU NIC network and, unless a reservation places them, compact placement in one zone."""

    pool_name: pulumi.Output[str]
    zones: list[str]
    node_pool: gcp.container.NodePool
    gpu_nics: list[GpuNic]

    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None, legacy_opts: pulumi.ResourceOptions | None = None):
        if isinstance(args, str):
            # The old signature NodePool(name, pool_name, args, opts): the pool name is now args.pool.
            warnings.warn("gcp.NodePool(name, pool_name, args, opts) is now NodePool(name, args, opts) with args.pool=pool_name", DeprecationWarning, stacklevel=2)
            args, opts = dataclasses.replace(opts, pool=args), legacy_opts  # type: ignore[type-var, assignment]
        super().__init__("aiinfra:gcp:NodePool", name, None, opts)
        raise_if("aiinfra:gcp:NodePool", name, check(args, name))
        pool_name = args.pool_label(name)

        slice_ = multi_host(args)
        single = bool(args.gpu_nics) or args.compact_placement or slice_ or args.nvlink_domain is not None
        zones = pick_zones(args.project, args.machine_type, args.candidate_zones, args.zone, single, name)
        extra: dict = {}
        if args.gpu_nics:
            extra["network_config"] = gcp.container.NodePoolNetworkConfigArgs(
                additional_node_network_configs=[
                    gcp.container.NodePoolNetworkConfigAdditionalNodeNetworkConfigArgs(network=n.network, subnetwork=n.subnetwork) for n in args.gpu_nics
                ]
            )
        if args.nvlink_domain is not None:
            # An NVL72 sub-block: a HIGH_THROUGHPUT workload policy with accelerator_topology 1x72 as the node pool's
            # COMPACT placement policy, reservation or not (cluster-toolkit examples/gke-a4x, modules/compute/resource-policy).
            policy = workload_policy(name, args, self)
            extra["placement_policy"] = gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", policy_name=policy.name)
        elif slice_:
            # A multi-host TPU slice needs its topology, reservation or not (accelerators-capacity-data.md §1.2).
            extra["placement_policy"] = gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT", tpu_topology=args.topology)
        elif compact_allowed(args):
            extra["placement_policy"] = gcp.container.NodePoolPlacementPolicyArgs(type="COMPACT")
        if args.queued:
            extra["queued_provisioning"] = gcp.container.NodePoolQueuedProvisioningArgs(enabled=True)
        pool = gcp.container.NodePool(
            f"{name}-np",
            name=pool_name,
            project=args.project,
            cluster=args.cluster,
            location=args.location,
            node_locations=zones,
            # GKE refuses auto-repair on flex-start pools: a repaired node would be a new flex-start request.
            management=gcp.container.NodePoolManagementArgs(auto_repair=args.capacity != "flex-start", auto_upgrade=True),
            # GPU nodes are too scarce to surge: replace one at a time (gpu-fabrics.md §1.4).
            upgrade_settings=gcp.container.NodePoolUpgradeSettingsArgs(
                strategy="SURGE", max_surge=0 if args.gpu else 1, max_unavailable=1 if args.gpu else 0
            ),
            node_config=node_config(pool_name, args),
            # The autoscaler owns the live size; Pulumi owns only the bounds.
            opts=child(self, ignore_changes=["initialNodeCount", "nodeCount"], depends_on=args.node_prerequisites),
            **size(args, zones),
            **extra,
        )
        self.zones = zones
        self.node_pool = pool
        self.gpu_nics = list(args.gpu_nics)
        self.pool_name = pool.name
        self.register_outputs({"pool_name": self.pool_name, "zones": zones})
