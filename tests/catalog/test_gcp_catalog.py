"""The GCP catalog rows: accelerators, fabrics and the networks each fabric needs, checked against the reference."""

import pytest

from aiinfra import catalog

GCP = catalog.cloud_catalog("gcp")
T = GCP.instance_types


def test_every_gpu_type_names_its_gke_accelerator():
    for name, it in T.items():
        assert (it.gpu is None) == (it.accelerator_type is None), name
    assert T["a3-highgpu-8g"].accelerator_type == "nvidia-h100-80gb"
    assert T["a3-megagpu-8g"].accelerator_type == "nvidia-h100-mega-80gb"
    assert T["a3-ultragpu-8g"].accelerator_type == "nvidia-h200-141gb"
    assert T["a4-highgpu-8g"].accelerator_type == "nvidia-b200"


@pytest.mark.parametrize(
    "name, kind, nics",
    [("a3-highgpu-8g", "tcpx", 4), ("a3-megagpu-8g", "tcpxo", 8), ("a3-ultragpu-8g", "rdma", 8), ("a4-highgpu-8g", "rdma", 8)],
)
def test_fabrics_match_gpu_fabrics_reference(name, kind, nics):
    f = T[name].fabric
    assert (f.kind, f.interfaces) == (kind, nics)
    assert kind in GCP.fabric_networks


def test_fabric_network_layouts():
    fn = GCP.fabric_networks
    assert (fn["tcpx"].gpu_nic, fn["tcpx"].mtu, fn["tcpx"].host_networks) == ("gvnic", 8244, 0)
    assert (fn["tcpxo"].gpu_nic, fn["tcpxo"].mtu, fn["tcpxo"].cidr, fn["tcpxo"].subnet_prefix) == ("gvnic", 8244, "192.168.0.0/16", 20)
    rdma = fn["rdma"]
    assert (rdma.gpu_nic, rdma.host_networks, rdma.mtu, rdma.cidr, rdma.device_mode) == ("rdma", 1, 8896, "192.168.128.0/18", "RDMA")
    assert rdma.network_profile.format(zone="us-central1-b") == "us-central1-b-vpc-roce"


def test_rows_required_by_the_issue_are_present():
    gpus = {(it.gpu, it.gpu_count) for it in T.values()}
    assert {("H100", 8), ("H200", 8), ("A100", 1), ("A100", 8), ("A100-80GB", 8), ("L4", 1), ("L4", 8), ("T4", 1), ("T4", 4), ("B200", 8)} <= gpus


def test_n1_t4_is_host_plus_gpu():
    it = T["n1-standard-4-t4x1"]
    assert it.machine_type == "n1-standard-4" and it.accelerator_type == "nvidia-tesla-t4"
    assert it.regions["us-central1"].on_demand == pytest.approx(0.19 + 0.35)
    assert T["n1-standard-32-t4x4"].regions["us-central1"].on_demand == pytest.approx(1.52 + 4 * 0.35)


def test_zone_lists_are_zones_of_offered_regions():
    for name, it in T.items():
        for region, zones in it.zones.items():
            assert region in it.regions, name
            assert set(zones) <= set(GCP.regions[region]), name
    assert T["a3-ultragpu-8g"].zones["us-central1"] == ["us-central1-b"]


def test_a4_is_priced_by_its_b200_sku_and_says_it_is_unverified():
    """SkyPilot v8 prices A4 by the B200 x8 SKU with a 0.0 host row (market-2026.md §1.2); the row says so."""
    a4 = T["a4-highgpu-8g"]
    assert a4.regions["us-central1"].on_demand == pytest.approx(90.216) and a4.price_source == "SKY8-GCP"
    assert {"unverified", "host_row_is_zero"} <= set(a4.flags)
    assert a4.regions["us-central1"].spot is None


def test_single_host_a3_and_a2_sizes_sum_host_and_list_gpu_price():
    for n in (1, 2, 4):
        it = T[f"a3-highgpu-{n}g"]
        assert (it.gpu, it.gpu_count) == ("H100", n) and it.fabric is None
        assert it.regions["us-central1"].on_demand == pytest.approx(T["a3-highgpu-8g"].regions["us-central1"].on_demand / 8 * n, rel=0.02)
    assert T["a2-highgpu-4g"].regions["us-central1"].on_demand * 2 == pytest.approx(T["a2-highgpu-8g"].regions["us-central1"].on_demand, rel=1e-4)
    assert (T["g2-standard-24"].gpu, T["g2-standard-24"].gpu_count) == ("L4", 2)


def test_a3_high_uses_the_list_price_not_the_suspect_catalog_figure():
    assert T["a3-highgpu-8g"].regions["us-central1"].on_demand == pytest.approx(87.83)
    assert "list_price_used" in T["a3-highgpu-8g"].flags
