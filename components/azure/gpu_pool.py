"""AKS node pools (one VM scale set each): GPU pools with the driver choice, GPU taint and labels, spot,
autoscaling bounds and encryption at host; InfiniBand on ND sizes.

InfiniBand needs nothing on the pool itself: Azure links the ND VMs of one scale set over IB once the
subscription feature Microsoft.ContainerService/AKSInfinibandSupport is registered (gpu-fabrics.md §3.2).
So one pool is one IB domain; the preview says so, and the nodes carry a label naming the domain.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_azure_native as az

from aiinfra.components.base import gpu_pool as base_pool
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.gpu_pool import PoolCommon
from aiinfra.components.base.util import child, merge_tags
from aiinfra.problems import Problem
from aiinfra.resolve.zones import choose as choose_zones

NVIDIA_TAINT = ("nvidia.com/gpu", "true", "NoSchedule")
GPU_TAINT = "{}={}:{}".format(*NVIDIA_TAINT)
# AKS puts these taints on spot nodes itself (catalog capacity_taints); declaring them keeps Pulumi from seeing drift.
# The taint AKS itself puts on spot nodes: the default for callers outside an Environment, which passes the
# resolved ResolvedPool.taints (catalog capacity_taints; a test keeps the two equal).
SPOT_TAINTS = ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]
GPU_DRIVER = {"aks": "Install", "none": "None"}
UBUNTU_2404 = "Ubuntu2404"
RESERVATION_GROUP = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/capacityReservationGroups/[^/]+$", re.I)


@dataclass
class NodePoolArgs(PoolCommon):
    """The common pool fields (components.base.gpu_pool.PoolCommon, keyword-only) plus AKS's own. The AKS pool name is
    derived from `pool` (default: the component name); `reservation` is a capacity reservation group's ARM id."""

    resource_group_name: pulumi.Input[str]
    cluster_name: pulumi.Input[str]
    node_subnet_id: pulumi.Input[str]
    vm_size: str = "Standard_D4s_v5"
    infiniband: bool = False
    gpu_driver: Literal["aks", "none"] = "aks"
    spot_max_price: float = -1.0
    zones: list[str] = field(default_factory=list, metadata={"doc": "the region's zones the network uses; [] where it has none"})
    capacity_taints: list[str] | None = field(default=None, metadata={"doc": "taints AKS puts on these nodes itself (ResolvedPool.taints); None: SPOT_TAINTS on spot"})
    autoscale: bool = field(default=True, metadata={"doc": "False (cluster.autoscaling: none): the pool is held at nodes_min"})
    cluster_identity_principal_id: pulumi.Input[str] | None = field(
        default=None, metadata={"doc": "the cluster's user-assigned identity: a reservation group needs it as Contributor on the group's resource group"}
    )


def agent_pool_name(pool: str) -> str:
    """AKS Linux pool names are 1-12 lowercase letters and digits, starting with a letter."""
    clean = re.sub("[^a-z0-9]", "", pool.lower())
    if clean[:1].isalpha() and len(clean) <= 12:
        return clean
    return ("p" + clean if not clean[:1].isalpha() else clean)[:7] + hashlib.sha256(pool.encode()).hexdigest()[:5]


def pool_zones(args: NodePoolArgs) -> list[str] | None:
    """GPU pools stay regional unless pinned: pinning zones makes scarce GPU sizes fail with 'not available
    in zone' (Azure/AKS#1444). CPU pools spread over the network's zones. None where the region has none."""
    if args.zone:
        return [args.zone]  # check() keeps it among the region's zones
    return choose_zones(args.zones, None, regional=bool(args.gpu))


def gpu_profile(args: NodePoolArgs) -> az.containerservice.GPUProfileArgs | None:
    """AKS installs NVIDIA drivers only: on NVIDIA pools per gpu_driver; on AMD pools never (driver None), since the
    AMD GPU operator loads amdgpu (accelerators-capacity-data.md §3.1; its effect on AMD sizes is unverified)."""
    if not args.gpu:
        return None
    driver = GPU_DRIVER[args.gpu_driver] if args.accelerator_family == "nvidia" else GPU_DRIVER["none"]
    return az.containerservice.GPUProfileArgs(driver=driver)


def os_sku(args: NodePoolArgs) -> str:
    """Grace GPU sizes (ND GB200/GB300 v6, arm64) run only the Ubuntu 24.04 node image (gpu-fabrics.md §3.2,
    ai-infrastructure-on-azure); AKS picks the arm64 build of it by VM size."""
    return UBUNTU_2404 if args.gpu and args.architecture == "arm64" else "Ubuntu"


def node_labels(args: NodePoolArgs, name: str = "") -> dict[str, str]:
    labels = base_pool.node_labels(name, args)
    if args.infiniband:
        labels.update({"aiinfra.dev/fabric": "infiniband", "aiinfra.dev/ib-domain": args.pool_label(name)})
    return merge_tags(labels, args.labels)


