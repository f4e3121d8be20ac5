"""The GCP network (components/gcp/network.py): node subnet with pod/service ranges, NAT, firewalls, GPU NIC networks."""

from __future__ import annotations

import ipaddress

import pytest
from gcphelpers import PROJECT, REGION, T_FIREWALL, T_NAT, T_NETWORK, T_ROUTER, T_SUBNET, by_name, run, site

from aiinfra.components.base.errors import ComponentInputError
from aiinfra.components.gcp.network import Network, NetworkArgs, plan_ranges, proxy_range


def _net(fabrics=(), cidr="10.0.0.0/16", proxy_only=False):
    holder = {}

    def program():
        holder["net"] = Network("env", NetworkArgs(project=PROJECT, region=REGION, cidr=cidr, fabrics=list(fabrics), proxy_only_subnet=proxy_only))

    return run(program), holder


@pytest.fixture(scope="module")
def plain():
    return _net()[0]


@pytest.fixture(scope="module")
def all_fabrics():
    return _net([site("tcpx"), site("tcpxo"), site("rdma", "us-central1-b")])


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.20.0.0/20", "10.8.0.0/24"])
def test_ranges_are_disjoint_and_inside_the_cidr(cidr):
    ranges = {k: ipaddress.ip_network(v) for k, v in plan_ranges(cidr).items()}
    net = ipaddress.ip_network(cidr)
    assert all(r.subnet_of(net) for r in ranges.values())
    values = list(ranges.values())
    assert not any(a.overlaps(b) for i, a in enumerate(values) for b in values[i + 1 :])
    assert ranges["pods"].num_addresses >= ranges["nodes"].num_addresses


def test_custom_vpc_with_regional_private_subnet(plain):
    vpc = plain.one(T_NETWORK)
    assert vpc.inputs["autoCreateSubnetworks"] is False and vpc.inputs["routingMode"] == "REGIONAL"
    subnet = plain.one(T_SUBNET)
    assert subnet.inputs["region"] == REGION and subnet.inputs["project"] == PROJECT
    assert subnet.inputs["privateIpGoogleAccess"] is True
    assert subnet.inputs["ipCidrRange"] == "10.0.128.0/18"
    assert subnet.inputs["network"] == f"projects/{PROJECT}/global/networks/{vpc.name}-" + subnet.inputs["network"].rsplit("-", 1)[-1]
    assert {r["rangeName"]: r["ipCidrRange"] for r in subnet.inputs["secondaryIpRanges"]} == {"pods": "10.0.0.0/17", "services": "10.0.192.0/20"}
    assert subnet.inputs["logConfig"]["metadata"] == "INCLUDE_ALL_METADATA"


