"""The offline engine: captures inputs and options, answers invokes, works in preview and update mode."""

from pathlib import Path

import pytest

from aiinfra.program import engine
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load

SPEC = Path(__file__).resolve().parents[1] / "stacks" / "aws-llm.yaml"


def _program():
    import pulumi
    import pulumi_aws as aws

    vpc = aws.ec2.Vpc("v", cidr_block="10.1.0.0/16")
    aws.ec2.Subnet("s", vpc_id=vpc.id, cidr_block="10.1.0.0/24", opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True))
    return {"vpc": vpc.id, "arn": vpc.arn}


def mocks():
    return engine.CloudMocks("aws", "us-east-1", ["us-east-1a", "us-east-1b"], lambda t: ["us-east-1a"])


@pytest.mark.parametrize("preview", [True, False])
def test_outputs_and_options_in_both_modes(preview):
    result = engine.run(_program, mocks(), preview=preview)
    assert result.outputs["vpc"].startswith("vpc-")
    assert result.outputs["arn"].startswith("arn:aws:ec2:us-east-1:123456789012:vpc/vpc-")
    subnet = result.one("aws:ec2/subnet:Subnet")
    assert subnet.options["protect"] is True and subnet.options["retain_on_delete"] is True
    assert subnet.inputs["vpcId"] == result.outputs["vpc"]
    assert any(d.endswith("::v") for d in subnet.options["depends_on"])


def test_runs_are_isolated():
    first = engine.run(_program, mocks())
    second = engine.run(_program, mocks())
    assert [r.urn for r in first.resources] == [r.urn for r in second.resources]


def test_unknown_invoke_is_an_error_not_a_silent_none():
    def program():
        import pulumi_aws as aws

        aws.ec2.get_vpc(default=True)

    with pytest.raises(Exception, match="no answer for invoke aws:ec2/getVpc"):
        engine.run(program, mocks())


def test_full_environment_is_stable_across_runs():
    env = load(SPEC)
    a, b = run_offline(env), run_offline(env)
    assert [(r.type, r.name) for r in a.resources] == [(r.type, r.name) for r in b.resources]
    assert a.outputs == b.outputs
    pairs = [(r.type, r.name) for r in a.resources]
    assert len(pairs) == len(set(pairs)), "duplicate resource names would collide on a real engine"


def test_outside_names_resources_whose_parent_chain_misses_the_root():
    from aiinfra.program.engine import CapturedResource, RunResult

    def res(urn, parent):
        return CapturedResource(urn=urn, type="t", name=urn, parent=parent, custom=True, inputs={})

    root = res("root", None)
    result = RunResult([root, res("a", "root"), res("b", "a"), res("stray", None), res("x", "y"), res("y", "x")], {})
    assert result.outside(root) == ["t stray", "t x", "t y"]


def test_clean_names_unknowns_sorts_map_keys_and_keeps_list_order():
    from pulumi.output import Unknown

    wire = {"b": [Unknown(), 2.0, "x"], "a": {"z": engine.UNKNOWN, "y": 1.5}}
    cleaned = engine._clean(wire)
    assert cleaned == {"a": {"y": 1.5, "z": "<computed>"}, "b": ["<computed>", 2, "x"]}
    assert list(cleaned) == ["a", "b"] and list(cleaned["a"]) == ["y", "z"]


def _unknowns_program():
    import pulumi
    import pulumi_aws as aws

    vpc = aws.ec2.Vpc("v", cidr_block="10.1.0.0/16")  # the mocks answer no ipv6CidrBlock: unknown in preview
    aws.ec2.Subnet("s", vpc_id=vpc.id, cidr_block="10.1.0.0/24", ipv6_cidr_block=vpc.ipv6_cidr_block, tags={"b": "1", "a": vpc.ipv6_association_id})
    return {"v6": vpc.ipv6_cidr_block, "id": vpc.id, "both": {"id": vpc.id, "v6": vpc.ipv6_cidr_block}, "token": pulumi.Output.secret("t")}


def test_preview_prints_unknowns_as_computed_in_inputs_and_outputs():
    import json

    result = engine.run(_unknowns_program, mocks(), preview=True)
    subnet = result.one("aws:ec2/subnet:Subnet")
    assert subnet.inputs["ipv6CidrBlock"] == "<computed>" and subnet.inputs["tags"] == {"a": "<computed>", "b": "1"}
    assert result.outputs["v6"] == "<computed>", "one unknown output must not drop the others"
    assert result.outputs["id"].startswith("vpc-") and result.outputs["both"]["v6"] == "<computed>"
    assert result.secret_outputs == {"token"}
    assert "object at 0x" not in json.dumps([subnet.inputs, result.outputs], default=repr)


def test_depends_on_and_providers_are_sorted():
    env = load(SPEC)
    for r in run_offline(env).resources:
        assert r.options["depends_on"] == sorted(r.options["depends_on"]), r.urn
        assert list(r.options["providers"]) == sorted(r.options["providers"]), r.urn
