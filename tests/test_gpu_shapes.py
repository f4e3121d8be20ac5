"""`gpu: {total: 16, models: [...]}` and `gpu: {per_node: 8, min_memory_gib: 80}`: the spec form, the shape the
resolver picks per region (and says why), offers searching it everywhere, and --apply writing the shape."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from aiinfra import catalog
from aiinfra.cli.main import app
from aiinfra.problems import SpecError
from aiinfra.resolve.offers import offers
from aiinfra.resolve.resolver import load

runner = CliRunner()


def _spec(tmp_path, pools: str, cloud="aws", region="us-east-1"):
    path = tmp_path / "spec.yaml"
    path.write_text(f"{{name: shape-env, cloud: {cloud}, region: {region}, node_pools: [{pools}]}}")
    return path


def _pool(env, name):
    return next(p for p in env.pools if p.name == name)


def test_a_total_picks_a_shape_that_gives_it_and_nodes_follow(tmp_path):
    env = load(_spec(tmp_path, "{name: train, gpu: {total: 16, models: [A100-80GB, H100]}}"))
    train = _pool(env, "train")
    assert train.gpu == "A100-80GB" and train.gpus_per_node * train.nodes_max == 16
    assert train.reason.startswith("gpu: {total: 16, models: [A100-80GB, H100]} → 2 × A100-80GB:8")
    assert env.written_spec is not None and env.written_spec.node_pools[0].gpu_query is not None


def test_the_cheapest_shape_of_the_first_model_wins_and_the_others_are_named(tmp_path):
    env = load(_spec(tmp_path, "{name: train, gpu: {total: 16, models: [A100-80GB]}}", "azure", "eastus"))
    train = _pool(env, "train")
    assert "cheapest of the shapes here" in train.reason
    per_shape = {4: catalog.price("azure", "Standard_NC96ads_A100_v4", "eastus", "on-demand").hourly_usd * 4,
                 8: catalog.price("azure", "Standard_ND96amsr_A100_v4", "eastus", "on-demand").hourly_usd * 2}
    assert train.gpus_per_node == min(per_shape, key=per_shape.get)


def test_a_later_model_is_used_where_the_first_is_not_offered_and_says_so(tmp_path):
    env = load(_spec(tmp_path, "{name: train, gpu: {total: 8, models: [MI300X, H100]}}"))
    train = _pool(env, "train")
    assert train.gpu == "H100" and "(MI300X not offered here)" in train.reason


def test_per_node_with_memory_takes_the_least_gpu_that_fits(tmp_path):
    env = load(_spec(tmp_path, "{name: big, gpu: {per_node: 8, min_memory_gib: 80}, nodes: 2}"))
    big = _pool(env, "big")
    assert big.gpus_per_node == 8 and catalog.gpus()[big.gpu].memory_gib >= 80 and big.nodes_max == 2


@pytest.mark.parametrize(
    ("pools", "path", "words"),
    [
        ("{name: t, gpu: {total: 16}, nodes: 2}", "node_pools[0]", "nodes follow from gpu: total: 16"),
        ("{name: t, gpu: {total: 12, per_node: 8}}", "node_pools[0].gpu", "not a whole number of nodes"),
        ("{name: t, gpu: {models: [H100]}}", "node_pools[0].gpu", "needs total: or per_node:"),
        ("{name: t, gpu: {total: 16, models: [H10]}}", "node_pools[0].gpu.models[0]", "'H10' is not a GPU"),
        ("{name: t, gpu: {total: 3, models: [A100-80GB]}}", "node_pools[0].gpu", "no shape of gpu: {total: 3, models: [A100-80GB]} is offered in us-east-1"),
    ],
)
def test_bad_requests_name_the_field(tmp_path, pools, path, words):
    with pytest.raises(SpecError) as err:
        load(_spec(tmp_path, pools))
    assert any(p.path.startswith(path) and words in p.message for p in err.value.problems), [(p.path, p.message) for p in err.value.problems]


def test_offers_search_every_region_for_a_shape_and_apply_writes_it(tmp_path):
    path = _spec(tmp_path, "{name: train, gpu: {total: 16, models: [A100-80GB, H100]}}")
    data = offers(load(path))
    rows = data["offers"] + data["borrowed"]
    shapes = {(o["cloud"], p["shape"]["gpu"], p["shape"]["nodes"]) for o in rows for p in o["pools"] if p["name"] == "train"}
    assert len(shapes) > 1 and all(int(g.split(":")[1]) * n == 16 for _, g, n in shapes)
    target = next(o for o in rows if o["cloud"] == "azure")
    out = tmp_path / "moved.yaml"
    r = runner.invoke(app, ["offers", str(path), "--apply", str(target["rank"]), "-o", str(out)])
    assert r.exit_code == 0, r.output
    (train,) = yaml.safe_load(out.read_text())["node_pools"]
    (used,) = [p for p in target["pools"] if p["name"] == "train"]
    assert (train["gpu"], train["nodes"]) == (used["shape"]["gpu"], used["shape"]["nodes"])
    assert _pool(load(out), "train").instance_type == used["instance_type"]


def test_plain_requests_are_unchanged(tmp_path):
    env = load(_spec(tmp_path, "{name: a, gpu: 'H100:8'}, {name: b, gpu: ['L4:1', 'A10G:1']}"))
    assert env.written_spec is None and _pool(env, "a").instance_type == "p5.48xlarge"
    data = json.loads(runner.invoke(app, ["validate", "--json", str(_spec(tmp_path, "{name: a, gpu: 'H100:8'}"))]).stdout)
    assert data["valid"] is True
