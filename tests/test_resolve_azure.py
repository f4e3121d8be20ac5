"""Azure-specific resolution: what Azure cannot serve fails with the nearest GPUs it does offer."""

from pathlib import Path

import pytest

from aiinfra import catalog
from aiinfra.problems import SpecError
from aiinfra.resolve import load
from aiinfra.spec import load_spec

SPECS = Path(__file__).parent / "fixtures" / "specs"


def problems_of(name: str):
    with pytest.raises(SpecError) as info:
        load(SPECS / name)
    return info.value.problems


def test_l4_not_offered_names_the_nearest_azure_gpus():
    (p,) = problems_of("azure.bad.l4-not-offered.yaml")
    assert p.path == "node_pools[0].gpu" and p.message == "L4 is not offered on azure"
    assert p.hint.startswith("nearest azure GPUs: A10:1")
    assert "aws (g6.xlarge)" in p.hint and "gcp (g2-standard-4)" in p.hint


def test_nearest_gpus_only_names_what_the_cloud_offers():
    for cloud in catalog.CLOUDS:
        offered = {o.gpu for o in catalog.offers(cloud) if o.gpu}
        for gpu in catalog.gpus():
            near = catalog.nearest_gpus(cloud, gpu)
            assert set(near) <= offered - {gpu}
    assert catalog.nearest_gpus("azure", "L4")[0] == "A10"
    assert catalog.nearest_gpus("azure", "H200")[0] == "H100"


def test_nearest_suggestions_use_an_offered_count():
    (p,) = problems_of("azure.bad.l4-not-offered.yaml")
    for suggestion in p.hint.split(";")[0].removeprefix("nearest azure GPUs: ").split(", "):
        gpu, count = suggestion.split(":")
        assert int(count) in {o.spec.gpu_count for o in catalog.offers("azure", gpu)}, suggestion


def test_per_zone_nat_is_refused_on_azure():
    (p,) = problems_of("azure.bad.per-zone-nat.yaml")
    assert p.path == "network.nat_gateways" and "nat_gateways: one" in p.hint


def test_gpu_driver_choice_is_checked():
    (p,) = problems_of("azure.bad.gpu-driver.yaml")
    assert p.path == "azure.gpu_driver"


def test_h100_not_in_region_names_regions():
    (p,) = problems_of("azure.bad.h100-not-in-region.yaml")
    assert "centralus" in p.message and "eastus" in p.hint


def test_azure_settings_defaults():
    spec = load_spec(SPECS / "azure.ok.zone-less-region.yaml")
    assert (spec.azure.gpu_driver, spec.azure.etcd_kms) == ("aks", True)
    env = load(SPECS / "azure.ok.zone-less-region.yaml")
    assert env.zones == []


def test_nd_fabrics_carry_the_infiniband_notes():
    for name, it in catalog.cloud_catalog("azure").instance_types.items():
        if it.fabric:
            assert it.fabric.kind == "infiniband", name
            assert any("AKSInfinibandSupport" in n for n in it.fabric.notes), name
            assert any("one InfiniBand domain" in n for n in it.fabric.notes), name
