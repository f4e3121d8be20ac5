"""Spec parsing: the shape of environment files and how bad input is reported."""

from pathlib import Path

import pytest

from aiinfra.problems import SpecError
from aiinfra.spec import EnvironmentSpec, Range, json_schema, load_spec, parse_spec

SPECS = Path(__file__).parent / "fixtures" / "specs"


def problems_of(name: str):
    with pytest.raises(SpecError) as info:
        load_spec(SPECS / name)
    return {p.path: p for p in info.value.problems}


def test_issue_shape_parses():
    spec = load_spec(SPECS / "aws.ok.training-serving.yaml")
    assert spec.name == "llm-train" and spec.cloud == "aws"
    train, serve = spec.node_pools
    assert (train.gpu, train.nodes_min, train.nodes_max, train.capacity) == ("H100:8", 2, 2, "on-demand")
    assert isinstance(serve.nodes, Range) and (serve.nodes_min, serve.nodes_max) == (1, 4)
    assert spec.storage.buckets == ["datasets", "checkpoints"]
    assert spec.storage.delete_with_environment is False


def test_pool_without_gpu_is_cpu_pool():
    spec = parse_spec("name: cpu-only\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: work}]\n")
    assert spec.node_pools[0].gpu is None


def test_unknown_top_level_field_suggests_the_right_one():
    p = problems_of("aws.bad.unknown-field.yaml")["node_pool"]
    assert "unknown field" in p.message
    assert p.hint == "did you mean node_pools?"


def test_unknown_pool_field_has_its_path_and_suggestion():
    p = problems_of("aws.bad.unknown-pool-field.yaml")["node_pools[0].node"]
    assert p.hint == "did you mean nodes?"


def test_min_greater_than_max():
    p = problems_of("aws.bad.min-gt-max.yaml")["node_pools[0].nodes"]
    assert "min (5) is greater than max (2)" in p.message


def test_negative_sizes_each_reported():
    found = problems_of("aws.bad.negative-nodes.yaml")
    assert "negative" in found["node_pools[0].nodes"].message
    assert "node_pools[1].nodes.min" in found
    assert "must be at least 0, got -1" in found["node_pools[1].nodes.min"].message


def test_duplicate_pool_names():
    found = problems_of("aws.bad.duplicate-pools.yaml")
    assert any("duplicate node pool name 'serve'" in p.message for p in found.values())


def test_invalid_environment_name():
    p = problems_of("aws.bad.env-name.yaml")["name"]
    assert "lowercase" in p.message and "^" not in p.message
    assert p.hint == "did you mean llm-train?" and p.value == "LLM_Train"


def test_invalid_bucket_name_points_at_the_bucket():
    found = problems_of("aws.bad.bucket-name.yaml")
    assert "storage.buckets[0]" in found and "storage.buckets[1]" not in found


def test_malformed_yaml_names_line():
    p = problems_of("aws.bad.malformed.yaml")["(yaml)"]
    assert "line" in p.message


def test_empty_file():
    p = problems_of("aws.bad.empty.yaml")["(top level)"]
    assert "empty" in p.message


def test_not_a_mapping():
    with pytest.raises(SpecError) as info:
        parse_spec("- just\n- a list\n")
    assert "expected a mapping" in info.value.problems[0].message


def test_unknown_cloud_lists_choices():
    p = problems_of("aws.bad.unknown-cloud.yaml")["cloud"]
    assert p.message == "'awz' is not one of: aws, gcp, azure, existing" and p.value == "awz"
    assert (p.hint or "").startswith("did you mean aws?")


def test_reserved_needs_reservation_id():
    found = problems_of("aws.bad.reserved-without-id.yaml")
    assert any("reservation" in p.message for p in found.values())


def test_gpu_syntax_error_has_example():
    with pytest.raises(SpecError) as info:
        parse_spec("name: bad-gpu\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a, gpu: H100x8}]\n")
    p = info.value.problems[0]
    assert p.path == "node_pools[0].gpu" and "H100:8" in (p.hint or "")


def test_public_endpoint_rejects_world_cidr():
    with pytest.raises(SpecError) as info:
        parse_spec("name: pub\ncloud: aws\nregion: us-east-1\ncluster: {public_endpoint: true, public_access_cidrs: [0.0.0.0/0]}\n")
    assert "0.0.0.0/0" in info.value.problems[0].message


def test_missing_file():
    with pytest.raises(SpecError) as info:
        load_spec(SPECS / "nope.yaml")
    assert "no such file" in info.value.problems[0].message


def test_json_schema_forbids_unknown_fields_and_documents_gpu():
    schema = json_schema()
    assert schema["additionalProperties"] is False
    pool = schema["$defs"]["NodePool"]
    assert pool["additionalProperties"] is False
    assert "H100:8" in str(pool["properties"]["gpu"])
    assert set(schema["required"]) == {"name", "cloud", "region"}


def test_every_example_in_stacks_parses(repo_root):
    examples = sorted((repo_root / "stacks").glob("*.yaml"))
    examples = [p for p in examples if not p.name.startswith("Pulumi")]
    assert examples
    for path in examples:
        assert isinstance(load_spec(path), EnvironmentSpec)


def test_gpu_alternatives_parse_and_bad_entries_point_at_the_entry():
    spec = parse_spec("name: alt\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a, gpu: ['L4:1', 'A10:1']}]\n")
    assert spec.node_pools[0].gpu_options == ["L4:1", "A10:1"]
    with pytest.raises(SpecError) as info:
        parse_spec("name: alt\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a, gpu: [H100x8, 'L4:1']}]\n")
    assert [p.path for p in info.value.problems] == ["node_pools[0].gpu[0]"]
    with pytest.raises(SpecError) as info:
        parse_spec("name: alt\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a, gpu: []}]\n")
    assert "empty list" in info.value.problems[0].message
