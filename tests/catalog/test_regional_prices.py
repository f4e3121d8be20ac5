"""Regional price files: scripts/sky_prices.py on recorded SkyPilot catalog rows, and the layer that lays them
over the cloud files (aiinfra/catalog/regional.py)."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from aiinfra import catalog
from aiinfra.catalog import regional

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "prices"
GCP_ROWS = FIXTURES / "gcp-vms-017e2502.csv"
GCP_COMMIT = "017e2502fb63c7a28757acd94002b2d6099d3e3d"


def _script():
    spec = importlib.util.spec_from_file_location("sky_prices", ROOT / "scripts" / "sky_prices.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_gcp_sums_host_and_gpu_rows_and_drops_discounted_gpu_skus():
    sky = _script()
    prices = sky.convert("gcp", _rows(GCP_ROWS), sky.catalog_types("gcp"))
    a3 = prices["a3-highgpu-4g"]
    assert a3["europe-west4"] == {"on_demand": pytest.approx(4.96653 + 50.94206), "spot": pytest.approx(0.8944 + 9.1652)}
    # us-central1's H100 row (16.80304 for 4 GPUs) is the discounted first-match SKU, 33 % of europe-west4's: dropped
    assert "us-central1" not in a3 and "asia-southeast1" not in a3
    assert prices["n2-standard-16"]["europe-west1"] == {"on_demand": 0.85467, "spot": 0.10147}
    assert "a2-highgpu-1g" not in prices  # no A100 GPU rows in the recording: no half sums


def test_aws_takes_the_lowest_spot_over_zones_and_keeps_only_catalog_types():
    sky = _script()
    prices = sky.convert("aws", _rows(FIXTURES / "aws-vms-001367d2.csv"), sky.catalog_types("aws"))
    assert prices["p5.48xlarge"]["eu-north-1"] == {"on_demand": 105.2024, "spot": 28.528}
    assert prices["p5.48xlarge"]["us-east-1"]["spot"] == 20.9934
    assert prices["p5e.48xlarge"]["us-east-2"] == {"on_demand": None, "spot": 14.4663}
    assert "r3.large" not in prices


def test_the_shipped_gcp_price_file_is_the_script_output_of_the_recording():
    sky = _script()
    shipped = (ROOT / "aiinfra" / "catalog" / "data" / "prices" / "gcp.yaml").read_text()
    date = next(line for line in shipped.splitlines() if line.startswith("  as_of: "))[len("  as_of: '") : -1].replace("''", "'")
    again = sky.render("gcp", sky.convert("gcp", _rows(GCP_ROWS), sky.catalog_types("gcp")), GCP_COMMIT, date)
    assert again == shipped, "rerun scripts/sky_prices.py gcp tests/fixtures/prices/gcp-vms-017e2502.csv --commit ... -o aiinfra/catalog/data/prices/gcp.yaml"


def test_price_files_fill_only_null_figures_and_record_their_source():
    data = {
        "sources": {"A": {"what": "a", "as_of": "2026"}},
        "regions": {"r1": [], "r2": []},
        "instance_types": {"t": {"regions": {"r1": {"on_demand": 1.0, "spot": None}}}},
    }
    prices = {"source": {"key": "P", "what": "p", "as_of": "2025"}, "prices": {"t": {"r1": {"on_demand": 9.0, "spot": 0.5}, "r2": {"on_demand": 2.0, "spot": None}, "nowhere": {"on_demand": 3.0}}}}
    out = regional.lay_over(data, prices)
    assert out["instance_types"]["t"]["regions"]["r1"] == {"on_demand": 1.0, "spot": 0.5, "sources": {"spot": "P"}}
    assert out["instance_types"]["t"]["regions"]["r2"] == {"on_demand": 2.0, "sources": {"on_demand": "P"}}
    assert "nowhere" not in out["instance_types"]["t"]["regions"] and "P" in out["sources"]
    assert data["instance_types"]["t"]["regions"]["r1"] == {"on_demand": 1.0, "spot": None}


def test_a_regional_figure_names_its_snapshot():
    p = catalog.price("gcp", "a3-highgpu-1g", "europe-west4", "on-demand")
    assert p.hourly_usd == pytest.approx(1.24163 + 12.73552) and p.note is None
    assert p.origin.source == "SKY7-GCP"
    borrowed = catalog.price("gcp", "a3-highgpu-1g", "us-west1", "on-demand")
    assert "us-central1 price used" in borrowed.note


AWS_REGION_ROWS = FIXTURES / "aws-vms-001367d2-regions.csv"  # rows of the cache the shipped aws.yaml was made from
# The shape of karpenter-provider-azure's zz_generated.pricing.go, with figures of its 2026-06-18 table.
KARPENTER_GO = """package pricing

