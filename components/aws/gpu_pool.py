"""EKS managed node groups on launch templates: GPU pools with EFA and placement, and plain CPU pools.

EFA layout follows the EKS user guide ("device-management-efa"): network card 0 carries the
primary ENA interface (device 0) and an efa-only interface (device 1); every other card
carries one efa-only interface. That is one EFA interface per network card (32 on
p5.48xlarge) while only one interface takes a VPC IP for pods.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Mapping

import pulumi
import pulumi_aws as aws

from aiinfra.components.base import gpu_pool as base_pool
from aiinfra.components.base.errors import ComponentInputError, raise_if
from aiinfra.components.base.gpu_pool import PoolCommon
from aiinfra.components.base.util import child, merge_tags
from aiinfra.problems import Problem
from aiinfra.resolve.zones import choose as choose_zones

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}
AMI_GPU = "AL2023_x86_64_NVIDIA"
AMI_CPU = "AL2023_x86_64_STANDARD"
# EKS-optimized AMI per (accelerator family, architecture): the NVIDIA ones carry the NVIDIA driver and toolkit, the
# Neuron one the Neuron driver; all the EFA host software (accelerators-capacity-data.md §2.2, BOTO AMITypes). The ARM
# NVIDIA AMI is the one for Grace hosts (p6e-gb200: EKS user guide ml-eks-optimized-ami); there is no ARM Neuron AMI.
AMI_TYPES = {
    (None, "x86_64"): AMI_CPU,
    (None, "arm64"): "AL2023_ARM_64_STANDARD",
    ("nvidia", "x86_64"): AMI_GPU,
    ("nvidia", "arm64"): "AL2023_ARM_64_NVIDIA",
    ("neuron", "x86_64"): "AL2023_x86_64_NEURON",
}
CAPACITY_TYPE = {"on-demand": "ON_DEMAND", "spot": "SPOT", "reserved": "ON_DEMAND"}
# A Capacity Block is its own EKS capacity type and EC2 market type (BOTO eks CapacityTypes, ec2 MarketType).
CAPACITY_BLOCK = "CAPACITY_BLOCK"
CAPACITY_BLOCK_MARKET = "capacity-block"


def capacity_block(args: NodePoolArgs) -> bool:
    return args.capacity == "reserved" and args.reservation_kind == "capacity-block"


@dataclass
class NodePoolArgs(PoolCommon):
    """The common pool fields (components.base.gpu_pool.PoolCommon, keyword-only) plus EKS's own."""

    cluster_name: pulumi.Input[str]
    node_role_arn: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnets: Mapping[str, pulumi.Input[str]] = field(metadata={"doc": "zone -> private subnet id"})
    instance_type: str = "m6i.large"
    efa_interfaces: int = 0
    volume_kms_key_arn: pulumi.Input[str] | None = None
    node_prerequisites: list[pulumi.Resource] = field(default_factory=list, metadata={"doc": "must exist before nodes join, e.g. the CNI add-on"})


def check(args: NodePoolArgs) -> list[Problem]:
    """The common pool contract plus EKS's: an EFA pool is a GPU pool, a pinned zone is one of the network's."""
    problems = base_pool.check(args)
    if args.efa_interfaces < 0 or (args.efa_interfaces and not args.gpu):
        problems.append(Problem("efa_interfaces", "EFA interfaces are for accelerator pools (0 otherwise)", value=args.efa_interfaces))
    if not args.subnets:
        problems.append(Problem("subnets", "the pool needs the network's private subnets (zone -> subnet id)"))
    elif args.zone and args.zone not in args.subnets:
        problems.append(Problem("zone", f"zone {args.zone} is not one of the network's zones {sorted(args.subnets)}", value=args.zone))
    if (args.accelerator_family, args.architecture) not in AMI_TYPES:
        offered = ", ".join(f"{f} on {a}" for f, a in AMI_TYPES if f)
        problems.append(Problem("family", f"EKS has no accelerated AMI for {args.accelerator_family} accelerators on {args.architecture}", f"one of: {offered}", args.family))
    if capacity_block(args) and not args.zone:
        problems.append(Problem("zone", "a Capacity Block lives in one zone: the node group may use only that zone's subnet"))
    if args.reservation_block:
        problems.append(Problem("reservation_block", "EC2 capacity reservations have no blocks", value=args.reservation_block))
    if args.capacity == "flex-start":
        problems.append(Problem("capacity", "EKS has no flex-start capacity; use a Capacity Block (reservation_kind capacity-block)", value=args.capacity))
    return problems


