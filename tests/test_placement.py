"""A failover's placement record (aiinfra.resolve.placement): which records the spec still allows, and the program built
with them under mocks, through stacks/__main__.py as `pulumi up -s` runs it."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import pytest

from aiinfra.program import engine, mock_settings, offered_zones
from aiinfra.report.preview import run_offline
from aiinfra.resolve import placement
from aiinfra.resolve.resolver import load, resolve

ROOT = Path(__file__).resolve().parents[1]
SPEC = """name: pl-aws
cloud: aws
region: us-east-1
node_pools:
  - {{name: train, gpu: {gpu}, nodes: 2{extra}}}
  - {{name: cpu, nodes: 1}}
"""
NG = "aws:eks/nodeGroup:NodeGroup"


def env_of(tmp_path: Path, gpu: str = '["H100:8", "A100:8"]', extra: str = ""):
    path = tmp_path / f"pl-{abs(hash((gpu, extra)))}.yaml"
    path.write_text(SPEC.format(gpu=gpu, extra=extra))
    return load(path), path


def rec(instance_type: str = "p5.48xlarge", zone: str | None = "us-east-1b", pinned_zone: str | None = None) -> placement.Record:
    return placement.Record("train", instance_type, zone, "2026-11-26", "p5.48xlarge in us-east-1a", pinned_zone)


def train(env):
    return next(p for p in env.pools if p.name == "train")


def placed(path: Path, *records: placement.Record, value=None, skip=()):
    """The environment resolve() builds with the stack's record as its input, and how the record was applied."""
    recorded = placement.from_config(placement.dumps(list(records)) if value is None else value, skip)
    env = load(path, lambda name: recorded)
    return env, placement.placement_of(env)


def test_a_zone_record_moves_only_that_pool(tmp_path):
    env, path = env_of(tmp_path)
    moved, how = placed(path, rec())
    assert how.used == (rec(),) and not how.ignored
    assert train(moved) == dataclasses.replace(train(env), zone="us-east-1b")
    assert [p for p in moved.pools if p.name != "train"] == [p for p in env.pools if p.name != "train"]
    assert dataclasses.replace(moved, pools=env.pools) == env
    assert how.spec_pools == tuple(env.pools)
    assert how.kept() == ["pool train: p5.48xlarge in zone us-east-1b, chosen by failover on 2026-11-26 "
                          "(instead of p5.48xlarge in us-east-1a); kept from the stack's config"]


def test_a_gpu_alternative_record_resolves_that_alternative(tmp_path):
    env, path = env_of(tmp_path)
    moved = train(placed(path, rec("p4d.24xlarge", None))[0])
    assert (moved.instance_type, moved.gpu, moved.zone) == ("p4d.24xlarge", "A100", None)
    assert moved == placement.option_pool(env, "train", "A100:8", resolve)


def test_a_reset_pool_keeps_the_spec_placement(tmp_path):
    env, path = env_of(tmp_path)
    moved, how = placed(path, rec(), skip=["train"])
    assert moved.pools == env.pools and how.used == () and how.records == (rec(),)


@pytest.mark.parametrize(("gpu", "extra", "record", "why"), [
    ('"A100:8"', "", rec(), "p5.48xlarge is no longer one of the pool's gpu: options offered in us-east-1"),
    ('["H100:8", "A100:8"]', ", zone: us-east-1a", rec(), "the pool's zone/instance_type in the spec changed since (now zone: us-east-1a); the spec wins"),
    ('["H100:8", "A100:8"]', "", rec(zone="us-east-1f"), "zone us-east-1f does not offer p5.48xlarge to this environment's network"),
    ('["H100:8", "A100:8"]', "", dataclasses.replace(rec(), pool="gone"), "the spec has no such node pool any more"),
])
def test_a_record_the_spec_no_longer_allows_is_ignored(tmp_path, gpu, extra, record, why):
    env, path = env_of(tmp_path, gpu, extra)
    moved, how = placed(path, record)
    assert moved == env and moved.pools == env.pools and not how.used
    assert how.ignored == ((record, why),)
    assert how.warnings() == [f"pool {record.pool}: recorded {record.where()} ignored: {why}; the next successful `up` drops it"]


def test_a_pin_the_failover_moved_away_from_still_holds_the_record(tmp_path):
    """Azure's errors name no zone, so failover moves pools with a pinned zone: the record keeps the pin it moved
    away from, so that pin, unchanged, does not send the pool back; a pin written since wins."""
    _, path = env_of(tmp_path, extra=", zone: us-east-1a")
    assert train(placed(path, rec(zone="us-east-1b", pinned_zone="us-east-1a"))[0]).zone == "us-east-1b"
    assert placed(path, rec(zone="us-east-1b"))[1].used == ()  # recorded without a pin: the pin is new


