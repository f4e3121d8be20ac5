"""storage.filesystems, mount_buckets and mlops.data: each cloud's sizes and tiers, and the errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aiinfra.catalog.filesystems import cloud_data
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}


def spec(cloud: str, filesystems: str = "", storage_extra: str = "", extra: str = "", buckets: str = "[datasets, checkpoints]") -> str:
    return (
        f"name: data\ncloud: {cloud}\nregion: {REGIONS[cloud]}\n"
        "node_pools: [{name: train, gpu: 'H100:8', nodes: {min: 0, max: 2}}]\n"
        f"storage:\n  buckets: {buckets}\n{storage_extra}"
        + (f"  filesystems:\n{filesystems}" if filesystems else "")
        + extra
    )


def problems(text: str) -> list:
    with pytest.raises(SpecError) as err:
        resolve(parse_spec(text))
    return err.value.problems


@pytest.mark.parametrize(
    ("cloud", "size", "capacity", "unit", "throughput"),
    [("aws", 36, 36000, "GiB", 125), ("aws", 1.2, 1200, "GiB", 125), ("gcp", 36, 36000, "GiB", 500), ("azure", 36, 36, "TiB", 500)],
)
def test_valid_sizes_resolve_in_the_clouds_unit(cloud, size, capacity, unit, throughput):
    env = resolve(parse_spec(spec(cloud, f"    - {{name: scratch, kind: lustre, size_tib: {size}, import_from: datasets}}\n")))
    (fs,) = env.filesystems
    assert (fs.capacity, fs.unit, fs.throughput, fs.import_from) == (capacity, unit, throughput, "datasets")
    assert fs.zone in env.zones and fs.mount_path == "/mnt/scratch" and fs.claim_name == "fs-scratch"


def test_aws_price_is_capacity_times_the_tier_rate_with_its_source():
    env = resolve(parse_spec(spec("aws", "    - {name: scratch, kind: lustre, size_tib: 36}\n")))
    (fs,) = env.filesystems
    assert fs.monthly_usd == round(36000 * 0.145, 2)
    assert "c3x.dev" in fs.price_note and "2026-11-26" in fs.price_note


@pytest.mark.parametrize(
    ("cloud", "line", "needle", "hint"),
    [
        ("aws", "size_tib: 37", "1.2 TiB, then from 2.4 TiB in steps of 2.4 TiB", "36 or 38.4 TiB"),
        ("aws", "size_tib: 0.5", "0.5 TiB is not one of them", "1.2 or 2.4 TiB"),
        ("gcp", "size_tib: 20", "from 18 TiB in steps of 18 TiB up to 3060 TiB", "18 or 36 TiB"),
        ("gcp", "size_tib: 36, throughput_mbps_per_tib: 125", "from 72 TiB in steps of 72 TiB", "72 or 144 TiB"),
        ("azure", "size_tib: 30, throughput_mbps_per_tib: 125", "from 16 TiB in steps of 16 TiB, at most 128 TiB", "16 or 32 TiB"),
        ("azure", "size_tib: 132", "at most 128 TiB", "124 or 128 TiB"),
    ],
)
def test_bad_sizes_list_the_valid_ones(cloud, line, needle, hint):
    (p,) = problems(spec(cloud, f"    - {{name: scratch, kind: lustre, {line}}}\n"))
    assert p.path == "storage.filesystems[0].size_tib"
    assert needle in p.message and hint in p.hint


def test_unknown_tier_import_and_kind():
    found = problems(spec("aws", "    - {name: scratch, kind: lustre, size_tib: 2.4, throughput_mbps_per_tib: 200, import_from: dataset}\n"))
    by_path = {p.path: p for p in found}
    assert "did you mean datasets?" == by_path["storage.filesystems[0].import_from"].hint
    assert "tiers: 125, 250, 500, 1000" in by_path["storage.filesystems[0].throughput_mbps_per_tib"].message
    assert "did you mean 250?" == by_path["storage.filesystems[0].throughput_mbps_per_tib"].hint
    with pytest.raises(SpecError) as err:
        parse_spec(spec("gcp", "    - {name: scratch, kind: lustr, size_tib: 36}\n"))
    (p,) = err.value.problems
    assert p.path == "storage.filesystems[0].kind" and "did you mean lustre?" in p.hint


def test_mount_buckets_and_ray_need_buckets():
    found = problems(spec("aws", storage_extra="  mount_buckets: true\n", extra="mlops: {data: ray}\n", buckets="[]"))
    assert {p.path for p in found} == {"storage.mount_buckets", "mlops.data"}


def test_a_cloud_without_data_offers_refuses_filesystems_and_mounts(monkeypatch):
    from aiinfra.catalog.filesystems import CloudData
    from aiinfra.resolve import data_layer

    monkeypatch.setattr(data_layer, "offer", lambda cloud, kind: None)
    monkeypatch.setattr(data_layer, "cloud_data", lambda cloud: CloudData())
    found = problems(spec("aws", "    - {name: scratch, kind: lustre, size_tib: 2.4}\n", storage_extra="  mount_buckets: true\n"))
    assert {p.path for p in found} == {"storage.filesystems[0].kind", "storage.mount_buckets"}
    assert "no managed lustre file system on AWS" in found[0].message


def test_azure_needs_room_for_the_lustre_subnet():
    text = spec("azure", "    - {name: scratch, kind: lustre, size_tib: 36}\n").replace("region: eastus\n", "region: eastus\nnetwork: {cidr: 10.1.0.0/24}\n")
    (p,) = problems(text)
    assert p.path == "network.cidr" and "/26" in p.message


def test_duplicate_filesystem_names():
    with pytest.raises(SpecError) as err:
        parse_spec(spec("aws", "    - {name: a, kind: lustre, size_tib: 2.4}\n    - {name: a, kind: lustre, size_tib: 2.4}\n"))
    assert "names a file system twice" in err.value.problems[0].message


def test_every_cloud_has_data_layer_facts_with_sources():
    for cloud in REGIONS:
        data = cloud_data(cloud)
        assert data.lustre is not None and data.bucket_mount
        assert data.lustre.tier(data.lustre.default_throughput) is not None
        assert all(t.price_source and t.price_as_of for t in data.lustre.tiers)


def test_cli_exits_2_and_creates_nothing(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(spec("aws", "    - {name: scratch, kind: lustre, size_tib: 37, import_from: dataset}\n"))
    run = subprocess.run([str(Path(sys.executable).with_name("aiinfra")), "preview", str(path)], capture_output=True, text=True)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "did you mean datasets?" in run.stdout + run.stderr and "Nothing was created" in run.stdout + run.stderr