def check(args: NodePoolArgs) -> list[Problem]:
    """The common pool contract plus AKS's: InfiniBand only on GPU sizes, a reservation group's ARM id, a spot
    price cap, a pinned zone among the region's."""
    problems = base_pool.check(args)
    if args.infiniband and not args.gpu:
        problems.append(Problem("infiniband", "InfiniBand is only offered on ND GPU sizes", value=True))
    if args.capacity == "reserved" and args.reservation and not RESERVATION_GROUP.match(args.reservation):
        problems.append(
            Problem(
                "reservation",
                "capacity 'reserved' on Azure needs the ARM id of a capacity reservation group",
                "/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Compute/capacityReservationGroups/<name>",
                args.reservation,
            )
        )
    if args.spot_max_price != -1 and args.spot_max_price <= 0:
        problems.append(Problem("spot_max_price", "spot_max_price is -1 (up to the on-demand price) or a positive USD price per hour", value=args.spot_max_price))
    if args.capacity == "reserved" and args.reservation and args.cluster_identity_principal_id is None:
        problems.append(Problem("cluster_identity_principal_id", "a capacity reservation group needs the cluster's user-assigned identity (AKS refuses system-assigned ones)"))
    if args.capacity == "flex-start" or args.queued or args.reservation_kind == "capacity-block" or args.reservation_block:
        problems.append(Problem("capacity", "AKS pools take on-demand, spot or a capacity reservation group", value=args.capacity))
    if args.zone and args.zone not in args.zones:
        problems.append(Problem("zone", f"zone {args.zone!r} is not one of the region's zones {args.zones}", value=args.zone))
    return problems


def reservation_grant(name: str, args: NodePoolArgs, parent: pulumi.Resource) -> az.authorization.RoleAssignment:
    """Contributor for the cluster identity on the resource group holding the capacity reservation group."""
    from aiinfra.components.azure.identity import grant

    assert args.reservation and args.cluster_identity_principal_id is not None
    parts = args.reservation.split("/")
    group_scope = "/".join(parts[:5])  # /subscriptions/<sub>/resourceGroups/<rg>
    return grant(f"{name}-crg-contributor", "Contributor", group_scope, args.cluster_identity_principal_id, parts[2], parent)


class NodePool(pulumi.ComponentResource):
    """One AKS user node pool."""

    pool_name: pulumi.Output[str]
    zones: list[str] | None
    agent_pool: az.containerservice.AgentPool

    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:NodePool", name, None, opts)
        raise_if("aiinfra:azure:NodePool", name, check(args))
        pool = args.pool_label(name)
        zones = pool_zones(args)
        spot = args.capacity == "spot"
        autoscale = args.nodes_min != args.nodes_max and args.autoscale
        held = {"aiinfra.dev/nodes-max": str(args.nodes_max)} if args.nodes_min != args.nodes_max and not args.autoscale else {}
        scaling = dict(enable_auto_scaling=True, min_count=args.nodes_min, max_count=args.nodes_max, count=args.nodes_min) if autoscale else dict(
            enable_auto_scaling=False, count=args.nodes_min if held else args.nodes_max
        )
        cloud_taints = args.capacity_taints if args.capacity_taints is not None else (SPOT_TAINTS if spot else [])
        t = args.taint(NVIDIA_TAINT)
        taints = ([f"{t[0]}={t[1]}:{t[2]}"] if t else []) + list(cloud_taints)
        # A surge node for a scarce GPU size may never come; replace GPU nodes one at a time instead.
        upgrade = (
            az.containerservice.AgentPoolUpgradeSettingsArgs(max_surge="0", max_unavailable="1")
            if args.gpu
            else az.containerservice.AgentPoolUpgradeSettingsArgs(max_surge="33%")
        )
        reserved = args.capacity == "reserved" and args.reservation
        # AKS associates the pool with the group as the cluster's identity: Contributor on the group's resource group
        # (learn.microsoft.com/azure/aks/use-capacity-reservation-groups; the grant may take minutes to propagate).
        grants = [reservation_grant(name, args, self)] if reserved else []
        agent_pool = az.containerservice.AgentPool(
            f"{name}-pool",
            agent_pool_name=agent_pool_name(pool),
            resource_name_=args.cluster_name,
            resource_group_name=args.resource_group_name,
            mode="User",
            os_type="Linux",
            os_sku=os_sku(args),
            type="VirtualMachineScaleSets",
            vm_size=args.vm_size,
            vnet_subnet_id=args.node_subnet_id,
            availability_zones=zones,
            scale_set_priority="Spot" if spot else "Regular",
            scale_set_eviction_policy="Delete" if spot else None,
            spot_max_price=args.spot_max_price if spot else None,
            capacity_reservation_group_id=args.reservation if args.capacity == "reserved" else None,
            gpu_profile=gpu_profile(args),
            node_taints=taints,
            node_labels=node_labels(args, name),
            enable_encryption_at_host=True,
            enable_node_public_ip=False,
            os_disk_size_gb=args.disk_gib,
            upgrade_settings=upgrade,
            tags=merge_tags(args.tags, {"aiinfra.dev/pool": pool, **held}),
            # The autoscaler owns the live size; Pulumi owns only the bounds.
            opts=child(self, ignore_changes=["count"] if autoscale else [], depends_on=grants),
            **scaling,
        )
        self.agent_pool = agent_pool
        self.zones = zones
        self.pool_name = agent_pool.name
        self.register_outputs({"pool_name": self.pool_name, "zones": zones})

    @property
    def agent_pool_name(self) -> pulumi.Output[str]:
        """Renamed: every cloud's pool names its pool `pool_name`."""
        warnings.warn("NodePool.agent_pool_name is now NodePool.pool_name", DeprecationWarning, stacklevel=2)
        return self.pool_name
