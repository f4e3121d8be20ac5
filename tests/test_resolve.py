"""Resolving GPU requests to instance types, and the catalog-level problems of a spec."""

from pathlib import Path

import pytest

from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

SPECS = Path(__file__).parent / "fixtures" / "specs"


def env_of(text: str):
    return resolve(parse_spec(text))


def pool(text_pools: str, region: str = "us-east-1", cloud: str = "aws"):
    return env_of(f"name: t-env\ncloud: {cloud}\nregion: {region}\ngcp: {{project: my-ml-project}}\nnode_pools: {text_pools}\n").pools


def problems_of(name: str):
    with pytest.raises(SpecError) as info:
        load(SPECS / name)
    return info.value.problems


def test_h100_8_multi_node_picks_p5_with_efa():
    train = pool('[{name: train, gpu: "H100:8", nodes: 2}]')[1]
    assert train.instance_type == "p5.48xlarge"
    assert train.fabric.kind == "efa" and train.fabric.interfaces == 32 and train.fabric.gbps == 3200
    assert train.hourly_usd_per_node == pytest.approx(55.04)  # post-cut price, market-2026.md §1.1


def test_l4_1_spot_is_cheapest_with_reason():
    serve = pool('[{name: serve, gpu: "L4:1", nodes: {min: 1, max: 4}, capacity: spot}]')[1]
    assert serve.instance_type == "g6.xlarge"
    assert serve.hourly_usd_per_node == pytest.approx(0.3879)
    assert serve.reason.startswith("cheapest of")


def test_best_fabric_beats_price_for_multi_node_8_gpu():
    # On GCP a3-megagpu-8g (TCPXO, 1600 Gbps) costs more than a3-highgpu-8g (TCPX, 800 Gbps) but wins for multi-node.
    multi = pool('[{name: train, gpu: "H100:8", nodes: 2}]', region="us-central1", cloud="gcp")[1]
    single = pool('[{name: train, gpu: "H100:8", nodes: 1}]', region="us-central1", cloud="gcp")[1]
    assert multi.instance_type == "a3-megagpu-8g" and "best fabric" in multi.reason
    assert single.instance_type == "a3-highgpu-8g" and "cheapest" in single.reason


def test_aliases_resolve_case_insensitively():
    p = pool('[{name: a, gpu: "a100-40gb:8", nodes: 2}]')[1]
    assert p.instance_type == "p4d.24xlarge" and p.gpu == "A100"


def test_pinned_instance_type_is_used():
    env = load(SPECS / "aws.ok.pinned-type.yaml")
    a100 = next(p for p in env.pools if p.name == "a100")
    assert (a100.instance_type, a100.gpu, a100.gpus_per_node, a100.reason) == ("p4d.24xlarge", "A100", 8, "pinned by instance_type")
    assert a100.fabric.interfaces == 4


def test_pinned_type_must_match_gpu():
    with pytest.raises(SpecError) as info:
        pool('[{name: a, gpu: "H100:8", instance_type: p4d.24xlarge}]')
    assert "has A100:8" in info.value.problems[0].message


def test_pinned_unknown_type_is_used_unpriced_and_suggests():
    env = resolve(parse_spec('name: t-env\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a, instance_type: x9.48xlarg}]\n'))
    assert env.pools[1].instance_type == "x9.48xlarg" and env.pools[1].hourly_usd_per_node is None
    assert env.pools[1].gpu is None and not env.pools[1].accelerator_known
    assert "treated as a CPU pool; add `gpu: MODEL:N`" in env.warnings[0].message


def test_a_misspelt_size_of_a_known_family_is_refused_with_the_name_it_resembles():
    with pytest.raises(SpecError) as info:
        pool("[{name: a, instance_type: p5.48xlarg}]")
    (p,) = info.value.problems
    assert "p5.48xlarg is a p5 type (H100)" in p.message and "count is unknown" in p.message
    assert p.hint.startswith("did you mean p5.48xlarge? Or add gpu: H100:N")


def test_pinned_type_that_is_no_name_of_the_cloud_is_refused():
    with pytest.raises(SpecError) as info:
        pool('[{name: a, instance_type: Standard_ND96isr_H100_v5}]')
    p = info.value.problems[0]
    assert p.path == "node_pools[0].instance_type" and "does not look like a aws instance type name (e.g. p5.48xlarge)" in p.message


def test_system_pool_is_added():
    pools = pool("[]")
    assert [p.name for p in pools] == ["system"] and pools[0].system and pools[0].gpu is None


def test_cpu_pool_sizes_by_cpus():
    work = pool("[{name: work, cpus: 8}]")[1]
    assert work.gpu is None and work.vcpus >= 8


def test_unknown_gpu_suggests_nearest_with_count():
    (p,) = problems_of("aws.bad.unknown-gpu.yaml")
    assert p.path == "node_pools[0].gpu" and p.message == "'H10' is not a GPU in aiinfra's catalog" and p.hint == "did you mean H100:8?"


def test_count_no_type_offers():
    (p,) = problems_of("aws.bad.gpu-count.yaml")
    assert "aiinfra's catalog has no aws instance type with 3 × H100" in p.message and p.hint == "did you mean H100:1?"  # p5.4xlarge (1) is nearer 3 than p5.48xlarge (8)


