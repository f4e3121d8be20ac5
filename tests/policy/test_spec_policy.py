"""The spec's policy section: unknown fields, waivers without a reason or naming an unknown rule are spec errors
(exit 2) with their path and a hint."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

HEAD = "name: pol-dev\ncloud: aws\nregion: us-east-1\n"


def problems(section: str) -> list[tuple[str, str, str | None]]:
    with pytest.raises(SpecError) as err:
        parse_spec(HEAD + section)
    return [(p.path, p.message, p.hint) for p in err.value.problems]


def test_a_waiver_needs_a_reason():
    assert problems("policy: {waive: [{rule: AI-K8S-002}]}") == [
        ("policy.waive[0].reason", "required field is missing", 'add it, e.g. reason: "why the rule does not apply here"'),
    ]
    ((path, message, hint),) = problems("policy: {waive: [{rule: AI-K8S-002, reason: '  '}]}")
    assert (path, message) == ("policy.waive[0].reason", "a waiver needs a reason") and "reason:" in hint


def test_an_unknown_rule_is_named_with_the_nearest_one():
    """The policy package knows its rules, so the resolver asks it (the spec imports nothing above it)."""
    with pytest.raises(SpecError) as err:
        resolve(parse_spec(HEAD + "policy: {waive: [{rule: ai-k8s-02, reason: x}]}"))
    assert [(p.path, p.message, p.hint) for p in err.value.problems] == [
        ("policy.waive[0].rule", "unknown policy rule 'AI-K8S-02'", "did you mean AI-K8S-002?"),
    ]


def test_unknown_fields_duplicates_and_bad_budgets():
    found = problems("policy: {max_hourly: 5}")
    assert found[0][:2] == ("policy.max_hourly", "unknown field 'max_hourly'") and "max_hourly_usd" in found[0][2]
    path, message, _ = problems("policy: {max_monthly_usd: -1}")[0]
    assert path == "policy.max_monthly_usd" and message.startswith("must be more than 0")
    dup = "policy: {waive: [{rule: AI-K8S-002, reason: a}, {rule: ai-k8s-002, reason: b}]}"
    assert problems(dup)[0][1] == "policy.waive lists AI-K8S-002 more than once"


def test_rule_ids_are_case_insensitive_and_the_section_is_optional():
    spec = parse_spec(HEAD + "policy: {waive: [{rule: ai-aws-021, reason: 'no network policies in this sandbox'}]}")
    assert spec.policy.waive[0].rule == "AI-AWS-021"
    assert parse_spec(HEAD).policy.model_dump() == {
        "max_hourly_usd": None, "max_monthly_usd": None, "allowed_regions": [], "allowed_accelerators": [], "waive": [],
        "max_kgco2e_month": None, "suggest_lower_carbon": False,
    }


def test_validate_exits_2_and_creates_nothing(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(HEAD + "policy: {waive: [{rule: AI-NOPE-1}]}\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "policy.waive[0].rule" in result.output and "policy.waive[0].reason" in result.output and "Nothing was created" in result.output
