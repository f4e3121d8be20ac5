"""VPC for GKE: one regional node subnet with secondary ranges for pods and services, Cloud Router +
Cloud NAT for private nodes, firewall rules, and the extra networks that GPU NICs need.

GPU machine types with GPUDirect put each GPU NIC on its own network (gpu-fabrics.md §1.2): A3 High
four gVNIC VPCs (TCPX), A3 Mega eight (TCPXO), A3 Ultra / A4 one extra gVNIC VPC plus one RoCE VPC
with a subnet per GPU NIC. The layout per fabric kind is catalog data (gcp.yaml fabric_networks).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi
import pulumi_gcp as gcp

from aiinfra.components.base.errors import ComponentInputError, raise_if
from aiinfra.components.base.util import child
from aiinfra.problems import Problem

if TYPE_CHECKING:  # the layout arrives in ResolvedPool.fabric_networks; components never read the catalog
    from aiinfra.catalog.models import FabricNetworks

# GKE's control plane, health checks and IAP reach nodes from Google ranges; GKE adds its own rules for them.
POD_RANGE = "pods"
SERVICE_RANGE = "services"


@dataclass(frozen=True)
class FabricSite:
    """The GPU NIC networks one fabric kind needs; RoCE networks are zonal, so they also name the zone."""

    kind: str
    layout: FabricNetworks
    interfaces: int
    zone: str | None = None

    @property
    def key(self) -> str:
        """Short, because it goes into network names (63 characters): the zone's letter is unique within the region."""
        return f"{self.kind}-{self.zone.rsplit('-', 1)[-1]}" if self.layout.network_profile and self.zone else self.kind


@dataclass
class GpuNic:
    """One extra node NIC: the GCP network/subnet it sits on and the Kubernetes Network name pods use for it."""

    k8s_name: str
    network: pulumi.Output[str]
    subnetwork: pulumi.Output[str]
    device_mode: str
    cidr: str


@dataclass
class NetworkArgs:
    project: str
    region: str
    cidr: str = "10.0.0.0/16"
    fabrics: list[FabricSite] = field(default_factory=list)
    flow_log_sampling: float = 0.5
    proxy_only_subnet: bool = False  # a REGIONAL_MANAGED_PROXY subnet: GKE's internal Gateway (gke-l7-rilb) runs its proxies there


def plan_ranges(cidr: str) -> dict[str, str]:
    """Pods take half the range (a /24 per node), nodes a quarter, services a /20 (or less) of the rest."""
    net = ipaddress.ip_network(cidr)
    pods, rest = net.subnets(prefixlen_diff=1)
    nodes, spare = rest.subnets(prefixlen_diff=1)
    services = next(spare.subnets(new_prefix=max(20, spare.prefixlen)))
    return {"nodes": str(nodes), POD_RANGE: str(pods), SERVICE_RANGE: str(services)}


# Google recommends a /23 proxy-only subnet and accepts down to a /26 (unverified here); the largest that fits is taken.
PROXY_PREFIXES = (23, 24, 25, 26)


def proxy_range(cidr: str) -> str:
    """The proxy-only subnet's range: the largest of PROXY_PREFIXES in the quarter nodes and pods leave, clear of services."""
    _, rest = ipaddress.ip_network(cidr).subnets(prefixlen_diff=1)
    _, spare = rest.subnets(prefixlen_diff=1)  # as plan_ranges splits it: pods, nodes, then the spare quarter
    services = ipaddress.ip_network(plan_ranges(cidr)[SERVICE_RANGE])
    for prefix in PROXY_PREFIXES:
        free = [s for s in spare.subnets(new_prefix=max(prefix, spare.prefixlen)) if not s.overlaps(services)] if prefix >= spare.prefixlen else []
        if free:
            return str(free[0])
    raise ComponentInputError("aiinfra:gcp:Network", "", [Problem(
        "cidr", f"{cidr} leaves no room for the proxy-only subnet GKE's internal Gateway needs (the services range fills the rest)",
        "give the network a /17 or larger cidr, or set mlops.routing: round-robin", value=cidr)])


def carve(cidr: str, prefix: int, count: int) -> list[str]:
    subnets = list(ipaddress.ip_network(cidr).subnets(new_prefix=prefix))
    if len(subnets) < count:
        raise ComponentInputError("aiinfra:gcp:Network", "", [Problem("cidr", f"{cidr} holds only {len(subnets)} /{prefix} subnets, {count} needed", value=cidr)])
    return [str(s) for s in subnets[:count]]


def _allow_internal(name: str, project: str, network: gcp.compute.Network, ranges: list[str], parent: pulumi.Resource) -> gcp.compute.Firewall:
    return gcp.compute.Firewall(
        f"{name}-internal",
        project=project,
        network=network.self_link,
        direction="INGRESS",
        priority=1000,
        source_ranges=ranges,
        allows=[gcp.compute.FirewallAllowArgs(protocol=p) for p in ("tcp", "udp", "icmp")],
        log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
        description="traffic between the environment's nodes, pods and services only",
        opts=child(parent),
    )


def _vpc(name: str, project: str, parent: pulumi.Resource, mtu: int | None = None, profile: str | None = None) -> gcp.compute.Network:
    return gcp.compute.Network(
        name,
        project=project,
        auto_create_subnetworks=False,
        routing_mode="REGIONAL",
        mtu=mtu,
        network_profile=profile,
        opts=child(parent),
    )


