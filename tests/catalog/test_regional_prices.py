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
