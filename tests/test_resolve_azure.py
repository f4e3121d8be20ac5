"""Azure-specific resolution: what Azure cannot serve fails with the nearest GPUs it does offer."""

from pathlib import Path

import pytest

from aiinfra import catalog
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import load_spec, parse_spec

SPECS = Path(__file__).parent / "fixtures" / "specs"


def problems_of(name: str):
    with pytest.raises(SpecError) as info:
        load(SPECS / name)
    return info.value.problems


def test_l4_not_offered_names_the_nearest_azure_gpus():
    (p,) = problems_of("azure.bad.l4-not-offered.yaml")
    assert p.path == "node_pools[0].gpu" and p.message == "aiinfra's catalog has no azure instance type with L4"
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
    assert "northeurope" in p.message and "eastus" in p.hint


def test_azure_settings_defaults():
    spec = load_spec(SPECS / "azure.ok.zone-less-region.yaml")
    assert (spec.azure.gpu_driver, spec.azure.etcd_kms) == (None, True)
    env = load(SPECS / "azure.ok.zone-less-region.yaml")
    assert env.zones == []


def test_gpu_driver_defaults_to_the_operator_on_infiniband_else_aks():
    """ResolvedEnvironment.gpu_driver carries the choice (the spec is left as written), so node pools and the GPU
    operator read the same value."""
    ib = load(SPECS / "azure.ok.zone-less-region.yaml")  # H100:8 -> ND H100 v5 with InfiniBand
    assert [p.fabric_kind for p in ib.gpu_pools] == ["infiniband"] and ib.gpu_driver == "none" and ib.spec.azure.gpu_driver is None
    mixed = load(SPECS / "azure.ok.training-serving.yaml")
    assert mixed.gpu_driver == "none"
    t4 = load(SPECS / "azure.ok.gpu-operator.yaml")  # explicit none, no InfiniBand
    assert t4.gpu_driver == "none"
    serve_only = resolve(parse_spec("name: a10-serve\ncloud: azure\nregion: eastus\nnode_pools: [{name: s, gpu: 'A10:1'}]\n"))
    assert serve_only.gpu_driver == "aks" and serve_only.spec.azure.gpu_driver is None
    ib_without_operator = resolve(
        parse_spec("name: ib-train\ncloud: azure\nregion: eastus\nmlops: {gpu_operator: false}\nnode_pools: [{name: t, gpu: 'H100:8'}]\n")
    )
    assert ib_without_operator.gpu_driver == "aks"


def test_aks_driver_with_infiniband_is_refused():
    (p,) = problems_of("azure.bad.aks-driver-infiniband.yaml")
    assert p.path == "azure.gpu_driver"
    assert "train" in p.message and "nvidia-peermem" in p.message
    assert "none" in p.hint


def test_no_driver_without_the_operator_is_refused():
    (p,) = problems_of("azure.bad.no-driver-without-operator.yaml")
    assert p.path == "azure.gpu_driver" and "mlops.gpu_operator" in p.message
    assert "gpu_operator" in p.hint and "aks" in p.hint


def test_nd_fabrics_carry_the_infiniband_notes():
    for name, it in catalog.cloud_catalog("azure").instance_types.items():
        if it.fabric:
            assert it.fabric.kind == "infiniband", name
            assert any("AKSInfinibandSupport" in n for n in it.fabric.notes), name
            assert any("one InfiniBand domain" in n for n in it.fabric.notes), name