def _subnet(name: str, args: NetworkArgs, network: gcp.compute.Network, cidr: str, parent: pulumi.Resource, **extra) -> gcp.compute.Subnetwork:
    return gcp.compute.Subnetwork(
        name, project=args.project, region=args.region, network=network.id, ip_cidr_range=cidr, private_ip_google_access=True, opts=child(parent), **extra
    )


def gvnic_networks(name: str, args: NetworkArgs, count: int, cidrs: list[str], k8s_names: list[str], mtu: int, parent: pulumi.Resource) -> list[GpuNic]:
    """One VPC + subnet + internal firewall per NIC, as cluster-toolkit's multivpc module does."""
    nics = []
    for cidr, k8s in zip(cidrs[:count], k8s_names):
        label = f"{name}-{k8s}"
        vpc = _vpc(label, args.project, parent, mtu=mtu)
        subnet = _subnet(label, args, vpc, cidr, parent)
        _allow_internal(label, args.project, vpc, [cidr], parent)
        nics.append(GpuNic(k8s, vpc.name, subnet.name, "NetDevice", cidr))
    return nics


def rdma_network(name: str, args: NetworkArgs, site: FabricSite, parent: pulumi.Resource) -> list[GpuNic]:
    """One RoCE VPC on the zone's RDMA network profile, a subnet per GPU NIC, and no firewall rules (GCP rejects them)."""
    layout = site.layout
    assert layout.network_profile and site.zone, "an RDMA network needs its zone's network profile"
    profile = f"projects/{args.project}/global/networkProfiles/{layout.network_profile.format(zone=site.zone)}"
    vpc = _vpc(f"{name}-rdma", args.project, parent, mtu=layout.mtu, profile=profile)
    nics = []
    cidrs = carve(layout.cidr, layout.subnet_prefix, site.interfaces)
    for i, (cidr, k8s) in enumerate(zip(cidrs, layout.gpu_nic_names(site.interfaces))):
        subnet = _subnet(f"{name}-rdma-{i}", args, vpc, cidr, parent)
        nics.append(GpuNic(k8s, vpc.name, subnet.name, layout.device_mode, cidr))
    return nics


def fabric_networks(name: str, args: NetworkArgs, site: FabricSite, parent: pulumi.Resource) -> list[GpuNic]:
    layout = site.layout
    label = f"{name}-{site.key}"
    nics: list[GpuNic] = []
    if layout.host_networks:
        assert layout.host_cidr and layout.host_subnet_prefix
        cidrs = carve(layout.host_cidr, layout.host_subnet_prefix, layout.host_networks)
        nics += gvnic_networks(label, args, layout.host_networks, cidrs, layout.host_nic_names(), layout.mtu, parent)
    if layout.gpu_nic == "rdma":
        nics += rdma_network(label, args, site, parent)
    else:
        cidrs = carve(layout.cidr, layout.subnet_prefix, site.interfaces)
        nics += gvnic_networks(label, args, site.interfaces, cidrs, layout.gpu_nic_names(site.interfaces), layout.mtu, parent)
    return nics


class Network(pulumi.ComponentResource):
    """A private GKE network: nodes without public IPs reach out through Cloud NAT; GPU NIC networks per fabric."""

    network_id: pulumi.Output[str]
    network_name: pulumi.Output[str]
    subnetwork_id: pulumi.Output[str]
    subnetwork_name: pulumi.Output[str]
    ranges: dict[str, str]
    gpu_nics: dict[str, list[GpuNic]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:gcp:Network", name, None, opts)
        problems = [Problem("project", "a GCP network needs the project")] if not args.project else []
        if len({s.key for s in args.fabrics}) != len(args.fabrics):
            problems.append(Problem("fabrics", "each fabric site (kind, zone) is listed once"))
        raise_if("aiinfra:gcp:Network", name, problems)
        ranges = plan_ranges(args.cidr)

        vpc = _vpc(f"{name}-vpc", args.project, self)
        subnet = _subnet(
            f"{name}-nodes",
            args,
            vpc,
            ranges["nodes"],
            self,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=r, ip_cidr_range=ranges[r]) for r in (POD_RANGE, SERVICE_RANGE)
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC", flow_sampling=args.flow_log_sampling, metadata="INCLUDE_ALL_METADATA"
            ),
        )
        if args.proxy_only_subnet:
            # The load balancer's Envoy proxies reach the pods from this range, so the internal firewall admits it too.
            ranges = {**ranges, "proxy": proxy_range(args.cidr)}
            gcp.compute.Subnetwork(
                f"{name}-proxy-only", project=args.project, region=args.region, network=vpc.id, ip_cidr_range=ranges["proxy"],
                purpose="REGIONAL_MANAGED_PROXY", role="ACTIVE", opts=child(self),
            )
        _allow_internal(f"{name}-vpc", args.project, vpc, list(ranges.values()), self)
        router = gcp.compute.Router(f"{name}-router", project=args.project, region=args.region, network=vpc.id, opts=child(self))
        gcp.compute.RouterNat(
            f"{name}-nat",
            project=args.project,
            region=args.region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[gcp.compute.RouterNatSubnetworkArgs(name=subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"])],
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child(self),
        )

        self.gpu_nics = {site.key: fabric_networks(name, args, site, self) for site in args.fabrics}
        self.ranges = ranges
        self.network_id = vpc.id
        self.network_name = vpc.name
        self.subnetwork_id = subnet.id
        self.subnetwork_name = subnet.name
        self.register_outputs(
            {
                "network_id": self.network_id,
                "subnetwork_id": self.subnetwork_id,
                "gpu_networks": {k: [{"name": n.k8s_name, "network": n.network, "subnetwork": n.subnetwork} for n in v] for k, v in self.gpu_nics.items()},
            }
        )