def taints(args: NodePoolArgs) -> list[aws.eks.NodeGroupTaintArgs]:
    """The accelerator's taint (nvidia.com/gpu or aws.amazon.com/neuron): only its pods land on these nodes."""
    t = args.taint((GPU_TAINT["key"], GPU_TAINT["value"], "NoSchedule"))
    return [aws.eks.NodeGroupTaintArgs(key=t[0], value=t[1], effect=base_pool.EFFECT_ENUM[t[2]])] if t else []


def efa_network_interfaces(count: int, security_group_ids: list[pulumi.Input[str]], primary_card_efa: bool = True) -> list[aws.ec2.LaunchTemplateNetworkInterfaceArgs]:
    """One efa-only interface per network card; card 0 also carries the ENA interface pods get IPs from. P6e-GB200
    takes no EFA on card 0 ("the primary NCI (index 0) must be of type interface", EKS user guide
    ml-eks-nvidia-ultraserver): its `count` EFA cards are then 1..count."""
    def nic(card: int, device: int, kind: str) -> aws.ec2.LaunchTemplateNetworkInterfaceArgs:
        return aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            network_card_index=card,
            device_index=device,
            interface_type=kind,
            security_groups=security_group_ids,
            associate_public_ip_address="false",
            delete_on_termination="true",
        )

    if not primary_card_efa:
        return [nic(0, 0, "interface")] + [nic(card, 0, "efa-only") for card in range(1, count + 1)]
    return [nic(0, 0, "interface"), nic(0, 1, "efa-only")] + [nic(card, 0, "efa-only") for card in range(1, count)]


def offered_zones(instance_type: str, candidates: list[str]) -> list[str]:
    """Zones among the network's that offer the type; EC2 does not offer every GPU type in every AZ."""
    found = aws.ec2.get_instance_type_offerings(
        filters=[aws.ec2.GetInstanceTypeOfferingsFilterArgs(name="instance-type", values=[instance_type])],
        location_type="availability-zone",
    )
    offered = set(found.locations or [])
    return [z for z in candidates if z in offered]


def pick_zones(args: NodePoolArgs, name: str = "") -> list[str]:
    zones = offered_zones(args.instance_type, list(args.subnets))
    if args.zone:
        if args.zone not in zones:
            raise ComponentInputError("aiinfra:aws:NodePool", name, [Problem("zone", f"{args.instance_type} is not offered in {args.zone}", value=args.zone)])
    elif not zones:
        raise ComponentInputError(
            "aiinfra:aws:NodePool", args.pool or "", [Problem("instance_type", f"{args.instance_type} is not offered in any of the zones {sorted(args.subnets)}", value=args.instance_type)]
        )
    # A fabric needs every node in one zone and one placement group.
    return choose_zones(zones, args.zone, one=bool(args.efa_interfaces)) or []


def efa_security_group(name: str, vpc_id: pulumi.Input[str], tags: dict[str, str], parent: pulumi.Resource) -> aws.ec2.SecurityGroup:
    sg = aws.ec2.SecurityGroup(
        f"{name}-efa",
        vpc_id=vpc_id,
        description="EFA: all traffic between members of this group only",
        tags=merge_tags(tags, {"Name": f"{name}-efa"}),
        opts=child(parent),
    )
    aws.vpc.SecurityGroupIngressRule(
        f"{name}-efa-in", security_group_id=sg.id, ip_protocol="-1", referenced_security_group_id=sg.id, tags=tags, opts=child(parent)
    )
    aws.vpc.SecurityGroupEgressRule(
        f"{name}-efa-out", security_group_id=sg.id, ip_protocol="-1", referenced_security_group_id=sg.id, tags=tags, opts=child(parent)
    )
    return sg


