"""The carbon guardrail (AI-CO2-001, mandatory, at maximum size, fail-closed on unknown figures like the cost
budgets) and the lower-carbon advice (AI-CO2-002); a carbon budget where the region has no grid figure is bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from aiinfra import policy
from aiinfra.catalog import carbon
from aiinfra.cli.main import app
from aiinfra.problems import SpecError
from aiinfra.report.preview import estimate
from aiinfra.resolve.resolver import load

SPEC = """\
name: carbon-dev
cloud: aws
region: us-east-1
node_pools:
  - {name: train, instance_type: p5.48xlarge, nodes: {min: 0, max: 2}}
"""


def report(tmp_path, section: str, spec: str = SPEC) -> tuple[dict, dict]:
    path = tmp_path / "spec.yaml"
    path.write_text(spec + section)
    env = load(path)
    data = estimate(env)
    return policy.evaluate([], policy.facts_from(env, data["cost"], data["energy"]), policy.waivers_of(env.spec)), data["energy"]


def by_id(rep: dict) -> dict[str, dict]:
    return {v["id"]: v for v in rep["violations"]}


def test_the_carbon_budget_is_measured_at_max_size_and_is_mandatory(tmp_path):
    _, e = report(tmp_path, "")
    middle = (e["kgco2e_per_month_min"] + e["kgco2e_per_month_max"]) / 2  # min is 0 nodes: a budget under max fails
    rep, _ = report(tmp_path, f"policy: {{max_kgco2e_month: {middle:.0f}}}\n")
    v = by_id(rep)["AI-CO2-001"]
    assert v["enforcement"] == "mandatory" and f"emits up to {e['kgco2e_per_month_max']:,.0f} kgCO2e/month" in v["message"]
    assert "policy.max_kgco2e_month" in v["remediation"] and "offers --sort carbon" in v["remediation"]
    rep, _ = report(tmp_path, f"policy: {{max_kgco2e_month: {e['kgco2e_per_month_max'] + 1}}}\n")
    assert "AI-CO2-001" not in by_id(rep)


def test_unknown_accelerator_power_fails_the_budget_closed_and_a_waiver_lets_it_pass(tmp_path):
    tpu = "name: tpu-dev\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools:\n  - {name: serve, gpu: 'TPU-v6e:8', nodes: 1}\n"
    rep, e = report(tmp_path, "policy: {max_kgco2e_month: 1000000}\n", tpu)
    assert e["kgco2e_per_month_max"] is None
    v = by_id(rep)["AI-CO2-001"]
    assert v["message"].startswith("cannot show the environment is under 1,000,000 kgCO2e/month") and "TPU-v6e" in v["message"]
    rep, _ = report(tmp_path, "policy:\n  max_kgco2e_month: 1000000\n  waive: [{rule: AI-CO2-001, reason: 'TPU power unpublished; estimated by the vendor team, SUS-7'}]\n", tpu)
    assert "AI-CO2-001" not in by_id(rep) and rep["waived"][0]["id"] == "AI-CO2-001"
    rep, _ = report(tmp_path, "policy: {max_kgco2e_month: 1}\n", tpu)  # the known part alone is over it
    assert by_id(rep)["AI-CO2-001"]["message"].startswith("emits at least")


def test_the_advice_names_a_lower_carbon_region_of_the_same_cloud_with_the_price_difference(tmp_path):
    rep, e = report(tmp_path, "policy: {suggest_lower_carbon: true}\n")
    v = by_id(rep)["AI-CO2-002"]
    assert v["enforcement"] == "advisory" and v["message"].startswith("eu-north-1 offers the same instance types on a 20 gCO2e/kWh grid")
    assert f"instead of {e['kgco2e_per_month_max']:,.0f} kgCO2e/month" in v["message"] and "/month more" in v["message"]
    assert "AI-CO2-001" not in by_id(rep)


def test_no_carbon_setting_adds_no_rule_so_existing_reports_are_unchanged(tmp_path):
    rep, _ = report(tmp_path, "")
    assert rep == {"passed": 0, "waived": [], "violations": []}


def test_a_carbon_budget_in_a_region_with_no_grid_figure_is_bad_input(tmp_path, monkeypatch):
    grid = carbon.grid()
    regions = {**grid.regions, "aws": {k: v for k, v in grid.regions["aws"].items() if k != "us-east-1"}}
    monkeypatch.setattr(carbon, "grid", lambda: grid.model_copy(update={"regions": regions, "unknown": {"aws": {"us-east-1": "zone not mapped"}}}))
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC + "policy: {max_kgco2e_month: 1000}\n")
    with pytest.raises(SpecError) as err:
        load(path)
    (p,) = err.value.problems
    assert p.path == "policy.max_kgco2e_month" and "us-east-1 has no grid carbon figure (zone not mapped)" in p.message
    assert "offers --sort carbon" in p.hint
    r = CliRunner().invoke(app, ["validate", "--json", str(path)], catch_exceptions=False)
    assert r.exit_code == 2 and json.loads(r.stdout)["problems"][0]["path"] == "policy.max_kgco2e_month"
    path.write_text(SPEC)  # without a budget the same region is fine: its figures are just unknown
    assert estimate(load(path))["energy"]["kgco2e_per_month_max"] is None
