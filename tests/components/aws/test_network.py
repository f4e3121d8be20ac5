"""Network (components/aws/network.py) under the offline engine."""

from __future__ import annotations

import ipaddress

import pytest
from awshelpers import T_EIP, T_IGW, T_NAT, T_RT, T_RTA, T_SUBNET, T_VPC, by_name, mock_id, mocks, run

from aiinfra.components.aws import Network, NetworkArgs
from aiinfra.components.aws.network import plan_subnets

ZONES3 = ["us-east-1a", "us-east-1b", "us-east-1c"]


def _run(zones=None, **kw):
    zones = zones or ["us-east-1a", "us-east-1b"]
    m = mocks(zones)

    def program():
        net = Network("net", NetworkArgs(cluster_name="demo", zones=zones, **kw))
        return {
            "vpc_id": net.vpc_id,
            "private": net.private_subnet_ids,
            "public": net.public_subnet_ids,
            "nats": [n.id for n in net.nat_gateways],
        }

    return run(program, m), m


@pytest.fixture(scope="module")
def two():
    return _run()


@pytest.fixture(scope="module")
def per_zone():
    return _run(ZONES3, nat_gateways="per-zone")


def _subnets(result, kind):
    return {r.inputs["availabilityZone"]: r for r in result.of_type(T_SUBNET) if f"-{kind}-" in r.name}


def test_vpc_has_dns_support_and_hostnames(two):
    result, _ = two
    vpc = result.one(T_VPC)
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"


def test_vpc_id_output_is_the_vpcs_id(two):
    result, m = two
    assert result.outputs["vpc_id"] == mock_id(m, T_VPC, "net-vpc")
    assert result.outputs["vpc_id"].startswith("vpc-")


@pytest.mark.parametrize("zones", [["us-east-1a", "us-east-1b"], ZONES3])
def test_private_and_public_subnet_in_each_zone(zones):
    result, m = _run(zones)
    vpc_id = mock_id(m, T_VPC, "net-vpc")
    private, public = _subnets(result, "private"), _subnets(result, "public")
    assert sorted(private) == sorted(zones)
    assert sorted(public) == sorted(zones)
    assert len(result.of_type(T_SUBNET)) == 2 * len(zones)
    for zone in zones:
        for s in (private[zone], public[zone]):
            assert s.inputs["availabilityZone"] == zone
            assert s.name.endswith(zone)
            assert s.inputs["vpcId"] == vpc_id
            assert s.inputs["mapPublicIpOnLaunch"] is False


def test_subnet_ids_outputs_follow_zone_order(two):
    result, m = two
    assert result.outputs["private"] == [mock_id(m, T_SUBNET, f"net-private-{z}") for z in ["us-east-1a", "us-east-1b"]]
    assert result.outputs["public"] == [mock_id(m, T_SUBNET, f"net-public-{z}") for z in ["us-east-1a", "us-east-1b"]]


def test_subnet_role_and_cluster_tags(two):
    result, _ = two
    for s in _subnets(result, "private").values():
        tags = s.inputs["tags"]
        assert tags.get("kubernetes.io/role/internal-elb") == "1"
        assert "kubernetes.io/role/elb" not in tags
        assert tags.get("kubernetes.io/cluster/demo") in ("shared", "owned")
    for s in _subnets(result, "public").values():
        tags = s.inputs["tags"]
        assert tags.get("kubernetes.io/role/elb") == "1"
        assert "kubernetes.io/role/internal-elb" not in tags
        assert tags.get("kubernetes.io/cluster/demo") in ("shared", "owned")


def test_user_tags_reach_vpc_and_subnets():
    result, _ = _run(tags={"team": "ml"})
    assert result.one(T_VPC).inputs["tags"]["team"] == "ml"
    assert all(s.inputs["tags"]["team"] == "ml" for s in result.of_type(T_SUBNET))


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.20.0.0/20", "172.16.0.0/18"])
@pytest.mark.parametrize("zones", [ZONES3, ZONES3 + ["us-east-1d"], ["us-east-1a", "us-east-1b"]])
def test_subnets_inside_vpc_and_disjoint(cidr, zones):
    result, _ = _run(zones, cidr=cidr)
    vpc = ipaddress.ip_network(result.one(T_VPC).inputs["cidrBlock"])
    assert vpc == ipaddress.ip_network(cidr)
    nets = [ipaddress.ip_network(s.inputs["cidrBlock"]) for s in result.of_type(T_SUBNET)]
    assert len(nets) == 2 * len(zones)
    for n in nets:
        assert n.subnet_of(vpc), f"{n} is outside {vpc}"
    for i, a in enumerate(nets):
        for b in nets[i + 1:]:
            assert not a.overlaps(b), f"{a} overlaps {b}"


