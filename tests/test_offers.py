"""aiinfra.resolve.offers: every example spec priced on every cloud, cheapest first, its own row equal to `cost`, pins
translated or refused with a reason. Expectations come from the catalog and `cost` at test time, never typed in."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra import catalog, clouds
from aiinfra.catalog import families
from aiinfra.cli.main import app
from aiinfra.problems import SpecError
from aiinfra.resolve.offers import check_clouds, moved, offers
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import load_spec

STACKS = Path(__file__).resolve().parents[1] / "stacks"
SPECS = sorted(p.name for p in STACKS.glob("*.yaml") if not p.name.startswith("Pulumi"))
TOTALS = ("hourly_usd_min", "hourly_usd_max", "monthly_usd_min", "monthly_usd_max")


def _all(data):
    """Ranked offers and those kept apart (priced as another region), in the order shown."""
    return data["offers"] + data["borrowed"]


@pytest.fixture(scope="module", params=SPECS)
def result(request):
    path = STACKS / request.param
    return path, offers(load(path), source=str(path))


def test_every_example_gets_offers_on_every_cloud_by_preference_then_hourly_min(result):
    path, data = result
    # An example on one cloud's own accelerators (TPU, Trainium, MI300X) is offered only where they are.
    families = {p.family for p in load(path).gpu_pools}
    # A cluster someone already runs (cloud: existing) is no offer: without its snapshot the moved spec is unserved there.
    sold = set(clouds.names()) - {"existing"}
    expected = sold | {data["cloud"]} if families <= {"nvidia"} else {data["cloud"]}
    assert {o["cloud"] for o in _all(data)} == expected
    for rows in (data["offers"], data["borrowed"]):
        keys = [(o["preference"], o["hourly_usd_min"]) for o in rows]
        assert keys == sorted(keys)
    assert [o["rank"] for o in _all(data)] == list(range(1, len(_all(data)) + 1))
    everywhere = {(c, r) for c in clouds.names() for r in catalog.cloud_catalog(c).regions}
    listed = [(o["cloud"], o["region"]) for o in _all(data)] + [(u["cloud"], u["region"]) for u in data["unserved"]]
    assert sorted(listed) == sorted(everywhere)


def test_the_specs_own_choice_is_marked_and_equals_cost(result):
    path, data = result
    chosen = [o for o in _all(data) if o["chosen"]]
    assert len(chosen) == 1
    own = chosen[0]
    assert (own["cloud"], own["region"]) == (data["cloud"], data["region"])
    r = CliRunner().invoke(app, ["cost", "--json", str(path)])
    assert r.exit_code == 0, r.output
    cost = json.loads(r.output)
    assert {k: own[k] for k in TOTALS} == {k: cost["cost"][k] for k in TOTALS}
    assert [p["instance_type"] for p in own["pools"]] == [p["instance_type"] for p in cost["node_pools"]]


def test_every_row_prices_its_pools_and_each_unserved_region_says_why(result):
    path, data = result
    load(path)  # an existing cluster's catalog is its snapshot, installed by resolving its spec (tests leave the shipped one)
    for o in data["borrowed"]:
        assert o["priced_as"] and set(o["priced_as"]) <= set(o["priced_elsewhere"]) and "system" not in o["priced_as"]
    for o in data["offers"]:
        assert not o["priced_as"] and set(o["priced_elsewhere"]) <= {"system"}
    for o in _all(data):
        assert o["hourly_usd_spot_min"] <= o["hourly_usd_min"] + 1e-6 and o["hourly_usd_spot_max"] <= o["hourly_usd_max"] + 1e-6
        assert o["monthly_usd_min"] == pytest.approx(o["hourly_usd_min"] * catalog.HOURS_PER_MONTH, abs=0.05)  # hourly is rounded to 4 places
        assert o["hourly_usd_min"] <= o["hourly_usd_max"]
        for p in o["pools"]:
            it = catalog.cloud_catalog(o["cloud"]).instance_types[p["instance_type"]]
            assert o["region"] in it.regions and p["gpus_per_node"] == it.gpu_count
            assert p["hourly_usd_per_node"] == catalog.price(o["cloud"], p["instance_type"], o["region"], p["capacity"]).hourly_usd
            if not p["regional_price"] and p["hourly_usd_per_node"] is not None:  # another region's figure, and the price note says so
                assert p["name"] in o["priced_elsewhere"] and p["price_note"]
            if p["gpu"]:
                assert p["gpus_total"] == p["gpus_per_node"] * p["nodes_max"] and p["accelerator_memory_gib_total"] > 0
    for u in data["unserved"]:
        assert u["problems"] and all(p["path"] and p["message"] for p in u["problems"])


def test_unserved_regions_name_the_pool_that_cannot_run_there():
    data = offers(load(STACKS / "aws-llm.yaml"))
    assert data["unserved"], "the H100:8 pool is not offered in every region"
    for u in data["unserved"]:
        if u["cloud"] == "existing":  # no cluster snapshot for a moved spec: the problem is existing.snapshot, no pool's
            assert [p["path"] for p in u["problems"]] == ["existing.snapshot"]
            continue
        with pytest.raises(SpecError):
            resolve(load_spec(STACKS / "aws-llm.yaml").model_copy(update={"cloud": u["cloud"], "region": u["region"]}))
        names = [pool.name for pool in load_spec(STACKS / "aws-llm.yaml").node_pools]
        assert all(p["pool"] == names[int(p["path"][11])] for p in u["problems"] if p["path"].startswith("node_pools["))
        assert any(p["pool"] for p in u["problems"])
    h100 = [u for u in data["unserved"] if any("H100:8" in p["message"] for p in u["problems"])]
    for u in h100:
        offered = [n for n, it in catalog.cloud_catalog(u["cloud"]).instance_types.items() if it.gpu == "H100" and it.gpu_count == 8]
        assert not any(u["region"] in catalog.cloud_catalog(u["cloud"]).instance_types[n].regions for n in offered)


def test_only_the_clouds_asked_for():
    data = offers(load(STACKS / "aws-llm.yaml"), [clouds.names()[-1]])
    assert {o["cloud"] for o in _all(data)} | {u["cloud"] for u in data["unserved"]} == {clouds.names()[-1]}
    assert not any(o["chosen"] for o in _all(data))


def test_check_clouds_keeps_registry_order_and_hints_at_typos():
    first, last = clouds.names()[0], clouds.names()[-1]
    assert check_clouds([last, first, " "]) == ([first, last], [])
    _, problems = check_clouds([first + "x"])
    assert problems[0].path == "--clouds" and problems[0].hint == f"did you mean {first}?"


def _pinned_spec(tmp_path, pool: str) -> Path:
    own = catalog.cloud_catalog(clouds.names()[0])
    region = own.reference_region
    text = f"name: pinned\ncloud: {clouds.names()[0]}\nregion: {region}\nnode_pools:\n{pool}"
    path = tmp_path / "pinned.yaml"
    path.write_text(text)
    return path


def test_a_pinned_type_moves_as_its_gpus_and_a_zone_pin_stays_home(tmp_path):
    cloud = clouds.names()[0]
    cat = catalog.cloud_catalog(cloud)
    name, it = next((n, it) for n, it in cat.instance_types.items() if it.gpu and cat.reference_region in it.regions)
    zone = cat.regions[cat.reference_region][0]
    path = _pinned_spec(tmp_path, f"  - name: work\n    instance_type: {name}\n    zone: {zone}\n")
    env = load(path)
    spec = env.spec
    other_region = next(r for r in cat.regions if r != spec.region)
    same_cloud, notes, _ = moved(spec, cloud, other_region)
    assert same_cloud.node_pools[0].instance_type == name and same_cloud.node_pools[0].zone is None and notes
    other = clouds.names()[1]
    elsewhere, notes, problems = moved(spec, other, catalog.cloud_catalog(other).reference_region)
    assert not problems and elsewhere.node_pools[0].instance_type is None
    assert elsewhere.node_pools[0].gpu == f"{it.gpu}:{it.gpu_count}" and any(name in n for n in notes)
    data = offers(env)
    own = next(o for o in _all(data) if o["chosen"])
    assert own["pools"][-1]["instance_type"] == name and not own["notes"]
    assert all(o["pools"][-1]["gpu"] == it.gpu for o in _all(data))
    assert any(o["cloud"] == other and o["notes"] for o in _all(data)) or any(u["cloud"] == other for u in data["unserved"])


def test_a_pinned_type_outside_the_catalog_with_no_gpu_is_unserved_on_other_clouds(tmp_path):
    cloud = clouds.names()[0]
    example = catalog.cloud_catalog(cloud).instance_type_example
    unlisted = "x" + example[1:] + "z9"  # the shape of the cloud's own names, of no family aiinfra knows: a CPU pool, unpriced
    assert unlisted not in catalog.cloud_catalog(cloud).instance_types and families.lookup(cloud, unlisted) is None
    path = _pinned_spec(tmp_path, f"  - name: work\n    instance_type: {unlisted}\n")
    env = load(path)
    assert env.pools[-1].hourly_usd_per_node is None
    data = offers(env)
    others = [u for u in data["unserved"] if u["cloud"] != cloud]
    assert others and all(u["problems"][0]["path"] == "node_pools[0].instance_type" for u in others)
    assert not any(o["cloud"] != cloud for o in _all(data))


def test_a_pinned_type_of_a_known_family_moves_with_its_accelerators_and_leaves_its_price_behind(tmp_path):
    path = tmp_path / "gb300.yaml"
    path.write_text("{name: gb-env, cloud: aws, region: us-east-1, node_pools: [{name: train, instance_type: p6e-gb300.36xlarge, price_per_hour: 60}]}")
    env = load(path)
    data = offers(env)
    own = next(o for o in _all(data) if o["chosen"])
    assert own["pools"][-1]["hourly_usd_per_node"] == 60 and own["priced_elsewhere"] == [] and own["unpriced"] == []
    there, notes, problems = moved(env.spec, "gcp", "us-central1")
    assert problems == [] and there is not None
    assert (there.node_pools[0].gpu, there.node_pools[0].instance_type, there.node_pools[0].price_per_hour) == ("GB300:4", None, None)
    assert any("price_per_hour is the price of p6e-gb300.36xlarge" in n for n in notes)


def test_a_reservation_holds_only_where_written_and_elsewhere_is_priced_on_demand(tmp_path):
    cloud = clouds.names()[0]
    cat = catalog.cloud_catalog(cloud)
    zone = cat.regions[cat.reference_region][0]
    rid = clouds.get(cloud).reservation.example  # an id of the shape the cloud takes
    path = _pinned_spec(tmp_path, f"  - name: work\n    cpus: 4\n    capacity: reserved\n    reservation: {rid}\n    zone: {zone}\n")
    spec = load(path).spec
    other = next(r for r in cat.regions if r != spec.region)
    there, notes, problems = moved(spec, cloud, other)
    pool = there.node_pools[0]
    assert not problems and (pool.capacity, pool.reservation, pool.zone) == ("on-demand", None, None)
    assert any(rid in n for n in notes) and any(zone in n for n in notes)
    home, notes, _ = moved(spec, cloud, spec.region)
    assert home.node_pools[0] == spec.node_pools[0] and not notes