func init() {
\t// eastus
\tinitialOnDemandPrices["eastus"] = map[string]float64{
\t\t"Standard_NV36ads_A10_v5":  3.200000,
\t\t"Standard_ND96isr_H100_v5": 98.320000,
\t\t"Standard_Not_In_Catalog":  1.000000,
\t}
\t// westeurope
\tinitialOnDemandPrices["westeurope"] = map[string]float64{
\t\t"Standard_NV36ads_A10_v5":  4.160000,
\t\t"Standard_ND96isr_H100_v5": 127.816000,
\t}
\t// northeurope
\tinitialOnDemandPrices["northeurope"] = map[string]float64{
\t\t"Standard_NV36ads_A10_v5": 4.160000,
\t}
}
"""


def _shipped(name: str) -> dict:
    import yaml

    return yaml.safe_load((ROOT / "aiinfra" / "catalog" / "data" / "prices" / name).read_text())


def test_aws_rows_are_whole_vms_spot_lowest_over_zones_and_an_unpriced_row_still_says_where_it_is_sold():
    sky = _script()
    prices = sky.convert("aws", _rows(AWS_REGION_ROWS), sky.catalog_types("aws"))
    assert prices["g5.xlarge"]["eu-west-1"] == {"on_demand": 1.123, "spot": 0.5013}
    assert prices["m6i.large"]["us-west-2"] == {"on_demand": 0.096, "spot": 0.0348}  # az4 has no spot figure: skipped, not 0
    assert prices["inf2.xlarge"]["ap-northeast-2"] == {"on_demand": 0.90984, "spot": None}
    assert prices["trn1.32xlarge"]["ap-south-1"] == {"on_demand": None, "spot": None}


def test_the_shipped_aws_price_file_is_the_script_output_for_the_recorded_rows():
    sky = _script()
    shipped = _shipped("aws.yaml")
    assert shipped["source"]["version"] == "001367d22a0033fac286a8c71aeac7109e431bcb" and "vms.csv" in shipped["source"]["url"]
    for name, regions in sky.convert("aws", _rows(AWS_REGION_ROWS), sky.catalog_types("aws")).items():
        for region, figures in regions.items():
            assert shipped["prices"][name][region] == figures, (name, region)


def test_families_repriced_after_the_snapshot_are_left_out():
    sky = _script()
    rows = _rows(FIXTURES / "aws-vms-001367d2.csv")
    assert "p5.48xlarge" in sky.convert("aws", rows, sky.catalog_types("aws"))
    assert "p5.48xlarge" not in sky.convert("aws", sky.skipping(rows, ["p5"]), sky.catalog_types("aws"))
    shipped = _shipped("aws.yaml")
    assert not {"p4d.24xlarge", "p4de.24xlarge", "p5.48xlarge", "p5en.48xlarge"} & set(shipped["prices"])
    assert "p4d, p4de, p5, p5e, p5en left out" in shipped["source"]["what"]


def test_karpenter_azure_table_gives_on_demand_per_region_and_no_spot():
    sky = _script()
    rows = sky.karpenter_rows(KARPENTER_GO)
    assert len(rows) == 6
    prices = sky.convert("azure", rows, sky.catalog_types("azure"))
    assert prices["Standard_NV36ads_A10_v5"] == {r: {"on_demand": v, "spot": None} for r, v in (("eastus", 3.2), ("northeurope", 4.16), ("westeurope", 4.16))}
    assert set(prices["Standard_ND96isr_H100_v5"]) == {"eastus", "westeurope"} and "Standard_Not_In_Catalog" not in prices
    with pytest.raises(SystemExit, match="initialOnDemandPrices"):
        sky.karpenter_rows("package pricing\n")


def test_the_shipped_azure_table_prices_every_declared_region_it_lists():
    shipped = _shipped("azure.karpenter.yaml")
    assert shipped["source"]["version"] == "2b431da153a6a92b705c18046512c60b1631b682" and shipped["source"]["as_of"].startswith("2026-06-18")
    assert shipped["prices"]["Standard_NV36ads_A10_v5"]["westeurope"] == {"on_demand": 4.16, "spot": None}
    assert "northeurope" not in shipped["prices"]["Standard_ND96isr_H100_v5"]  # not sold there: no row, so not offered


def test_price_files_are_laid_over_newest_snapshot_first():
    old = {"source": {"key": "OLD", "as_of": "2024 (estimated)"}, "prices": {}}
    new = {"source": {"key": "NEW", "as_of": "2026-06-18"}, "prices": {}}
    unknown = {"source": {"key": "UNK", "as_of": "unknown"}, "prices": {}}
    assert [f["source"]["key"] for f in regional.ordered([unknown, old, new])] == ["NEW", "OLD", "UNK"]


@pytest.mark.parametrize("region", ["westeurope", "northeurope", "swedencentral", "uksouth", "japaneast", "australiaeast", "centralindia"])
def test_a_non_us_azure_region_is_priced_from_the_source(region):
    for name in ("Standard_NC24ads_A100_v4", "Standard_NV36ads_A10_v5", "Standard_NC4as_T4_v3"):
        p = catalog.price("azure", name, region, "on-demand")
        assert p.known and p.note is None and p.origin.source == "KARP-AZ-REGIONS", (name, region, p)
        assert p.hourly_usd == _shipped("azure.karpenter.yaml")["prices"][name][region]["on_demand"]


def test_availability_comes_from_the_source_rows():
    cat = catalog.cloud_catalog("azure")
    assert "northeurope" not in cat.instance_types["Standard_ND96isr_H100_v5"].regions  # the guessed row is gone
    assert "uksouth" in cat.instance_types["Standard_ND96isr_H200_v5"].regions  # the source sells it there
    aws = catalog.cloud_catalog("aws")
    assert "eu-west-1" in aws.instance_types["g5.16xlarge"].regions  # the cloud file listed us-east-1 only
    assert catalog.price("aws", "m6i.large", "eu-west-1", "on-demand").origin.source == "SKY7-AWS"


AZURE_ROWS = FIXTURES / "azure-vms-v6-098741e7.csv"  # rows of catalogs/v6/azure/vms.csv (US regions only)


def test_azure_rows_keep_real_spot_and_drop_the_spot_at_list_placeholder():
    sky = _script()
    prices = sky.convert("azure", _rows(AZURE_ROWS), sky.catalog_types("azure"))
    assert prices["Standard_NV36ads_A10_v5"]["westus2"] == {"on_demand": 3.2, "spot": 0.8}
    assert prices["Standard_ND96isr_H100_v5"]["eastus"] == {"on_demand": 98.32, "spot": None}  # the CSV says spot 98.32
    shipped = _shipped("azure.yaml")
    assert shipped["source"]["key"] == "SKY6-AZ" and shipped["source"]["version"] == "098741e70562f65d7af1cceb81e33b284f742604"
    for name, regions in prices.items():
        for region, figures in regions.items():
            assert shipped["prices"][name][region] == figures, (name, region)


def test_us_azure_spot_comes_from_skypilot_and_on_demand_from_the_newer_table():
    spot = catalog.price("azure", "Standard_NV36ads_A10_v5", "westus2", "spot")
    assert (spot.hourly_usd, spot.note, spot.origin.source) == (0.8, None, "SKY6-AZ")
    od = catalog.price("azure", "Standard_NC24ads_A100_v4", "westus3", "on-demand")
    assert od.hourly_usd == 3.673 and od.origin.source in {"KARP-AZ", "KARP-AZ-REGIONS"}
    # outside the US no source has an Azure spot figure: the reference region's is borrowed, and said so
    assert "eastus price used" in catalog.price("azure", "Standard_NV36ads_A10_v5", "westeurope", "spot").note



AWS_V8_ROWS = FIXTURES / "aws-vms-v8-e385a0d3-p4-p6.csv"  # the p4d..p6-b200 rows of catalogs/v8/aws/vms.csv, as read


def test_the_shipped_v8_aws_file_is_the_script_output_of_the_recorded_p4_p5_rows():
    sky = _script()
    shipped_text = (ROOT / "aiinfra" / "catalog" / "data" / "prices" / "aws.sky8.yaml").read_text()
    shipped = _shipped("aws.sky8.yaml")
    src = shipped["source"]
    assert (src["key"], src["version"]) == ("SKY8-AWS", "e385a0d348eda9cefd9806423e7725944dc249e4") and "/v8/aws/vms.csv" in src["url"]
    families = ["p4d", "p4de", "p5", "p5e", "p5en", "p6-b200"]
    again = sky.render("aws", sky.convert("aws", sky.only(_rows(AWS_V8_ROWS), families), sky.catalog_types("aws")), src["version"], src["as_of"], {**src, "key": "SKY8-AWS"})
    assert again == shipped_text, "rerun scripts/sky_prices.py aws tests/fixtures/prices/aws-vms-v8-e385a0d3-p4-p6.csv --catalog-version 8 --only ... -o aiinfra/catalog/data/prices/aws.sky8.yaml"
    assert shipped["prices"]["p5.48xlarge"]["ap-south-1"] == {"on_demand": 66.048, "spot": 19.2169}  # lowest of three zones
    assert shipped["prices"]["p5e.48xlarge"]["us-east-2"] == {"on_demand": None, "spot": 17.4812}  # Capacity Blocks only
    assert sky.only(_rows(AWS_V8_ROWS), ["p5e"]) and {r["InstanceType"] for r in sky.only(_rows(AWS_V8_ROWS), ["p5e"])} == {"p5e.48xlarge"}


def test_post_cut_p4_p5_regions_are_priced_from_v8_and_the_hand_figures_stay():
    p4de = catalog.price("aws", "p4de.24xlarge", "ap-northeast-1", "on-demand")
    assert (p4de.hourly_usd, p4de.note, p4de.origin.source) == (37.6223, None, "SKY8-AWS")  # a region the v8 rows add
    spot = catalog.price("aws", "p5.48xlarge", "us-west-2", "spot")
    assert (spot.hourly_usd, spot.origin.source) == (21.6229, "SKY8-AWS")
    od = catalog.price("aws", "p5.48xlarge", "us-east-1", "on-demand")
    assert (od.hourly_usd, od.origin.source) == (55.04, "KARP-AWS")  # the cloud file's figure is not replaced
    assert "eu-south-2" not in catalog.cloud_catalog("aws").instance_types["p5en.48xlarge"].regions  # not a declared region