def test_cloud_nat_for_the_node_subnet_only(plain):
    router = plain.one(T_ROUTER)
    nat = plain.one(T_NAT)
    assert nat.inputs["router"] == router.name + "-" + nat.inputs["router"].rsplit("-", 1)[-1]
    assert nat.inputs["natIpAllocateOption"] == "AUTO_ONLY"
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    (sub,) = nat.inputs["subnetworks"]
    assert sub["name"].startswith(f"projects/{PROJECT}/regions/{REGION}/subnetworks/env-nodes-")
    assert nat.inputs["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}


def test_firewall_allows_only_the_environments_ranges(plain):
    fw = plain.one(T_FIREWALL)
    assert fw.inputs["direction"] == "INGRESS"
    assert sorted(fw.inputs["sourceRanges"]) == sorted(plan_ranges("10.0.0.0/16").values())
    assert "0.0.0.0/0" not in fw.inputs["sourceRanges"]


def test_no_gpu_networks_without_fabrics(plain):
    assert len(plain.of_type(T_NETWORK)) == 1 and len(plain.of_type(T_SUBNET)) == 1


def test_tcpx_four_and_tcpxo_eight_jumbo_gvnic_networks(all_fabrics):
    result, holder = all_fabrics
    nets = by_name(result.of_type(T_NETWORK))
    for kind, count in (("tcpx", 4), ("tcpxo", 8)):
        mine = [n for name, n in nets.items() if name.startswith(f"env-{kind}-vpc")]
        assert len(mine) == count
        assert {n.inputs["mtu"] for n in mine} == {8244}
        nics = holder["net"].gpu_nics[kind]
        assert [n.k8s_name for n in nics] == [f"vpc{i}" for i in range(1, count + 1)]
        assert {n.device_mode for n in nics} == {"NetDevice"}
        cidrs = [ipaddress.ip_network(n.cidr) for n in nics]
        assert all(c.prefixlen == 20 and c.subnet_of(ipaddress.ip_network("192.168.0.0/16")) for c in cidrs)
        assert len(set(cidrs)) == count
    fws = by_name(result.of_type(T_FIREWALL))
    assert sum(1 for n in fws if n.startswith("env-tcpxo-")) == 8 and sum(1 for n in fws if n.startswith("env-tcpx-")) == 4


def test_rdma_network_on_the_zones_roce_profile_with_eight_subnets_and_no_firewall(all_fabrics):
    result, holder = all_fabrics
    rdma = result.one(T_NETWORK, "env-rdma-b-rdma")
    assert rdma.inputs["networkProfile"] == f"projects/{PROJECT}/global/networkProfiles/us-central1-b-vpc-roce"
    assert rdma.inputs["mtu"] == 8896
    subnets = [s for s in result.of_type(T_SUBNET) if s.name.startswith("env-rdma-b-rdma-")]
    assert len(subnets) == 8
    assert all(ipaddress.ip_network(s.inputs["ipCidrRange"]).subnet_of(ipaddress.ip_network("192.168.128.0/18")) for s in subnets)
    assert [f for f in result.of_type(T_FIREWALL) if "rdma-b-rdma" in f.name] == []
    nics = holder["net"].gpu_nics["rdma-b"]
    assert [n.k8s_name for n in nics] == ["gvnic-1"] + [f"rdma-{i}" for i in range(8)]
    assert [n.device_mode for n in nics] == ["NetDevice"] + ["RDMA"] * 8
    host = result.one(T_NETWORK, "env-rdma-b-gvnic-1")
    assert "networkProfile" not in host.inputs and host.inputs["mtu"] == 8896


def test_network_names_fit_gcp_limit(all_fabrics):
    result, _ = all_fabrics
    for r in result.of_type(T_NETWORK) + result.of_type(T_SUBNET):
        assert len(r.name) + 8 <= 63, r.name  # Pulumi adds "-" and 7 characters


def test_network_needs_project():
    with pytest.raises(Exception, match="project"):
        run(lambda: Network("env", NetworkArgs(project="", region=REGION)))


@pytest.mark.parametrize(("cidr", "prefix"), [("10.0.0.0/16", 23), ("10.8.0.0/17", 23)])
def test_the_proxy_only_subnet_is_clear_of_every_other_range(cidr, prefix):
    proxy = ipaddress.ip_network(proxy_range(cidr))
    assert proxy.subnet_of(ipaddress.ip_network(cidr)) and proxy.prefixlen == prefix
    assert not any(proxy.overlaps(ipaddress.ip_network(r)) for r in plan_ranges(cidr).values())


def test_a_network_too_small_for_a_proxy_only_subnet_says_how_large_one_must_be():
    with pytest.raises(ComponentInputError) as info:
        proxy_range("172.20.0.0/20")
    [p] = info.value.problems
    assert p.path == "cidr" and "/17 or larger" in p.hint


def test_a_proxy_only_subnet_for_gkes_internal_gateway_admitted_by_the_firewall(plain):
    """gke-l7-rilb runs its Envoy proxies in a REGIONAL_MANAGED_PROXY subnet; without routing there is none."""
    res, _ = _net(proxy_only=True)
    subnets = {s.inputs.get("purpose"): s.inputs for s in res.of_type(T_SUBNET)}
    proxy = subnets["REGIONAL_MANAGED_PROXY"]
    assert proxy["role"] == "ACTIVE" and proxy["ipCidrRange"] == "10.0.208.0/23" and proxy["region"] == REGION
    assert "10.0.208.0/23" in res.one(T_FIREWALL).inputs["sourceRanges"]
    assert "REGIONAL_MANAGED_PROXY" not in {s.inputs.get("purpose") for s in plain.of_type(T_SUBNET)}
