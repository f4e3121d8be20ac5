"""VPC with public and private subnets over several zones, NAT, routes and the EKS subnet tags."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child, merge_tags
from aiinfra.problems import Problem


@dataclass
class NetworkArgs:
    cluster_name: str
    zones: list[str]
    cidr: str = "10.0.0.0/16"
    nat_gateways: Literal["one", "per-zone"] = "one"
    tags: dict[str, str] = field(default_factory=dict)
    karpenter_discovery: bool = field(default=False, metadata={"doc": "tag the private subnets karpenter.sh/discovery: <cluster> (EC2NodeClass subnetSelectorTerms)"})


def plan_subnets(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Private subnets get most of the space (GPU nodes and pods take many IPs); public ones only load balancers."""
    net = ipaddress.IPv4Network(cidr)  # the spec takes IPv4 ranges only
    halves = list(net.subnets(prefixlen_diff=1))
    private_bits = max(1, (zones - 1).bit_length())
    private = [str(s) for s in list(halves[0].subnets(prefixlen_diff=private_bits))[:zones]]
    public = [str(s) for s in list(halves[1].subnets(new_prefix=min(halves[1].prefixlen + 4, 28)))[:zones]]
    return private, public


def _subnets(name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, parent: pulumi.Resource) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.Subnet]]:
    private_cidrs, public_cidrs = plan_subnets(args.cidr, len(args.zones))
    shared = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}

    def tier(kind: str, cidrs: list[str], elb_role: str) -> list[aws.ec2.Subnet]:
        return [
            aws.ec2.Subnet(
                f"{name}-{kind}-{zone}",
                vpc_id=vpc.id,
                cidr_block=cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=merge_tags(args.tags, shared, {"Name": f"{name}-{kind}-{zone}", elb_role: "1"}),
                opts=child(parent),
            )
            for zone, cidr in zip(args.zones, cidrs)
        ]

    public = tier("public", public_cidrs, "kubernetes.io/role/elb")
    if args.karpenter_discovery:
        shared = {**shared, "karpenter.sh/discovery": args.cluster_name}
    return public, tier("private", private_cidrs, "kubernetes.io/role/internal-elb")


def _routes(name: str, args: NetworkArgs, vpc: aws.ec2.Vpc, public: list[aws.ec2.Subnet], private: list[aws.ec2.Subnet], parent: pulumi.Resource) -> list[aws.ec2.NatGateway]:
    def default_route(label: str, **target: pulumi.Input[str]) -> aws.ec2.RouteTable:
        return aws.ec2.RouteTable(
            label,
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", **target)],
            tags=merge_tags(args.tags, {"Name": label}),
            opts=child(parent),
        )

    igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=merge_tags(args.tags, {"Name": f"{name}-igw"}), opts=child(parent))
    public_rt = default_route(f"{name}-public", gateway_id=igw.id)
    for subnet, zone in zip(public, args.zones):
        aws.ec2.RouteTableAssociation(f"{name}-public-{zone}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child(parent))

    nat_zones = args.zones if args.nat_gateways == "per-zone" else args.zones[:1]
    nats = []
    for subnet, zone in zip(public, nat_zones):
        eip = aws.ec2.Eip(f"{name}-nat-{zone}", domain="vpc", tags=merge_tags(args.tags, {"Name": f"{name}-nat-{zone}"}), opts=child(parent))
        nats.append(
            aws.ec2.NatGateway(
                f"{name}-nat-{zone}",
                allocation_id=eip.id,
                subnet_id=subnet.id,
                tags=merge_tags(args.tags, {"Name": f"{name}-nat-{zone}"}),
                opts=child(parent, depends_on=[igw]),
            )
        )
    for i, (subnet, zone) in enumerate(zip(private, args.zones)):
        nat = nats[i] if args.nat_gateways == "per-zone" else nats[0]
        rt = default_route(f"{name}-private-{zone}", nat_gateway_id=nat.id)
        aws.ec2.RouteTableAssociation(f"{name}-private-{zone}", subnet_id=subnet.id, route_table_id=rt.id, opts=child(parent))
    return nats


def check(args: NetworkArgs) -> list[Problem]:
    problems = []
    if len(args.zones) < 2:
        problems.append(Problem("zones", "a network needs at least two zones (EKS requires subnets in two AZs)", value=list(args.zones)))
    try:
        ipaddress.ip_network(args.cidr)
    except ValueError as exc:
        problems.append(Problem("cidr", str(exc), value=args.cidr))
    return problems


class Network(pulumi.ComponentResource):
    """A VPC laid out for EKS: private node subnets behind NAT, public subnets for load balancers only."""

    vpc_id: pulumi.Output[str]
    private_subnet_ids: pulumi.Output[list[str]]
    public_subnet_ids: pulumi.Output[list[str]]
    zones: list[str]
    private_subnets: dict[str, aws.ec2.Subnet]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:Network", name, None, opts)
        raise_if("aiinfra:aws:Network", name, check(args))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags=merge_tags(args.tags, {"Name": name}),
            opts=child(self),
        )
        public, private = _subnets(name, args, vpc, self)
        self.nat_gateways = _routes(name, args, vpc, public, private, self)

        self.zones = list(args.zones)
        self.private_subnets = dict(zip(args.zones, private))
        self.vpc_id = vpc.id
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private])
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public])
        self.register_outputs(
            {"vpc_id": self.vpc_id, "private_subnet_ids": self.private_subnet_ids, "public_subnet_ids": self.public_subnet_ids}
        )
