"""`aiinfra preview` with the policy pass (exit 0, 2, 3; the table and the JSON section), `aiinfra policy list`,
and every example and ok fixture passing every mandatory rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra import policy
from aiinfra.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests" / "fixtures" / "specs"
EXAMPLES = sorted(p for p in (ROOT / "stacks").glob("*.yaml") if not p.name.startswith("Pulumi")) + sorted(SPECS.glob("*.ok.*.yaml"))
CPU = (ROOT / "stacks" / "aws-cpu.yaml").read_text()


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("spec", EXAMPLES, ids=lambda p: p.name)
def test_every_example_passes_every_mandatory_rule(spec):
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load

    report = build(load(spec))["policy"]
    assert [v for v in report["violations"] if v["enforcement"] == "mandatory"] == []
    # The defaults pass their own rules: no finding asks the user to change aiinfra's source (AI-AWS-021, AI-AZ-010 once did).
    assert [v["id"] for v in report["violations"] if "components/" in v["remediation"] or ".py" in v["remediation"]] == []
    # An existing cluster's examples and fixtures create no cloud resources (most run no workload): few rules have anything to read.
    assert report["passed"] >= (0 if spec.name.startswith("existing") else 15)
    if spec.name == "azure.ok.gpu-operator.yaml":  # its spec turns etcd encryption off (azure.etcd_kms: false)
        assert {(v["id"], v["remediation"]) for v in report["violations"]} >= {("AI-AZ-004", "set azure.etcd_kms: true (the default)")}


def test_a_mandatory_violation_exits_3_and_a_waiver_lets_it_pass(tmp_path):
    spec = tmp_path / "cpu.yaml"
    spec.write_text(CPU + "policy: {max_hourly_usd: 1.0}\n")
    result = invoke("preview", "--json", str(spec))
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert set(data["policy"]) == {"passed", "waived", "violations"}
    (budget,) = [v for v in data["policy"]["violations"] if v["enforcement"] == "mandatory"]
    assert set(budget) == {"id", "severity", "enforcement", "resource", "message", "remediation"}
    assert budget["id"] == "AI-COST-001" and budget["resource"] == "environment cpu-dev"

    spec.write_text(CPU + "policy:\n  max_hourly_usd: 1.0\n  waive: [{rule: AI-COST-001, reason: 'load test this week, approved in FIN-42'}]\n")
    result = invoke("preview", str(spec))
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.index("Cost (USD") < out.index("\nPolicy ") < out.index("Offline preview")
    assert "AI-COST-001" in out and "waived because load test" in out and "FIN-42" in out
    assert "1 waived" in out and "0 mandatory" in out


def test_the_table_names_the_broken_rule_and_how_preview_ends(tmp_path):
    spec = tmp_path / "cpu.yaml"
    spec.write_text(CPU + "policy: {allowed_regions: [eu-west-1]}\n")
    result = invoke("preview", str(spec))
    assert result.exit_code == 3
    assert "AI-GUARD-001" in result.output and "region us-west-2 is not one of the allowed regions" in result.output
    assert "preview exits 3" in result.output and "Traceback" not in result.output


def test_a_bad_waiver_exits_2_before_any_program_runs(tmp_path):
    spec = tmp_path / "cpu.yaml"
    spec.write_text(CPU + "policy: {waive: [{rule: AI-COST-001}]}\n")
    result = invoke("preview", "--json", str(spec))
    assert result.exit_code == 2
    assert json.loads(result.stdout)["problems"][0]["path"] == "policy.waive[0].reason"


def test_policy_list_json_lists_every_rule_with_its_fields():
    data = json.loads(invoke("policy", "list", "--json").stdout)
    assert data["count"] == len(policy.rules()) >= 30
    for rule in data["rules"]:
        assert set(rule) >= {"id", "title", "severity", "enforcement", "resource_types", "remediation", "refs", "cloud"}
        assert rule["remediation"]
    by_cloud = {c: [r for r in data["rules"] if r["cloud"] == c] for c in ("aws", "gcp", "azure", "all")}
    assert all(len(rules) >= 10 for rules in by_cloud.values())
    assert {r["id"] for r in json.loads(invoke("policy", "list", "--json", "--cloud", "gcp").stdout)["rules"]} == {
        r["id"] for r in by_cloud["gcp"] + by_cloud["all"]
    }


def test_policy_list_table_and_a_bad_cloud():
    out = invoke("policy", "list").output
    assert "AI-AWS-001" in out and "AI-K8S-004" in out and "CKV_AWS_38" in out
    bad = invoke("policy", "list", "--cloud", "awz")
    assert bad.exit_code == 2 and "did you mean aws?" in bad.output


def test_the_issue_21_repro_is_refused_by_preview_with_exit_3():
    """2 × a3-edgegpu-8g on GCP (a type outside the catalog has no price) under max_hourly_usd: 10 previewed with exit 0 before."""
    result = invoke("preview", "--json", str(ROOT / "tests" / "fixtures" / "policy" / "gcp.refused.unpriced-hourly-budget.yaml"))
    assert result.exit_code == 3
    (v,) = [v for v in json.loads(result.stdout)["policy"]["violations"] if v["enforcement"] == "mandatory"]
    assert v["id"] == "AI-COST-001" and v["message"].startswith("cannot show the environment is under $10.00/h: 1 item unpriced")
