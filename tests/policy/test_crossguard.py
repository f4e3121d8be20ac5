"""policy-pack/: its entry point serves every aiinfra rule as a CrossGuard policy, environment rules read the spec
named by $AIINFRA_SPEC, and the example CI workflow runs the pack."""

from __future__ import annotations

import importlib.util
import runpy
from pathlib import Path

import pytest
import yaml
from policyhelpers import crossguard_verdict, pack_policies

from aiinfra import policy

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policy-pack"


def test_the_pack_entry_point_serves_every_rule_with_its_level(monkeypatch):
    import pulumi_policy

    served = {}

    class Recorder:
        def __init__(self, name, policies, **kw):
            served.update(name=name, policies=policies)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", Recorder)  # the real one starts a gRPC server and blocks
    monkeypatch.syspath_prepend(str(PACK))
    runpy.run_path(str(PACK / "__main__.py"), run_name="__main__")
    rules = policy.rules()
    assert served["name"] == "aiinfra" and len(served["policies"]) == len(rules) >= 30
    for rule, p in zip(rules, served["policies"]):
        assert p.name == rule.id.lower() and p.enforcement_level.value == rule.enforcement and p.severity.value == rule.severity
        kind = pulumi_policy.ResourceValidationPolicy if rule.scope == "resource" else pulumi_policy.StackValidationPolicy
        assert isinstance(p, kind) and p.remediation_steps == rule.remediation


def test_policies_module_imports_without_serving():
    spec = importlib.util.spec_from_file_location("aiinfra_pack_policies", PACK / "policies.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert [p.name for p in module.POLICIES] == [r.id.lower() for r in policy.rules()]


def test_pack_project_file_and_requirements():
    project = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python" and project["runtime"]["options"]["virtualenv"] == "../.venv"
    assert "pulumi-policy==1.21.0" in (PACK / "requirements.txt").read_text()


@pytest.mark.parametrize("budget, expected", [(0.5, 1), (10_000, 0)])
def test_environment_rules_read_the_spec_from_aiinfra_spec(tmp_path, monkeypatch, budget, expected):
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"name: pack-dev\ncloud: aws\nregion: us-west-2\nnode_pools: [{{name: work, cpus: 8, nodes: {{min: 0, max: 3}}}}]\n"
                    f"policy: {{max_hourly_usd: {budget}}}\n")
    monkeypatch.setenv("AIINFRA_SPEC", str(spec))
    rule = next(r for r in policy.rules() if r.id == "AI-COST-001")
    found = crossguard_verdict(pack_policies()["AI-COST-001"], rule, [])
    assert len(found) == expected
    if expected:
        assert "at its maximum size" in found[0]


def test_a_waiver_in_the_spec_silences_the_rule_under_the_pack(tmp_path, monkeypatch, previews):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: pack-dev\ncloud: aws\nregion: us-west-2\npolicy: {waive: [{rule: AI-AWS-021, reason: sandbox without network policies}]}\n")
    rule = next(r for r in policy.rules() if r.id == "AI-AWS-021")
    # aiinfra enables network policies; a vpc-cni add-on without its configuration breaks the rule.
    resources = [{**r, "inputs": {k: v for k, v in r["inputs"].items() if k != "configurationValues"}} if r["name"].endswith("vpc-cni") else r
                 for r in previews["aws"]["resources"]]
    monkeypatch.delenv("AIINFRA_SPEC", raising=False)
    assert crossguard_verdict(pack_policies()["AI-AWS-021"], rule, previews["aws"]["resources"]) == []
    assert crossguard_verdict(pack_policies()["AI-AWS-021"], rule, resources)  # no spec: the rule reports
    monkeypatch.setenv("AIINFRA_SPEC", str(spec))
    assert crossguard_verdict(pack_policies()["AI-AWS-021"], rule, resources) == []


def test_the_example_workflow_runs_the_pack_on_preview_and_up():
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "infra.yml").read_text())
    steps = {s.get("name"): s for job in workflow["jobs"].values() for s in job["steps"]}
    for name in ("Preview", "Up"):
        assert "--policy-pack ../policy-pack" in steps[name]["run"]
        assert steps[name]["env"]["AIINFRA_SPEC"].endswith("stacks/${{ matrix.stack }}.yaml")
    assert any("pulumi-policy==1.21.0" in (s.get("run") or "") for s in steps.values())


def test_values_unknown_during_a_pulumi_preview_reach_the_rules_as_computed(previews):
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, unknown_checking_proxy

    from aiinfra.policy.crossguard import plain

    resources = [dict(r, inputs=dict(r["inputs"])) for r in previews["aws"]["resources"]]
    cluster = next(r for r in resources if r["type"] == "aws:eks/cluster:Cluster")
    cluster["inputs"]["encryptionConfig"] = {"resources": ["secrets"], "provider": {"keyArn": UNKNOWN_STRING_VALUE}}
    rule = next(r for r in policy.rules() if r.id == "AI-AWS-002")
    assert crossguard_verdict(pack_policies()["AI-AWS-002"], rule, resources) == []  # a key that exists only after up
    props = unknown_checking_proxy({"a": [UNKNOWN_STRING_VALUE, 1], "b": {"c": UNKNOWN_BOOLEAN_VALUE, "d": True}})
    assert plain(props) == {"a": ["<computed>", 1], "b": {"c": "<computed>", "d": True}}  # as aiinfra's engine shows them
