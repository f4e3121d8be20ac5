"""Where each price came from and how old it is, in preview, cost, catalog and offers (today pinned by conftest)."""

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from aiinfra.catalog import overlay
from aiinfra.catalog.freshness import Origin, parse_as_of, summary, today
from aiinfra.cli.main import app

runner = CliRunner()
TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "date", "written"),
    [
        ("2026-07-20 (header 'generated at 2026-07-20T13:44:30Z for us-east-1')", dt.date(2026, 7, 20), "2026-07-20"),
        ("2025-04/05 (estimated; commit date unknown)", dt.date(2025, 4, 1), "2025-04"),
        ("between ~2025-10 and 2026-05 (estimated)", dt.date(2025, 10, 1), "2025-10"),
        ("2024 (estimated; commit date unknown)", dt.date(2024, 1, 1), "2024"),
        ("unknown (general public pricing knowledge, 2024-2025)", None, None),
        (None, None, None),
    ],
)
def test_snapshot_dates_are_read_from_the_sources_as_of(text, date, written):
    assert parse_as_of(text) == (date, written)


def test_wording_and_the_30_day_line():
    assert today() == TODAY  # AIINFRA_TODAY from conftest
    snap = Origin("snapshot", "KARP-AWS", "2026-07-20 (header)")
    assert snap.describe(TODAY) == "snapshot of 2026-07-20, 129 days old"
    assert Origin("snapshot", "SKY-AWS", "2025-04/05").describe(TODAY) == "snapshot of 2025-04, about 604 days old"
    assert Origin("refreshed", "Azure Retail Prices API", "2026-11-26").describe(TODAY) == "refreshed 2026-11-26"
    assert not Origin("snapshot", "X", "2026-10-27").stale(TODAY) and Origin("snapshot", "X", "2026-10-26").stale(TODAY)
    assert Origin("snapshot", "X", "unknown").stale(TODAY)
    fresh = summary([("train", Origin("refreshed", "S", "2026-11-20")), ("serve", Origin("refreshed", "S", "2026-11-20"))], TODAY)
    assert fresh["warning"] is None and fresh["prices"][0]["for"] == ["train", "serve"]
    old = summary([("train", snap)], TODAY)
    assert old["stale"] and "129 days old" in old["warning"] and "aiinfra catalog refresh" in old["warning"]


def test_an_undated_price_is_never_called_over_30_days_old():
    undated = Origin("snapshot", "VENDOR-LIST", "unknown (general public pricing knowledge)")
    dated = Origin("snapshot", "KARP-AWS", "2026-07-20 (header)")
    alone = summary([("system", undated)], TODAY)["warning"]
    assert alone.startswith("prices are of unknown date (they may be over 30 days old)")
    both = summary([("system", undated), ("train", dated)], TODAY)["warning"]
    assert both.startswith("prices are up to 129 days old (over 30 days), and the price of system is of unknown date;")


def test_cost_json_carries_source_and_date_per_price(repo_root):
    r = runner.invoke(app, ["cost", str(repo_root / "stacks" / "aws-llm.yaml"), "--json"])
    data = json.loads(r.stdout)
    train = next(p for p in data["node_pools"] if p["name"] == "train")
    assert train["price_origin"] == {"kind": "snapshot", "source": "KARP-AWS", "as_of": "2026-07-20"}
    item = next(i for i in data["cost"]["items"] if i["item"].startswith("pool train"))
    assert item["price_origin"] == train["price_origin"]
    assert all(i["price_origin"]["kind"] == "fixed" for i in data["cost"]["items"] if not i["item"].startswith("pool "))
    fresh = data["cost"]["freshness"]
    assert fresh["today"] == "2026-11-26" and fresh["stale"]
    assert {"kind": "snapshot", "source": "KARP-AWS", "as_of": "2026-07-20", "age_days": 129, "stale": True, "for": ["train"],
            "text": "train: snapshot of 2026-07-20, 129 days old (KARP-AWS)"} in fresh["prices"]


def _refreshed_overlay():
    """An overlay as `catalog refresh` writes it, with p5.48xlarge in us-east-1 refreshed today."""
    overlay.write({"aws": {"fetched": "2026-11-26T10:00:00+00:00", "as_of": "2026-11-26", "source": "AWS Price List bulk offer files",
                           "prices": {"p5.48xlarge": {"us-east-1": {"on_demand": 54.0}}}, "unpriced": [], "notes": []}})


def test_refreshed_prices_say_so_in_cost_and_preview_wording(repo_root, monkeypatch, tmp_path):
    monkeypatch.setenv("AIINFRA_CACHE_DIR", str(tmp_path))
    _refreshed_overlay()
    spec = str(repo_root / "stacks" / "aws-llm.yaml")
    data = json.loads(runner.invoke(app, ["cost", spec, "--json"]).stdout)
    train = next(p for p in data["node_pools"] if p["name"] == "train")
    assert train["hourly_usd_per_node"] == 54.0
    assert train["price_origin"] == {"kind": "refreshed", "source": "AWS Price List bulk offer files", "as_of": "2026-11-26"}
    text = " ".join(runner.invoke(app, ["cost", spec], env={"COLUMNS": "200"}).stdout.split())
    assert "train: refreshed 2026-11-26 (AWS Price List bulk offer files)" in text
    assert "serve: snapshot of 2025-04, about 604 days old (SKY-AWS)" in text
    assert "warning: prices are up to 604 days old (over 30 days), and the price of system is of unknown date; run `aiinfra catalog refresh`" in text


def test_catalog_shows_each_clouds_price_ages(monkeypatch, tmp_path):
    monkeypatch.setenv("AIINFRA_CACHE_DIR", str(tmp_path))
    _refreshed_overlay()
    rows = json.loads(runner.invoke(app, ["catalog", "--gpu", "H100", "--json"]).stdout)["instance_types"]
    p5 = next(r for r in rows if r["instance_type"] == "p5.48xlarge")
    assert p5["on_demand"] == 54.0 and p5["on_demand_origin"]["kind"] == "refreshed"
    assert p5["spot_origin"] == {"kind": "snapshot", "source": "KARP-AWS", "as_of": "2026-07-20"}
    text = " ".join(runner.invoke(app, ["catalog", "--gpu", "H100"], env={"COLUMNS": "80"}).stdout.split())
    # p5.4xlarge (1 x H100, snapshot) lists before the refreshed p5.48xlarge, so the snapshot comes first
    assert "Prices on aws: snapshot of 2026-07-20, 129 days old (KARP-AWS); refreshed 2026-11-26 (AWS Price List bulk offer files)." in text
    assert "run `aiinfra catalog refresh`" in text


def test_offers_say_where_prices_come_from(repo_root):
    spec = str(repo_root / "stacks" / "aws-llm.yaml")
    data = json.loads(runner.invoke(app, ["offers", spec, "--json", "--clouds", "aws"]).stdout)
    own = next(o for o in data["offers"] if o["chosen"])
    assert {p["name"]: p["price_origin"]["source"] for p in own["pools"]}["train"] == "KARP-AWS"
    assert own["freshness"]["stale"]
    text = " ".join(runner.invoke(app, ["offers", spec, "--clouds", "aws"], env={"COLUMNS": "80"}).stdout.split())
    assert "Prices on aws: " in text and "129 days old (KARP-AWS)" in text and "run `aiinfra catalog refresh`" in text
