"""Network (components/azure/network.py) under the offline engine."""

from __future__ import annotations

import ipaddress

import pytest
from azurehelpers import RG, T_NAT, T_NSG, T_PIP, T_RG, T_SUBNET, T_VNET, by_name, mock_outputs, mocks, run

from aiinfra.components.azure import Network, NetworkArgs
from aiinfra.components.azure.network import plan_subnets


def _run(**kw):
    m = mocks()
    base = dict(resource_group_name=RG, location="eastus", tags={"team": "ml"})
    base.update(kw)

    def program():
        n = Network("demo", NetworkArgs(**base))
        return {"rg": n.resource_group_name, "vnet": n.vnet_id, "nodes": n.node_subnet_id, "nat": n.nat_gateway_id}

    return run(program, m), m


@pytest.fixture(scope="module")
def net():
    return _run()


def test_resource_group_named_and_placed(net):
    result, _ = net
    rg = result.one(T_RG)
    assert rg.inputs["resourceGroupName"] == RG and rg.inputs["location"] == "eastus"
    assert rg.inputs["tags"]["team"] == "ml"
    assert result.outputs["rg"] == RG


@pytest.mark.parametrize(
    ("kw", "protect", "retain"),
    [({}, False, False), ({"protect_resource_group": True}, True, False), ({"keep_resource_group": True}, True, True)],
)
def test_resource_group_protection_follows_cluster_and_data(kw, protect, retain):
    rg = _run(**kw)[0].one(T_RG)
    assert bool(rg.options["protect"]) is protect
    assert bool(rg.options["retain_on_delete"]) is retain


def test_subnets_inside_vnet_and_disjoint(net):
    result, _ = net
    vnet = result.one(T_VNET)
    assert vnet.inputs["addressSpace"]["addressPrefixes"] == ["10.0.0.0/16"]
    assert "subnets" in vnet.options["ignore_changes"]
    subnets = by_name(result.of_type(T_SUBNET))
    assert sorted(s.inputs["subnetName"] for s in subnets.values()) == ["endpoints", "nodes"]
    cidrs = [ipaddress.ip_network(s.inputs["addressPrefix"]) for s in subnets.values()]
    assert all(c.subnet_of(ipaddress.ip_network("10.0.0.0/16")) for c in cidrs)
    assert not cidrs[0].overlaps(cidrs[1])
    assert all(s.inputs["defaultOutboundAccess"] is False for s in subnets.values())


def test_node_subnet_egresses_through_nat_and_sits_under_the_nsg(net):
    result, m = net
    nodes = by_name(result.of_type(T_SUBNET))["demo-nodes"]
    nat_id, _ = mock_outputs(m, T_NAT, "demo-nat", result.one(T_NAT).inputs)
    nsg_id, _ = mock_outputs(m, T_NSG, "demo-nsg", result.one(T_NSG).inputs)
    assert nodes.inputs["natGateway"] == {"id": nat_id}
    assert nodes.inputs["networkSecurityGroup"] == {"id": nsg_id}
    assert result.outputs["nat"] == nat_id
    assert [e["service"] for e in nodes.inputs["serviceEndpoints"]] == ["Microsoft.Storage"]
    assert result.outputs["nodes"].endswith("/virtualNetworks/demo-vnet/subnets/nodes")


def test_nat_gateway_uses_a_standard_static_ip(net):
    result, m = net
    nat, pip = result.one(T_NAT), result.one(T_PIP)
    assert nat.inputs["sku"] == {"name": "Standard"}
    pip_id, _ = mock_outputs(m, T_PIP, pip.name, pip.inputs)
    assert nat.inputs["publicIpAddresses"] == [{"id": pip_id}]
    assert pip.inputs["sku"]["name"] == "Standard" and pip.inputs["publicIPAllocationMethod"] == "Static"


def test_nsg_opens_nothing_from_the_internet(net):
    result, _ = net
    rules = result.one(T_NSG).inputs.get("securityRules", [])
    inbound_open = [
        r for r in rules
        if r["direction"] == "Inbound" and r["access"] == "Allow" and r.get("sourceAddressPrefix") in ("*", "Internet", "0.0.0.0/0")
    ]
    assert inbound_open == []


def test_every_resource_is_in_the_group_and_tagged(net):
    result, _ = net
    for r in result.resources:
        if r.custom and r.type != T_RG:
            assert r.inputs["resourceGroupName"] == RG, r.name
        if r.custom and r.type != T_SUBNET:
            assert r.inputs["tags"]["team"] == "ml", r.name


@pytest.mark.parametrize(("cidr", "nodes", "endpoints"), [("10.0.0.0/16", "10.0.0.0/17", "10.0.128.0/20"), ("10.8.0.0/22", "10.8.0.0/23", "10.8.2.0/24")])
def test_plan_subnets(cidr, nodes, endpoints):
    assert plan_subnets(cidr) == (nodes, endpoints)