def test_private_subnets_are_larger_than_public():
    private, public = plan_subnets("10.0.0.0/16", 3)
    assert all(ipaddress.ip_network(p).num_addresses > ipaddress.ip_network(q).num_addresses for p in private for q in public)


def test_one_nat_gateway_by_default(two):
    result, m = two
    nats = result.of_type(T_NAT)
    assert len(nats) == 1
    assert len(result.of_type(T_EIP)) == 1
    nat = nats[0]
    assert nat.inputs["subnetId"] == mock_id(m, T_SUBNET, "net-public-us-east-1a")
    assert nat.inputs["allocationId"] == mock_id(m, T_EIP, "net-nat-us-east-1a")
    assert result.one(T_EIP).inputs["domain"] == "vpc"


def test_per_zone_nat_gateways_one_per_zone_in_its_public_subnet(per_zone):
    result, m = per_zone
    nats = result.of_type(T_NAT)
    assert len(nats) == len(ZONES3)
    assert len(result.of_type(T_EIP)) == len(ZONES3)
    subnets = {n.inputs["subnetId"] for n in nats}
    assert subnets == {mock_id(m, T_SUBNET, f"net-public-{z}") for z in ZONES3}


def test_nat_gateway_depends_on_igw(two):
    result, _ = two
    igw = result.one(T_IGW)
    assert igw.urn in result.one(T_NAT).options["depends_on"]


def test_public_route_table_routes_default_to_igw(two):
    result, m = two
    igw_id = mock_id(m, T_IGW, "net-igw")
    rt = result.one(T_RT, "net-public")
    assert rt.inputs["routes"] == [{"cidrBlock": "0.0.0.0/0", "gatewayId": igw_id}]
    assoc = by_name(result.of_type(T_RTA))
    rt_id = mock_id(m, T_RT, "net-public")
    for z in ["us-east-1a", "us-east-1b"]:
        a = assoc[f"net-public-{z}"]
        assert a.inputs["routeTableId"] == rt_id
        assert a.inputs["subnetId"] == mock_id(m, T_SUBNET, f"net-public-{z}")


def test_private_route_tables_route_default_to_the_single_nat(two):
    result, m = two
    nat_id = result.outputs["nats"][0]
    assert nat_id == mock_id(m, T_NAT, "net-nat-us-east-1a")
    for z in ["us-east-1a", "us-east-1b"]:
        rt = result.one(T_RT, f"net-private-{z}")
        routes = rt.inputs["routes"]
        assert len(routes) == 1
        assert routes[0]["cidrBlock"] == "0.0.0.0/0"
        assert routes[0].get("natGatewayId") == nat_id
        assert "gatewayId" not in routes[0]
        a = result.one(T_RTA, f"net-private-{z}")
        assert a.inputs["routeTableId"] == mock_id(m, T_RT, f"net-private-{z}")
        assert a.inputs["subnetId"] == mock_id(m, T_SUBNET, f"net-private-{z}")


def test_per_zone_private_route_goes_to_same_zone_nat(per_zone):
    result, m = per_zone
    for z in ZONES3:
        rt = result.one(T_RT, f"net-private-{z}")
        assert rt.inputs["routes"][0]["natGatewayId"] == mock_id(m, T_NAT, f"net-nat-{z}")


def test_every_subnet_is_associated_with_a_route_table(per_zone):
    result, m = per_zone
    associated = {a.inputs["subnetId"] for a in result.of_type(T_RTA)}
    assert associated == {mock_id(m, T_SUBNET, s.name) for s in result.of_type(T_SUBNET)}


def test_all_resources_are_children_of_the_component(two):
    result, _ = two
    comp = result.one("aiinfra:aws:Network")
    for r in result.resources:
        if r is not comp:
            assert r.parent == comp.urn, r.name


@pytest.mark.parametrize("zones", [["us-east-1a"], []])
def test_fewer_than_two_zones_raises(zones):
    with pytest.raises(ValueError, match="two zones"):
        run(lambda: Network("net", NetworkArgs(cluster_name="demo", zones=zones)), mocks(["us-east-1a"]))


def test_bad_cidr_raises():
    with pytest.raises(ValueError):
        run(lambda: Network("net", NetworkArgs(cluster_name="demo", zones=["us-east-1a", "us-east-1b"], cidr="10.0.0.0/33")))
