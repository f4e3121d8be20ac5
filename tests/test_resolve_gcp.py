"""Resolving GCP specs: the project setting, and requests GCP cannot serve."""

import pytest

from aiinfra.problems import SpecError
from aiinfra.resolve import resolve
from aiinfra.spec import parse_spec


def problems(text: str):
    with pytest.raises(SpecError) as info:
        resolve(parse_spec(text))
    return info.value.problems


def test_gcp_needs_a_project_and_other_problems_are_still_reported():
    found = problems("name: t-env\ncloud: gcp\nregion: us-central1\nnode_pools: [{name: a, gpu: 'H100:3'}]\n")
    assert [p.path for p in found] == ["gcp.project", "node_pools[0].gpu"]
    assert "gcp: {project:" in found[0].hint


def test_project_not_required_on_other_clouds():
    env = resolve(parse_spec("name: t-env\ncloud: aws\nregion: us-east-1\n"))
    assert env.spec.gcp.project is None


def test_gpu_not_on_gcp_names_where_it_is():
    (p,) = problems("name: t-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'A10G:1'}]\n")
    assert p.message == "A10G is not offered on gcp" and "aws" in p.hint


def test_gpu_not_in_region_names_the_regions():
    (p,) = problems("name: t-env\ncloud: gcp\nregion: europe-west2\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'H100:8'}]\n")
    assert p.path == "node_pools[0].gpu" and "us-central1" in p.hint


def test_pinned_zone_must_offer_the_type():
    (p,) = problems("name: t-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'A100-80GB:8', zone: us-central1-b}]\n")
    assert p.path == "node_pools[0].zone" and p.hint == "offered in: us-central1-a, us-central1-c"


def test_t4_and_b200_resolve():
    env = resolve(parse_spec("name: t-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'T4:1'}, {name: b, gpu: 'B200:8', nodes: 2}]\n"))
    a, b = env.pools[1:]
    assert a.instance_type == "n1-standard-4-t4x1" and b.instance_type == "a4-highgpu-8g" and b.fabric.kind == "rdma"
    assert b.hourly_usd_per_node is None
