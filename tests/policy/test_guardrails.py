"""Budgets and guardrails from the spec, measured at the environment's maximum size; no program runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra import policy
from aiinfra.report.preview import estimate
from aiinfra.resolve.resolver import load

SPEC = """\
name: budget-dev
cloud: aws
region: us-west-2
node_pools:
  - {name: work, cpus: 8, nodes: {min: 0, max: 3}}
  - {name: gpu, gpu: "L4:1", nodes: {min: 0, max: 2}}
"""


def report(tmp_path, section: str) -> tuple[dict, dict]:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC + section)
    env = load(path)
    cost = estimate(env)["cost"]
    return policy.evaluate([], policy.facts_from(env, cost), policy.waivers_of(env.spec)), cost


def ids(rep: dict) -> list[str]:
    return [v["id"] for v in rep["violations"]]


def test_a_budget_between_min_and_max_cost_fails_because_it_is_measured_at_max_size(tmp_path):
    _, cost = report(tmp_path, "")
    hourly = (cost["hourly_usd_min"] + cost["hourly_usd_max"]) / 2
    monthly = (cost["monthly_usd_min"] + cost["monthly_usd_max"]) / 2
    rep, _ = report(tmp_path, f"policy: {{max_hourly_usd: {hourly:.4f}, max_monthly_usd: {monthly:.2f}}}\n")
    assert ids(rep) == ["AI-COST-001", "AI-COST-002"]
    assert all(v["enforcement"] == "mandatory" and v["resource"] == "environment budget-dev" for v in rep["violations"])
    assert f"${cost['hourly_usd_max']:,.2f}/h at its maximum size" in rep["violations"][0]["message"]
    assert "policy.max_hourly_usd" in rep["violations"][0]["remediation"]

    rep, _ = report(tmp_path, f"policy: {{max_hourly_usd: {cost['hourly_usd_max'] + 0.01}, max_monthly_usd: {cost['monthly_usd_max'] + 1}}}\n")
    assert ids(rep) == [] and rep["passed"] == 2


def test_no_policy_section_checks_no_guardrail(tmp_path):
    rep, _ = report(tmp_path, "")
    assert rep == {"passed": 0, "waived": [], "violations": []}


@pytest.mark.parametrize(
    "section, expected",
    [
        ("policy: {allowed_regions: [us-west-2, eu-west-1]}", []),
        ("policy: {allowed_regions: [eu-west-1]}", ["AI-GUARD-001"]),
        ("policy: {allowed_accelerators: [l4, H100]}", []),
        ("policy: {allowed_accelerators: [H100]}", ["AI-GUARD-002"]),
    ],
)
def test_allowed_regions_and_accelerators(tmp_path, section, expected):
    rep, _ = report(tmp_path, section + "\n")
    assert ids(rep) == expected


def test_a_waived_guardrail_shows_as_waived_with_its_reason(tmp_path):
    rep, _ = report(tmp_path, "policy:\n  allowed_regions: [eu-west-1]\n  waive: [{rule: AI-GUARD-001, reason: 'data residency sign-off SEC-1'}]\n")
    assert ids(rep) == []
    (w,) = rep["waived"]
    assert (w["id"], w["reason"]) == ("AI-GUARD-001", "data residency sign-off SEC-1")
    assert "us-west-2" in w["violations"][0]["message"]


# Issue 21: guardrails fail closed. Each fixture is one spec whose first line names the rule it breaks and what the
# violation says; its budget or allowlist cannot be shown to hold, so preview refuses it (exit 3).
REFUSED = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "policy").glob("*.refused.*.yaml"))


def expected(path: Path) -> tuple[str, str]:
    rule, _, words = path.read_text().splitlines()[0].removeprefix("# ").partition(": ")
    return rule, words


@pytest.mark.parametrize("spec", REFUSED, ids=lambda p: p.name)
def test_a_budget_or_allowlist_that_cannot_be_shown_to_hold_is_a_mandatory_violation(spec):
    env = load(spec)
    rep = policy.evaluate([], policy.facts_from(env, estimate(env)["cost"]), policy.waivers_of(env.spec))
    rule, words = expected(spec)
    assert [v["id"] for v in rep["violations"]] == [rule]
    (v,) = rep["violations"]
    assert v["enforcement"] == "mandatory" and words in v["message"], v["message"]


def test_the_unpriced_items_are_named_and_the_fix_says_how_to_price_or_waive(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("{name: b200-env, cloud: gcp, region: us-central1, gcp: {project: p-123456}, node_pools: [{name: a, instance_type: a3-edgegpu-8g, gpu: 'H100:8'}, "
                    "{name: b, instance_type: a2-ultragpu-2g}], policy: {max_hourly_usd: 10}}")
    env = load(path)
    rep = policy.evaluate([], policy.facts_from(env, estimate(env)["cost"]), {})
    (v,) = rep["violations"]
    assert "2 items unpriced (pool a (a3-edgegpu-8g, on-demand); pool b (a2-ultragpu-2g, on-demand))" in v["message"]
    assert "node_pools[].price_per_hour" in v["remediation"] and "policy.waive" in v["remediation"]


def test_the_spec_s_price_or_a_waiver_lets_an_unpriced_budget_pass(tmp_path):
    base = "{name: a3-env, cloud: gcp, region: us-central1, gcp: {project: p-123456}, node_pools: [{name: a, instance_type: a3-edgegpu-8g, gpu: 'H100:8'%s}], policy: {max_hourly_usd: 50%s}}"
    for extra in ((", price_per_hour: 44.24", ""), ("", ", waive: [{rule: AI-COST-001, reason: 'priced by the account team, FIN-9'}]")):
        path = tmp_path / "spec.yaml"
        path.write_text(base % extra)
        env = load(path)
        rep = policy.evaluate([], policy.facts_from(env, estimate(env)["cost"]), policy.waivers_of(env.spec))
        assert rep["violations"] == []
    assert [w["id"] for w in rep["waived"]] == ["AI-COST-001"] and "cannot show" in rep["waived"][0]["violations"][0]["message"]


def test_a_pinned_type_the_spec_gives_a_gpu_is_checked_against_the_allowlist(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("{name: mem-env, cloud: aws, region: us-east-1, node_pools: [{name: mem, instance_type: u7x.48xlarge, gpu: 'L4:1'}], "
                    "policy: {allowed_accelerators: [L4]}}")
    env = load(path)
    assert policy.evaluate([], policy.facts_from(env, estimate(env)["cost"]), {})["violations"] == []
