"""Resolving GCP specs: the project setting, and requests GCP cannot serve."""

import pytest

from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec


def problems(text: str):
    with pytest.raises(SpecError) as info:
        resolve(parse_spec(text))
    return info.value.problems


def test_without_a_project_offline_resolution_uses_a_placeholder_and_says_so(monkeypatch, tmp_path):
    for var in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "CLOUDSDK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    env = resolve(parse_spec("name: t-env\ncloud: gcp\nregion: us-central1\nnode_pools: [{name: a, gpu: 'L4:1'}]\n"))
    assert env.account_id == "placeholder-project" and env.spec.gcp.project is None
    [note] = env.warnings
    assert note.path == "gcp.project" and "gcp: {project:" in note.hint


def test_project_not_required_on_other_clouds():
    env = resolve(parse_spec("name: t-env\ncloud: aws\nregion: us-east-1\n"))
    assert env.spec.gcp.project is None


def test_gpu_not_on_gcp_names_where_it_is():
    (p,) = problems("name: t-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'A10G:1'}]\n")
    assert p.message == "aiinfra's catalog has no gcp instance type with A10G" and "aws" in p.hint


def test_gpu_not_in_region_names_the_regions():
    (p,) = problems("name: t-env\ncloud: gcp\nregion: europe-west2\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'H100:8'}]\n")
    assert p.path == "node_pools[0].gpu" and "us-central1" in p.hint


def test_pinned_zone_must_offer_the_type():
    (p,) = problems("name: t-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'A100-80GB:8', zone: us-central1-b}]\n")
    assert p.path == "node_pools[0].zone" and p.hint == "listed in: us-central1-a, us-central1-c"


def test_t4_and_b200_resolve():
    env = resolve(parse_spec("name: t-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: a, gpu: 'T4:1'}, {name: b, gpu: 'B200:8', nodes: 2}]\n"))
    a, b = env.pools[1:]
    assert a.instance_type == "n1-standard-4-t4x1" and b.instance_type == "a4-highgpu-8g" and b.fabric.kind == "rdma"
    assert b.hourly_usd_per_node == 90.216  # the B200 x8 SKU, flagged unverified (market-2026.md §1.2)