def test_gpu_not_in_region_names_regions():
    (p,) = problems_of("aws.bad.gpu-not-in-region.yaml")
    assert p.message == "aiinfra's catalog has no H100:8 type in sa-east-1 on aws" and "us-east-1" in p.hint


def test_gpu_not_on_cloud_names_where_offered():
    (p,) = problems_of("aws.bad.gpu-not-on-cloud.yaml")
    assert p.message == "aiinfra's catalog has no aws instance type with A10" and "azure" in p.hint


def test_unknown_region_suggests():
    (p,) = problems_of("aws.bad.unknown-region.yaml")
    assert p.path == "region" and p.hint in {"did you mean us-east-1?", "did you mean us-east-2?"}


def test_all_problems_reported_together():
    paths = [p.path for p in problems_of("aws.bad.many-problems.yaml")]
    assert paths == ["node_pools[0].gpu", "node_pools[1].gpu", "node_pools[2].gpu"]


def test_zone_must_belong_to_region():
    with pytest.raises(SpecError) as info:
        pool('[{name: a, gpu: "L4:1", zone: us-west-2a}]')
    assert info.value.problems[0].path == "node_pools[0].zone"


def test_zero_fixed_nodes_is_an_error():
    with pytest.raises(SpecError) as info:
        pool('[{name: a, gpu: "L4:1", nodes: 0}]')
    assert "min: 0" in info.value.problems[0].hint


def test_reserved_pool_keeps_reservation_and_zone():
    env = load(SPECS / "aws.ok.reserved.yaml")
    train = env.pools[1]
    assert train.reservation == "cr-0123456789abcdef0" and train.zone == "us-east-1b"
    assert "on-demand rate" in (train.price_note or "")


def test_region_without_price_falls_back_and_says_so():
    # 8 vCPUs in eu-west-1: m6i.2xlarge / c6i.2xlarge have no eu-west-1 figure of their own (data/prices/aws.yaml)
    work = pool("[{name: work, cpus: 8}]", region="eu-west-1")[1]
    assert work.hourly_usd_per_node is not None and "us-east-1 price used" in work.price_note


def test_long_bucket_names_rejected():
    with pytest.raises(SpecError) as info:
        env_of("name: a-rather-long-env-name\ncloud: aws\nregion: us-east-1\nstorage: {buckets: [an-even-longer-bucket-name-for-data]}\n")
    assert info.value.problems[0].path == "storage.buckets[0]"


def test_moving_clouds_needs_only_cloud_and_region():
    base = (Path(__file__).resolve().parents[1] / "stacks" / "aws-llm.yaml").read_text()
    for cloud, region in (("gcp", "us-central1"), ("azure", "eastus")):
        moved = base.replace("cloud: aws", f"cloud: {cloud}").replace("region: us-east-1", f"region: {region}")
        moved += "gcp: {project: my-ml-project}\n"  # the GCP project setting; ignored on other clouds
        env = resolve(parse_spec(moved))
        train = next(p for p in env.pools if p.name == "train")
        assert train.gpu == "H100" and train.gpus_per_node == 8 and train.fabric is not None
        serve = next(p for p in env.pools if p.name == "serve")
        assert serve.gpu == {"gcp": "L4", "azure": "A10"}[cloud]


def test_first_offered_alternative_wins_and_says_why():
    serve = pool("[{name: serve, gpu: ['L4:1', 'A10:1']}]", region="eastus", cloud="azure")[1]
    assert serve.gpu == "A10" and "L4:1 not offered" in serve.reason
    first = pool("[{name: serve, gpu: ['L4:1', 'A10G:1']}]")[1]
    assert first.gpu == "L4" and "not offered" not in first.reason


def test_no_alternative_offered_reports_each():
    with pytest.raises(SpecError) as info:
        pool("[{name: serve, gpu: ['L4:1', 'A10G:1']}]", region="eastus", cloud="azure")
    assert [p.path for p in info.value.problems] == ["node_pools[0].gpu[0]", "node_pools[0].gpu[1]"]


def test_the_reason_quotes_the_price_cost_uses():
    """A reservation's own price, and on-demand shown for a spot pool whose type has no spot price, as `cost` has them."""
    from aiinfra.resolve.capacity import money

    trn, spot = pool(
        '[{name: trn, accelerator: "Trainium2:16", nodes: 2, capacity: reserved, zone: us-east-2a, '
        'reservation: {id: cr-0a1b2c3d4e5f67890, price_per_hour: 40}}, {name: spot, accelerator: "Trainium2:16", nodes: 1, capacity: spot}]',
        region="us-east-2",
    )[1:]
    assert trn.hourly_usd_per_node == 40 and "($40.00/h reserved from the spec)" in trn.reason
    assert "no spot price" in spot.price_note and f"({money(spot.hourly_usd_per_node)}/h on-demand)" in spot.reason


EXAMPLES = sorted(Path(__file__).parents[1].glob("stacks/[a-z]*.yaml")) + sorted(SPECS.glob("*.ok.*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_chosen_pool_quotes_its_own_price(path):
    from aiinfra.resolve.capacity import money

    for p in load(path).pools:
        if p.reason.startswith(("the only", "cheapest of")):
            head = p.reason.split(" (next:")[0]
            said = money(p.hourly_usd_per_node) + "/h " if p.hourly_usd_per_node is not None else "no "
            assert said in head, (p.name, p.reason)
