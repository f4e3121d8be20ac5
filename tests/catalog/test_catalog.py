"""The catalog data: sourced, internally consistent, and matching the shared reference CSV."""

import csv
from pathlib import Path

import pytest

from aiinfra import catalog

REFERENCE_CSV = Path(__file__).resolve().parents[3] / "shared" / "reference" / "gpu-catalog.csv"


# cloud: existing ships no types: they come from the cluster's snapshot (tests/components/existing).
@pytest.mark.parametrize("cloud", [c for c in catalog.CLOUDS if c != "existing"])
def test_every_type_is_sourced_and_placed(cloud):
    cat = catalog.cloud_catalog(cloud)
    assert cat.reference_region in cat.regions
    assert cat.system_pool["instance_type"] in cat.instance_types
    for name, it in cat.instance_types.items():
        assert it.price_source in cat.sources, name
        assert it.spot_source is None or it.spot_source in cat.sources, name
        assert it.spot_source is None or any(r.spot is not None for r in it.regions.values()), name
        assert it.regions, f"{name} is offered nowhere"
        assert set(it.regions) <= set(cat.regions), name
        assert (it.gpu is None) == (it.gpu_count == 0), name
        if it.gpu:
            assert it.gpu in catalog.gpus(), name
        if it.fabric:
            assert it.fabric.source and it.fabric.gbps > 0


def test_gpu_spellings_are_unique():
    spellings = [s.lower() for s in catalog.gpu_spellings()]
    assert len(spellings) == len(set(spellings))


def test_efa_counts_match_fabric_reference():
    aws = catalog.cloud_catalog("aws").instance_types
    assert aws["p5.48xlarge"].fabric.interfaces == 32
    assert aws["p5en.48xlarge"].fabric.interfaces == 16
    assert aws["p4d.24xlarge"].fabric.interfaces == 4
    assert aws["p6-b200.48xlarge"].fabric.interfaces == 8 and aws["p6-b200.48xlarge"].fabric.gbps == 3200
    assert aws["p6-b300.48xlarge"].fabric.interfaces == 16 and aws["p6-b300.48xlarge"].fabric.gbps == 6400
    assert aws["g6.xlarge"].fabric is None


# The 2025 snapshot (shared/reference/gpu-catalog.csv) behind the SKY-* sources; rows refreshed from
# the 2026 sources of market-2026.md (§1.1-§1.4) cite those instead and are checked in test_refreshed_prices.
CSV_SOURCES = {"SKY-AWS", "SKY-GCP", "SKY-AZ"}
REFRESHED_SOURCES = {"KARP-AWS", "CYC", "SKY8-GCP", "KARP-AZ"}


@pytest.mark.skipif(not REFERENCE_CSV.exists(), reason="shared/reference is not beside this checkout")
def test_reference_region_prices_match_the_csv():
    mismatches = []
    with REFERENCE_CSV.open() as f:
        for row in csv.DictReader(f):
            if not row["instance_type"]:
                continue
            it = catalog.cloud_catalog(row["cloud"]).instance_types[row["instance_type"]]
            assert it.price_source in CSV_SOURCES | REFRESHED_SOURCES, row["instance_type"]
            here = it.regions[row["region"]]
            on_demand_from_csv = it.price_source in CSV_SOURCES and "list_price_used" not in it.flags
            if on_demand_from_csv and here.on_demand != pytest.approx(float(row["price_hourly"])):
                mismatches.append((row["instance_type"], here.on_demand, row["price_hourly"]))
            spot_from_csv = (it.spot_source or it.price_source) in CSV_SOURCES
            if spot_from_csv and row["spot_price_hourly"] and here.spot != pytest.approx(float(row["spot_price_hourly"])):
                mismatches.append((row["instance_type"], here.spot, row["spot_price_hourly"]))
            assert it.gpu_count == int(row["accelerator_count"]), row["instance_type"]
    assert not mismatches


@pytest.mark.parametrize(
    ("cloud", "instance_type", "on_demand", "spot"),
    [  # market-2026.md §1.0 / §1.4, reference regions
        ("aws", "p5.48xlarge", 55.04, 14.246),
        ("aws", "p5en.48xlarge", 63.296, 19.1652),
        ("aws", "p4d.24xlarge", 21.957642, 6.289),
        ("aws", "p4de.24xlarge", 27.44705, 9.7262),
        ("aws", "p6-b200.48xlarge", 113.9328, 19.0919),
        ("aws", "p6-b300.48xlarge", 142.416, None),
        ("gcp", "a2-ultragpu-1g", 5.0688, 2.7595),
        ("gcp", "a2-ultragpu-8g", 40.5504, 22.0764),
        ("gcp", "a3-highgpu-8g", 87.83, 50.61),
        ("gcp", "a3-ultragpu-8g", 86.75992, 40.81698),
        ("gcp", "g2-standard-4", 0.70683, 0.3973),
    ],
)
def test_refreshed_prices(cloud, instance_type, on_demand, spot):
    cat = catalog.cloud_catalog(cloud)
    it = cat.instance_types[instance_type]
    here = it.regions[cat.reference_region]
    assert it.price_source in REFRESHED_SOURCES
    assert here.on_demand == pytest.approx(on_demand)
    assert here.spot == (pytest.approx(spot) if spot is not None else None)
    assert catalog.price_flags(cloud, instance_type) == []


def test_azure_on_demand_cites_the_2026_check_and_spot_the_older_snapshot():
    on_demand = catalog.price("azure", "Standard_NC24ads_A100_v4", "eastus", "on-demand").origin
    spot = catalog.price("azure", "Standard_NC24ads_A100_v4", "eastus", "spot").origin
    assert (on_demand.source, on_demand.as_of[:10]) == ("KARP-AZ", "2026-06-18")
    assert spot.source == "SKY-AZ"
    assert "KARP-AZ" in catalog.prices_as_of("azure", ["Standard_NC24ads_A100_v4"]) and "SKY-AZ" in catalog.prices_as_of("azure", ["Standard_NC24ads_A100_v4"])


def test_h200_v5_is_offered_where_sourced_and_not_in_eastus():
    it = catalog.cloud_catalog("azure").instance_types["Standard_ND96isr_H200_v5"]
    assert "eastus" not in it.regions
    assert it.regions["eastus2"].on_demand == pytest.approx(84.80)
    assert it.fabric.kind == "infiniband" and it.fabric.interfaces == 8 and it.fabric.gbps == 3200


def test_price_falls_back_to_reference_region_with_note():
    # c6i.2xlarge has no regional figure outside us-east-1 (its SkyPilot rows were not read into data/prices/aws.yaml)
    p = catalog.price("aws", "c6i.2xlarge", "eu-west-1", "on-demand")
    assert p.hourly_usd == pytest.approx(catalog.price("aws", "c6i.2xlarge", "us-east-1", "on-demand").hourly_usd)
    assert "us-east-1 price used" in p.note


def test_spot_without_figure_uses_on_demand_and_says_so():
    p = catalog.price("azure", "Standard_ND96isr_H100_v5", "eastus", "spot")
    assert p.hourly_usd == pytest.approx(98.32) and "no spot price" in p.note


def test_reserved_billed_on_demand():
    p = catalog.price("aws", "p5.48xlarge", "us-east-1", "reserved")
    assert p.hourly_usd == pytest.approx(55.04) and "on-demand rate" in p.note  # post-cut price, market-2026.md §1.1
