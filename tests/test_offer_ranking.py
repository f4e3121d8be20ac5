"""How offers are ranked (aiinfra.resolve.ranking) on synthetic rows, and the rules on the real catalog: the spec's
preference first, borrowed prices apart, spot totals, and a spec moved to an offer by `--apply`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.resolve import ranking
from aiinfra.resolve.offers import offers
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[1] / "stacks"
runner = CliRunner()


def _row(cloud, region, preference, lo, spot=None, chosen=False, borrowed=False):
    return {"cloud": cloud, "region": region, "preference": preference, "hourly_usd_min": lo, "hourly_usd_max": lo + 1,
            "hourly_usd_spot_min": lo if spot is None else spot, "hourly_usd_spot_max": (lo if spot is None else spot) + 1, "chosen": chosen, "borrowed": borrowed}


ROWS = [
    _row("a", "cheap-fallback", [1], 5.0, spot=1.0),
    _row("a", "first-choice", [0], 9.0, spot=8.0),
    _row("b", "first-choice-cheaper", [0], 7.0, spot=6.0),
    _row("b", "home", [0], 9.0, spot=8.5, chosen=True),
    _row("c", "second-pool-fallback", [0, 1], 6.0),
]
ORDER = {(r["cloud"], r["region"]): i for i, r in enumerate(ROWS)}


def test_preference_ranks_the_first_alternative_above_a_cheaper_fallback():
    names = [r["region"] for r in ranking.rank(ROWS, ORDER)]
    assert names == ["first-choice-cheaper", "home", "first-choice", "second-pool-fallback", "cheap-fallback"]


def test_price_and_spot_are_one_entry_each_in_the_sort_table():
    assert [r["region"] for r in ranking.rank(ROWS, ORDER, "price")][:2] == ["cheap-fallback", "second-pool-fallback"]
    assert [r["region"] for r in ranking.rank(ROWS, ORDER, "spot")][0] == "cheap-fallback"
    assert set(ranking.SORT_KEYS) >= {"preference", "price", "spot"} and ranking.DEFAULT_SORT == "preference"
    assert all(isinstance(what, str) and callable(key) for what, key in ranking.SORT_KEYS.values())


def test_equal_rows_put_the_specs_own_first_then_registry_order():
    tied = [_row("a", "x", [0], 9.0), _row("b", "home", [0], 9.0, chosen=True), _row("c", "y", [0], 9.0)]
    order = {(r["cloud"], r["region"]): i for i, r in enumerate(tied)}
    assert [r["region"] for r in ranking.rank(tied, order)] == ["home", "x", "y"]


def test_borrowed_rows_are_kept_apart_unless_asked():
    rows = [_row("a", "own", [0], 9.0), _row("a", "borrowed", [0], 1.0, borrowed=True)]
    assert ranking.split_borrowed(rows, False) == ([rows[0]], [rows[1]])
    assert ranking.split_borrowed(rows, True) == (rows, [])


@pytest.fixture(scope="module")
def preferred(tmp_path_factory):
    path = tmp_path_factory.mktemp("pref") / "pref.yaml"
    path.write_text("{name: pref, cloud: azure, region: eastus, node_pools: [{name: train, gpu: [A100-80GB:8, A100-80GB:4], nodes: 2}]}")
    return path, offers(load(path), ["azure", "gcp"])


def test_an_offer_of_the_first_alternative_ranks_above_one_of_fewer_gpus(preferred):
    _, data = preferred
    top = data["offers"][0]
    (train,) = [p for p in top["pools"] if p["name"] == "train"]
    assert train["alternative"] == 0 and train["gpus_total"] == 16 and train["accelerator_memory_gib_total"] == 16 * 80
    fallbacks = [o for o in data["offers"] if o["preference"] != [0]]
    assert all(data["offers"].index(o) > data["offers"].index(top) for o in fallbacks)
    assert all(p["gpus_total"] == 8 for o in fallbacks for p in o["pools"] if p["name"] == "train")


def test_spot_totals_sit_beside_on_demand(preferred):
    _, data = preferred
    own = next(o for o in data["offers"] + data["borrowed"] if o["chosen"])
    (train,) = [p for p in own["pools"] if p["name"] == "train"]
    assert train["hourly_usd_spot_per_node"] is not None and train["hourly_usd_spot_per_node"] < train["hourly_usd_per_node"]
    assert own["hourly_usd_spot_min"] == pytest.approx(own["hourly_usd_min"] - 2 * (train["hourly_usd_per_node"] - train["hourly_usd_spot_per_node"]), abs=1e-3)


def test_regions_priced_as_another_are_listed_apart_and_say_which(preferred):
    _, data = preferred
    assert data["borrowed"], "Azure A100 v4 outside the US has no regional price in the catalog"
    for o in data["borrowed"]:
        assert o["priced_as"] == {"train": "eastus"} or o["cloud"] == "gcp"
    assert all(not o["priced_as"] for o in data["offers"])
    mixed = offers(load(preferred[0]), ["azure", "gcp"], include_borrowed=True)
    assert mixed["borrowed"] == [] and len(mixed["offers"]) == len(data["offers"]) + len(data["borrowed"])


def test_sort_is_checked_and_json_keeps_the_order_shown():
    bad = runner.invoke(app, ["offers", str(STACKS / "aws-llm.yaml"), "--sort", "prise"])
    assert bad.exit_code == 2 and "did you mean price?" in bad.output and "Traceback" not in bad.output
    data = json.loads(runner.invoke(app, ["offers", str(STACKS / "aws-llm.yaml"), "--json", "--sort", "price", "--clouds", "aws,gcp"]).stdout)
    assert data["sort"] == "price" and [o["hourly_usd_min"] for o in data["offers"]] == sorted(o["hourly_usd_min"] for o in data["offers"])


def test_apply_writes_the_spec_moved_to_an_offer_and_it_resolves(tmp_path):
    data = json.loads(runner.invoke(app, ["offers", str(STACKS / "aws-llm.yaml"), "--json"]).stdout)
    target = next(o for o in data["offers"] if not o["chosen"])
    out = tmp_path / "moved.yaml"
    r = runner.invoke(app, ["offers", str(STACKS / "aws-llm.yaml"), "--apply", str(target["rank"]), "-o", str(out)])
    assert r.exit_code == 0, r.output
    moved = yaml.safe_load(out.read_text())
    assert (moved["cloud"], moved["region"]) == (target["cloud"], target["region"])
    assert moved["node_pools"] == yaml.safe_load((STACKS / "aws-llm.yaml").read_text())["node_pools"]
    env = load(out)
    assert [p.instance_type for p in env.pools] == [p["instance_type"] for p in target["pools"]]
    missing = runner.invoke(app, ["offers", str(STACKS / "aws-llm.yaml"), "--apply", "999"])
    assert missing.exit_code == 2 and "--apply" in missing.output


def test_aws_llm_moved_to_azure_westeurope_resolves():
    """The issue's repro: every Azure GPU size the example needs is sold in westeurope (priced as eastus there)."""
    spec = yaml.safe_load((STACKS / "aws-llm.yaml").read_text())
    env = load_from(spec | {"cloud": "azure", "region": "westeurope"})
    assert {p.name: p.instance_type for p in env.pools if p.name != "system"} == {"train": "Standard_ND96isr_H100_v5", "serve": "Standard_NV36ads_A10_v5"}


def load_from(spec: dict, tmp: Path | None = None):
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "spec.yaml"
        path.write_text(yaml.safe_dump(spec))
        return load(path)
