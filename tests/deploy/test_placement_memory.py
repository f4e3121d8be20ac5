"""After failover moved a pool, the stack's config remembers where (aiinfra:placement), so that the next `aiinfra up`
builds the same program instead of moving the working pool back to where the cloud was out of capacity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.deploy.backends import data_dir

SPEC = """name: fo-aws
cloud: aws
region: us-east-1
node_pools:
  - {{name: train, gpu: {gpu}, nodes: 2{extra}}}
  - {{name: cpu, nodes: 1}}
"""
KEY = "aiinfra:placement"
RECORD = {"train": {"instance_type": "p5.48xlarge", "zone": "us-east-1b", "chosen": "2026-11-26", "was": "p5.48xlarge in us-east-1a",
                    "spec": {"zone": None, "instance_type": None}}}
KEPT = ("placement: pool train: p5.48xlarge in zone us-east-1b, chosen by failover on 2026-11-26 (instead of p5.48xlarge in us-east-1a); "
        "kept from the stack's config")


def ec2(zone: str) -> str:
    return (f"creating EKS Node Group: last error: AsgInstanceLaunchFailures: Could not launch On-Demand Instances. InsufficientInstanceCapacity - "
            f"We currently do not have sufficient p5.48xlarge capacity in the Availability Zone you requested ({zone}). Our system will be "
            f"working on provisioning additional capacity.")


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


def write_spec(tmp_path: Path, gpu: str = '["H100:8", "A100:8"]', extra: str = "") -> str:
    spec = tmp_path / "fo-aws.yaml"
    spec.write_text(SPEC.format(gpu=gpu, extra=extra))
    return str(spec)


def scenario(fake_pulumi, as_state, spec: str, failures: list[str]) -> str:
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load

    resources = as_state(build(load(Path(spec))))
    (pool,) = [r["urn"] for r in resources if r["type"] == "aws:eks/nodeGroup:NodeGroup" and "::fo-aws-train-" in r["urn"]]
    fake_pulumi.scenario(resources=resources, outputs={"cluster_name": "fo-aws"}, fail_create_times={pool: failures})
    return pool


def config(fake_pulumi) -> dict:
    return fake_pulumi.stacks()["fo-aws"]["config"]


def train(env):
    return next(p for p in env.pools if p.name == "train")


def up(*args: str):
    return CliRunner().invoke(app, ["up", *args, "--yes"])


def stocked_out_once(fake_pulumi, as_state, tmp_path, envs) -> str:
    """The first `up`: zone a is out of p5.48xlarge, failover builds the pool in zone b."""
    spec = write_spec(tmp_path)
    scenario(fake_pulumi, as_state, spec, [ec2("us-east-1a")])
    result = up(spec)
    assert result.exit_code == 0, result.output
    assert [train(e).zone for e in envs] == [None, "us-east-1b"]
    return spec


def test_failover_records_the_placement_and_the_next_up_keeps_it(fake_pulumi, as_state, tmp_path, envs):
    spec = write_spec(tmp_path)
    scenario(fake_pulumi, as_state, spec, [ec2("us-east-1a")])
    first = up(spec)
    assert first.exit_code == 0, first.output
    assert json.loads(config(fake_pulumi)[KEY]) == RECORD
    assert ("placement: recorded in the stack's config (aiinfra:placement): pool train: p5.48xlarge in zone us-east-1b, chosen by failover "
            "on 2026-11-26 (instead of p5.48xlarge in us-east-1a); later runs keep the pool there") in first.output
    settings = data_dir() / "workspaces" / "fo-aws" / "Pulumi.fo-aws.yaml"
    assert settings.is_file() and KEY in settings.read_text()  # where the CLI keeps stack config; preview reads it there
    moved = envs[-1]
    sets = len(fake_pulumi.ran("config", "set"))

    second = up(spec)
    assert second.exit_code == 0, second.output
    assert KEPT in second.output and "failover:" not in second.output
    assert envs[-1] == moved  # the same program input as the run that worked: Pulumi has nothing to replace
    assert train(envs[-1]).zone == "us-east-1b"
    assert len(fake_pulumi.ran("config", "set")) == sets and json.loads(config(fake_pulumi)[KEY]) == RECORD


def test_preview_cost_and_outputs_show_the_recorded_placement(fake_pulumi, as_state, tmp_path, envs):
    spec = stocked_out_once(fake_pulumi, as_state, tmp_path, envs)
    shown = CliRunner().invoke(app, ["preview", spec])
    assert shown.exit_code == 0 and KEPT in shown.output
    assert "`aiinfra up " + spec + " --reset-placement train` moves it back to where the spec puts it" in shown.output
    data = json.loads(CliRunner().invoke(app, ["preview", spec, "--json"]).stdout)
    assert data["placement"]["used"] == RECORD and data["placement"]["ignored"] == {}
    groups = {r["name"]: r for r in data["resources"] if r["type"] == "aws:eks/nodeGroup:NodeGroup"}
    pinned = json.loads(CliRunner().invoke(app, ["preview", write_spec(tmp_path / "..", extra=", zone: us-east-1b"), "--json"]).stdout)
    assert groups["fo-aws-train-ng"]["inputs"] == next(r for r in pinned["resources"] if r["name"] == "fo-aws-train-ng")["inputs"]
    assert KEPT in CliRunner().invoke(app, ["cost", spec]).output
    outputs = CliRunner().invoke(app, ["outputs", spec])
    assert outputs.exit_code == 0 and "cluster_name: fo-aws" in outputs.output and KEPT in outputs.output


def test_a_spec_change_invalidates_the_record_and_up_drops_it(fake_pulumi, as_state, tmp_path, envs):
    stocked_out_once(fake_pulumi, as_state, tmp_path, envs)
    spec = write_spec(tmp_path, gpu='"A100:8"')
    result = up(spec)
    assert result.exit_code == 0, result.output
    assert ("placement: pool train: recorded p5.48xlarge in zone us-east-1b ignored: p5.48xlarge is no longer one of the pool's gpu: options "
            "offered in us-east-1; the next successful `up` drops it") in result.output
    assert train(envs[-1]).instance_type == "p4d.24xlarge"
    assert KEY not in config(fake_pulumi) and fake_pulumi.ran("config", "rm", KEY)
    assert "placement: dropped the record for pool train (p5.48xlarge in zone us-east-1b); it follows the spec again" in result.output


def test_a_zone_pinned_in_the_spec_since_wins(fake_pulumi, as_state, tmp_path, envs):
    stocked_out_once(fake_pulumi, as_state, tmp_path, envs)
    result = up(write_spec(tmp_path, extra=", zone: us-east-1a"))
    assert result.exit_code == 0, result.output
    assert "the pool's zone/instance_type in the spec changed since (now zone: us-east-1a); the spec wins" in result.output
    assert train(envs[-1]).zone == "us-east-1a" and KEY not in config(fake_pulumi)


def test_reset_placement_clears_the_record(fake_pulumi, as_state, tmp_path, envs):
    spec = stocked_out_once(fake_pulumi, as_state, tmp_path, envs)
    result = up(spec, "--reset-placement", "train")
    assert result.exit_code == 0, result.output
    assert train(envs[-1]).zone is None and KEPT not in result.output
    assert KEY not in config(fake_pulumi)
    after = up(spec)
    assert after.exit_code == 0 and train(envs[-1]).zone is None and "placement:" not in after.output


def test_reset_placement_of_a_pool_without_a_record_is_refused(fake_pulumi, as_state, tmp_path, envs):
    spec = stocked_out_once(fake_pulumi, as_state, tmp_path, envs)
    ups = len(fake_pulumi.ran("up"))
    result = up(spec, "--reset-placement", "cpu")
    assert result.exit_code == 2
    assert "pool cpu has no recorded placement" in result.output and "recorded: train" in result.output
    assert len(fake_pulumi.ran("up")) == ups and json.loads(config(fake_pulumi)[KEY]) == RECORD


def test_a_later_failure_still_records_a_pool_that_moved(fake_pulumi, as_state, tmp_path, envs):
    """The pool moved and was created, then something else failed: the record is written anyway, so the next
    `up` does not move the running pool back."""
    spec = write_spec(tmp_path)
    pool = scenario(fake_pulumi, as_state, spec, [ec2("us-east-1a")])
    resources = json.loads((fake_pulumi.home / "scenario.json").read_text())["resources"]
    after = [r["urn"] for r in resources[[r["urn"] for r in resources].index(pool) + 1:] if r["custom"] and "NodePool" not in r["urn"]][0]
    fake_pulumi.scenario(fail_create=after)
    result = up(spec)
    assert result.exit_code == 1, result.output
    assert json.loads(config(fake_pulumi).get(KEY, "null")) == RECORD, result.output


def test_an_unreadable_record_is_reported_and_dropped(fake_pulumi, as_state, tmp_path, envs):
    import yaml

    spec = stocked_out_once(fake_pulumi, as_state, tmp_path, envs)
    stacks = fake_pulumi.stacks()
    stacks["fo-aws"]["config"][KEY] = "{not json"
    (fake_pulumi.home / "stacks.json").write_text(json.dumps(stacks))
    settings = data_dir() / "workspaces" / "fo-aws" / "Pulumi.fo-aws.yaml"
    settings.write_text(yaml.safe_dump({"config": stacks["fo-aws"]["config"]}))
    result = up(spec)
    assert result.exit_code == 0, result.output
    assert "placement: aiinfra:placement is not JSON" in result.output and train(envs[-1]).zone is None
    assert KEY not in config(fake_pulumi)