def launch_template(
    name: str,
    args: NodePoolArgs,
    parent: pulumi.Resource,
    placement_group: aws.ec2.PlacementGroup | None,
    efa_sg: aws.ec2.SecurityGroup | None,
) -> aws.ec2.LaunchTemplate:
    tags = merge_tags(args.tags, {"Name": name})
    extra: dict = {}
    if efa_sg is not None:
        primary = args.fabric.primary_card_efa if args.fabric is not None else True
        extra["network_interfaces"] = efa_network_interfaces(args.efa_interfaces, [args.cluster_security_group_id, efa_sg.id], primary)
    if placement_group is not None:
        extra["placement"] = aws.ec2.LaunchTemplatePlacementArgs(group_name=placement_group.name)
    if args.reservation:
        extra["capacity_reservation_specification"] = aws.ec2.LaunchTemplateCapacityReservationSpecificationArgs(
            capacity_reservation_target=aws.ec2.LaunchTemplateCapacityReservationSpecificationCapacityReservationTargetArgs(
                capacity_reservation_id=args.reservation
            )
        )
    if capacity_block(args):
        # EKS rejects a CAPACITY_BLOCK node group unless its launch template names the market, the block and its type.
        extra["instance_market_options"] = aws.ec2.LaunchTemplateInstanceMarketOptionsArgs(market_type=CAPACITY_BLOCK_MARKET)
        extra["instance_type"] = args.instance_type
    return aws.ec2.LaunchTemplate(
        f"{name}-lt",
        description=f"aiinfra node pool {name}",
        update_default_version=True,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1
        ),
        block_device_mappings=[
            aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name="/dev/xvda",
                ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                    volume_size=args.disk_gib,
                    volume_type="gp3",
                    encrypted="true",
                    kms_key_id=args.volume_kms_key_arn,
                    delete_on_termination="true",
                ),
            )
        ],
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags) for kind in ("instance", "volume")
        ],
        tags=tags,
        opts=child(parent),
        **extra,
    )


def node_labels(name: str, args: NodePoolArgs) -> dict[str, str]:
    labels = base_pool.node_labels(name, args)
    if args.efa_interfaces:
        labels.update({"aiinfra.dev/fabric": "efa", "vpc.amazonaws.com/efa.present": "true"})
    return merge_tags(labels, args.labels)


class NodePool(pulumi.ComponentResource):
    """One EKS managed node group. Accelerator pools get their family's AMI (NVIDIA or Neuron, for the host's architecture) and taint; EFA types get all their EFA
    interfaces, a cluster placement group and a self-referencing security group."""

    pool_name: pulumi.Output[str]
    zones: list[str]
    node_group: aws.eks.NodeGroup
    launch_template_id: pulumi.Output[str]

    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:NodePool", name, None, opts)
        raise_if("aiinfra:aws:NodePool", name, check(args))

        zones = pick_zones(args, name)
        efa_sg = efa_security_group(name, args.vpc_id, args.tags, self) if args.efa_interfaces else None
        # A reservation lives where it was made; a new placement group can conflict with it (terraform-aws-eks #3730).
        placement = (
            aws.ec2.PlacementGroup(f"{name}-pg", strategy="cluster", tags=args.tags, opts=child(self))
            if args.efa_interfaces and not args.reservation
            else None
        )
        lt = launch_template(name, args, self, placement, efa_sg)
        group = aws.eks.NodeGroup(
            f"{name}-ng",
            cluster_name=args.cluster_name,
            node_role_arn=args.node_role_arn,
            subnet_ids=[args.subnets[z] for z in zones],
            instance_types=None if capacity_block(args) else [args.instance_type],
            ami_type=AMI_TYPES[(args.accelerator_family, args.architecture)],
            capacity_type=CAPACITY_BLOCK if capacity_block(args) else CAPACITY_TYPE[args.capacity],
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=args.nodes_min, max_size=args.nodes_max, desired_size=args.nodes_min
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=lt.id, version=lt.latest_version.apply(str)),
            labels=node_labels(name, args),
            taints=taints(args),
            tags=merge_tags(
                args.tags,
                {
                    # Lets the cluster autoscaler scale a GPU pool up from zero.
                    "k8s.io/cluster-autoscaler/node-template/label/aiinfra.dev/pool": args.pool_label(name),
                },
            ),
            # The autoscaler owns the live size; Pulumi owns only the bounds.
            opts=child(self, ignore_changes=["scalingConfig.desiredSize"], depends_on=args.node_prerequisites),
        )

        self.zones = zones
        self.node_group = group
        self.pool_name = group.node_group_name
        self.launch_template_id = lt.id
        self.register_outputs({"pool_name": self.pool_name, "zones": zones, "launch_template_id": self.launch_template_id})

    @property
    def node_group_name(self) -> pulumi.Output[str]:
        """Renamed: every cloud's pool names its pool `pool_name`."""
        warnings.warn("NodePool.node_group_name is now NodePool.pool_name", DeprecationWarning, stacklevel=2)
        return self.pool_name