def test_the_config_value_round_trips_and_bad_values_are_reported_not_fatal(tmp_path):
    env, path = env_of(tmp_path)
    value = placement.dumps([rec()])
    assert json.loads(value) == {"train": {"instance_type": "p5.48xlarge", "zone": "us-east-1b", "chosen": "2026-11-26",
                                           "was": "p5.48xlarge in us-east-1a", "spec": {"zone": None, "instance_type": None}}}
    assert placement.parse(value) == ([rec()], [])
    assert placement.parse(json.loads(value)) == ([rec()], [])
    assert placed(path, value="")[0].pools == env.pools
    bad_env, bad = placed(path, value="{not json")
    assert bad_env.pools == env.pools and bad.problems and "aiinfra:placement is not JSON" in bad.problems[0]
    assert placement.parse('{"train": {"zone": "us-east-1b"}}')[1] == ["aiinfra:placement: the entry for pool train has no instance_type; ignored"]


def test_an_environment_resolved_without_a_record_has_no_placement(tmp_path):
    env, _ = env_of(tmp_path)
    assert env.placement is None
    assert placement.placement_of(env).lines() == [] and placement.placement_of(env).spec_pools == tuple(env.pools)


def test_after_failover_records_moved_pools_and_drops_the_rest(tmp_path):
    env, path = env_of(tmp_path)
    start, _ = placed(path, rec(), dataclasses.replace(rec(), pool="gone"))
    to_c = dataclasses.replace(start, pools=[dataclasses.replace(p, zone="us-east-1c") if p.name == "train" else p for p in start.pools])
    assert placement.after_failover(start, start, {}, "2026-11-27") == [rec()]  # no move: the valid record stays, "gone" goes
    (moved,) = placement.after_failover(start, to_c, {"train": "p5.48xlarge in us-east-1b"}, "2026-11-27")
    assert (moved.zone, moved.chosen, moved.was) == ("us-east-1c", "2026-11-27", "p5.48xlarge in us-east-1b")
    back, _ = placed(path)
    assert placement.after_failover(back, env, {"train": "x"}, "2026-11-27") == []  # at the spec's own placement: no record


def _stack_program():
    spec = importlib.util.spec_from_file_location("aiinfra_stacks_program_placement", ROOT / "stacks" / "__main__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run_stack(path: Path, env, monkeypatch, value: str | None):
    config = {"aiinfra:spec": str(path), **({placement.KEY: value} if value is not None else {})}
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(config))
    mocks = engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, offered_zones(env), mock_settings(env))
    return engine.run(_stack_program().main, mocks, stack=env.spec.name)


def _train_group(result):
    return next(r for r in result.of_type(NG) if r.name.startswith("pl-aws-train-"))


def test_the_stack_program_builds_the_pool_where_the_record_says(tmp_path, monkeypatch):
    """`pulumi up -s` under mocks: with the record, the train node group is exactly the one a spec pinning zone b
    builds; everything else is the program without the record."""
    env, path = env_of(tmp_path)
    pinned, _ = env_of(tmp_path, extra=", zone: us-east-1b")
    plain = _run_stack(path, env, monkeypatch, None)
    placed = _run_stack(path, env, monkeypatch, placement.dumps([rec()]))
    want = _train_group(run_offline(pinned))
    assert _train_group(placed).inputs == want.inputs
    assert _train_group(plain).inputs["subnetIds"] != _train_group(placed).inputs["subnetIds"]  # EFA: one zone, a without the record
    others = lambda result: sorted((r.type, r.name, json.dumps(r.inputs, sort_keys=True, default=str)) for r in result.resources if "-train-" not in r.name)  # noqa: E731
    assert others(placed) == others(plain)


def test_the_stack_program_ignores_a_record_the_spec_no_longer_allows(tmp_path, monkeypatch):
    env, path = env_of(tmp_path, gpu='"A100:8"')
    placed = _run_stack(path, env, monkeypatch, placement.dumps([rec()]))
    assert _train_group(placed).inputs == _train_group(run_offline(env)).inputs


def test_a_failover_move_re_plans_what_runs_on_the_pool(tmp_path):
    """Failover moves a pool through resolve()'s placement input, so the workload's plan (its pods' EFA requests,
    the fit check) follows the pool to its gpu: alternative instead of still describing the machine that failed."""
    from aiinfra.deploy.failover import Failover

    path = tmp_path / "pl-wl.yaml"
    path.write_text(SPEC.format(gpu='["H100:8", "A100:8"]', extra="") + "storage: {buckets: [checkpoints]}\nworkload: {enabled: true}\n")
    env = load(path)
    assert env.workload.train_pool.instance_type == "p5.48xlarge"
    tries = Failover(env)
    urn = "urn:pulumi:pl-aws::aiinfra::aiinfra:index:Environment$aiinfra:aws:NodePool$aws:eks/nodeGroup:NodeGroup::pl-aws-train-ng"
    message = ("InsufficientInstanceCapacity - We currently do not have sufficient p5.48xlarge capacity in the Availability Zone "
               "you requested (us-east-1a).")
    moved = tries.next([(urn, message)])
    while moved is not None and train(moved).instance_type == "p5.48xlarge":
        moved = tries.next([(urn, message.replace("us-east-1a", train(moved).zone or "us-east-1a"))])
    assert moved is not None and train(moved).instance_type == "p4d.24xlarge"
    assert moved.workload.train_pool == train(moved) and moved.workload.serve_pool.instance_type == "p4d.24xlarge"
