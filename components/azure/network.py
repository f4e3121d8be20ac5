"""Resource group and VNet for AKS: a node subnet behind a NAT gateway and an endpoint subnet, both under an NSG.

With Azure CNI overlay, pods take addresses from the overlay pod CIDR, so the node subnet only
needs one address per node; the second subnet holds private endpoints and internal load balancers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as az

from aiinfra.components.azure.subnets import plan_subnets
from aiinfra.components.base.util import child, merge_tags


@dataclass
class NetworkArgs:
    resource_group_name: str
    location: str
    cidr: str = "10.0.0.0/16"
    keep_resource_group: bool = False
    protect_resource_group: bool = False
    tags: dict[str, str] = field(default_factory=dict)




class Network(pulumi.ComponentResource):
    """The environment's resource group and network.

    The resource group is protected when the cluster is (deleting a group deletes everything in it) and
    retained when the data is kept, because Azure would delete the storage account along with the group.
    """

    resource_group_name: pulumi.Output[str]
    resource_group_id: pulumi.Output[str]
    vnet_id: pulumi.Output[str]
    node_subnet_id: pulumi.Output[str]
    endpoint_subnet_id: pulumi.Output[str]
    nat_gateway_id: pulumi.Output[str]
    resource_group: az.resources.ResourceGroup

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:Network", name, None, opts)
        node_cidr, endpoint_cidr = plan_subnets(args.cidr)
        tags = merge_tags(args.tags)

        rg = az.resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            opts=child(self, protect=args.protect_resource_group or args.keep_resource_group, retain_on_delete=args.keep_resource_group),
        )
        where = dict(resource_group_name=rg.name, location=args.location, tags=tags)
        ip = az.network.PublicIPAddress(
            f"{name}-nat-ip",
            public_ip_address_name=f"{name}-nat-ip",
            sku=az.network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
            public_ip_allocation_method="Static",
            public_ip_address_version="IPv4",
            opts=child(self),
            **where,
        )
        nat = az.network.NatGateway(
            f"{name}-nat",
            nat_gateway_name=f"{name}-nat",
            sku=az.network.NatGatewaySkuArgs(name="Standard"),
            public_ip_addresses=[az.network.SubResourceArgs(id=ip.id)],
            idle_timeout_in_minutes=4,
            opts=child(self),
            **where,
        )
        # Azure's default rules already deny inbound from the Internet; no rule here may open it.
        nsg = az.network.NetworkSecurityGroup(f"{name}-nsg", network_security_group_name=f"{name}-nsg", security_rules=[], opts=child(self), **where)
        vnet = az.network.VirtualNetwork(
            f"{name}-vnet",
            virtual_network_name=f"{name}-vnet",
            address_space=az.network.AddressSpaceArgs(address_prefixes=[args.cidr]),
            # Subnets are separate resources; an inline list would fight them on every update.
            opts=child(self, ignore_changes=["subnets"]),
            **where,
        )
        nodes = az.network.Subnet(
            f"{name}-nodes",
            subnet_name="nodes",
            resource_group_name=rg.name,
            virtual_network_name=vnet.name,
            address_prefix=node_cidr,
            nat_gateway=az.network.SubResourceArgs(id=nat.id),
            network_security_group=az.network.NetworkSecurityGroupArgs(id=nsg.id),
            service_endpoints=[az.network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.Storage")],
            default_outbound_access=False,
            opts=child(self),
        )
        endpoints = az.network.Subnet(
            f"{name}-endpoints",
            subnet_name="endpoints",
            resource_group_name=rg.name,
            virtual_network_name=vnet.name,
            address_prefix=endpoint_cidr,
            network_security_group=az.network.NetworkSecurityGroupArgs(id=nsg.id),
            private_endpoint_network_policies="Enabled",
            default_outbound_access=False,
            # Azure updates one VNet's subnets one at a time.
            opts=child(self, depends_on=[nodes]),
        )

        self.resource_group = rg
        self.resource_group_name = rg.name
        self.resource_group_id = rg.id
        self.vnet_id = vnet.id
        self.node_subnet_id = nodes.id
        self.endpoint_subnet_id = endpoints.id
        self.nat_gateway_id = nat.id
        self.register_outputs(
            {"resource_group_name": self.resource_group_name, "vnet_id": self.vnet_id, "node_subnet_id": self.node_subnet_id, "nat_gateway_id": self.nat_gateway_id}
        )
