"""Energy and carbon on the command line: `offers --sort carbon` and its kgCO2e column, `cost` and `preview`
JSON fields, `graph` pool labels, and `--utilization` outside 0..1 refused with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
LLM = str(ROOT / "stacks" / "aws-llm.yaml")
TPU = str(ROOT / "stacks" / "gcp-tpu.yaml")
runner = CliRunner()


def invoke(*args: str, width: int = 80):
    return runner.invoke(app, list(args), env={"COLUMNS": str(width), "NO_COLOR": None, "FORCE_COLOR": None}, catch_exceptions=False)


def test_offers_sort_carbon_orders_by_emissions_at_max_size_with_unknown_last_and_price_breaking_ties():
    r = invoke("offers", LLM, "--clouds", "aws,gcp", "--sort", "carbon", "--include-borrowed", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    rows = data["offers"]
    assert data["sort"] == "carbon" and len(rows) > 3
    known = [o["kgco2e_per_month_max"] for o in rows if o["kgco2e_per_month_max"] is not None]
    assert known == sorted(known) and rows[0]["kgco2e_per_month_max"] == known[0]
    assert [o["kgco2e_per_month_max"] is None for o in rows] == sorted(o["kgco2e_per_month_max"] is None for o in rows)
    for a, b in zip(rows, rows[1:]):
        if a["kgco2e_per_month_max"] == b["kgco2e_per_month_max"]:
            assert a["hourly_usd_min"] <= b["hourly_usd_min"]
    assert rows[0]["region"] == "eu-north-1"  # Stockholm's 20 g/kWh is the lowest grid that offers p5 and g6
    by_price = json.loads(invoke("offers", LLM, "--clouds", "aws,gcp", "--sort", "price", "--include-borrowed", "--json").stdout)
    unranked = lambda rows: sorted(json.dumps({k: v for k, v in o.items() if k != "rank"}) for o in rows)  # noqa: E731
    assert data["offers"] != by_price["offers"] and unranked(rows) == unranked(by_price["offers"])
    assert by_price["sort"] == "price"


def test_offers_rows_carry_kwh_and_co2_fields_and_the_table_a_kgco2e_column():
    data = json.loads(invoke("offers", TPU, "--clouds", "gcp", "--json").stdout)
    for o in data["offers"]:
        assert {"kwh_per_hour_max", "kgco2e_per_hour_min", "kgco2e_per_hour_max", "kgco2e_per_month_min", "kgco2e_per_month_max",
                "grid_gco2e_per_kwh", "co2_unknown"} <= set(o)
        assert o["kgco2e_per_month_max"] is None and o["co2_unknown"]  # TPU power is unpublished: unknown, not 0
    out = invoke("offers", LLM, "--clouds", "aws", "--top", "3").output
    assert "kgCO2e" in out and "location-based" in out and "2,891" in out  # us-east-1 at max size


def test_cost_json_and_table_show_energy_per_pool_and_total():
    r = invoke("cost", LLM, "--json")
    data = json.loads(r.stdout)
    e = data["energy"]
    assert {p["name"] for p in e["pools"]} == {p["name"] for p in data["node_pools"]}
    assert e["kgco2e_per_month_max"] == pytest.approx(e["kgco2e_per_hour_max"] * 730, rel=1e-3)
    assert e["grid_gco2e_per_kwh"] == 418 and e["pue"] == 1.15
    out = invoke("cost", LLM, width=200).output
    assert "Energy and carbon" in out and "Location-based: grid 418 gCO2e/kWh" in out and "Electricity Maps" in out
    md = invoke("cost", LLM, "--markdown").output
    assert "#### Energy and carbon" in md and "| **total** |" in md
    assert "unknown" in invoke("cost", TPU, width=200).output


def test_utilization_option_scales_the_accelerator_and_cpu_terms():
    half = json.loads(invoke("cost", LLM, "--json").stdout)["energy"]
    full = json.loads(invoke("cost", LLM, "--json", "--utilization", "1").stdout)["energy"]
    train_half = next(p for p in half["pools"] if p["name"] == "train")
    train_full = next(p for p in full["pools"] if p["name"] == "train")
    # u 0.5 -> 1: + 8 × 700 × 0.5 = 2800 W of GPU and + 192 × 0.5 × 2.76 = 264.96 W of CPU, memory unchanged
    assert train_full["it_watts_per_node"] - train_half["it_watts_per_node"] == pytest.approx(2800 + 264.96, abs=0.2)
    assert train_full["utilization_from"] == "--utilization"


@pytest.mark.parametrize("command", ["cost", "preview", "offers", "graph"])
@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_utilization_outside_0_to_1_exits_2_with_the_option_and_a_hint(command, value):
    r = invoke(command, LLM, f"--utilization={value}", width=200)
    assert r.exit_code == 2, r.output
    assert "--utilization" in r.output and "from 0 to 1" in r.output and "hint:" in r.output and "Traceback" not in r.output


def test_utilization_in_the_spec_outside_0_to_1_exits_2_with_its_path(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text((ROOT / "stacks" / "aws-llm.yaml").read_text().replace("    capacity: on-demand", "    capacity: on-demand\n    utilization: 2", 1))
    r = invoke("cost", str(spec), "--json")
    assert r.exit_code == 2
    (p,) = json.loads(r.stdout)["problems"]
    assert p["path"] == "node_pools[0].utilization" and "0 to 1" in p["message"] and p["hint"]


def test_graph_labels_each_pool_with_its_kgco2e():
    out = invoke("graph", LLM).output
    assert "1.93 kgCO2e/h" not in out  # per node; the label gives the pool: 2 nodes
    assert "3.86 kgCO2e/h" in out and "0.024–0.098 kgCO2e/h" in out
    assert "kgCO2e unknown" in invoke("graph", TPU).output
