"""Pinned types outside aiinfra's catalog (aiinfra.resolve.pinned): a GPU type is never a CPU pool (issue 21), its
accelerator, count, architecture, taint and GKE accelerator name come from its instance family, and the spec
may give its price."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

SPECS = Path(__file__).resolve().parent / "fixtures" / "specs"


def env_of(cloud: str, region: str, pools: str):
    return resolve(parse_spec(f"name: t-env\ncloud: {cloud}\nregion: {region}\ngcp: {{project: my-ml-project}}\nnode_pools: {pools}\n"))


def test_a_pinned_a2_ultragpu_4g_is_a_pool_of_4_a100_80gb_with_gke_s_accelerator_name_and_the_gpu_taint():
    env = load(SPECS / "gcp.ok.pinned-a2-ultragpu-4g.yaml")
    p = env.pools[-1]
    assert (p.gpu, p.gpus_per_node, p.accelerator_type, p.family, p.architecture) == ("A100-80GB", 4, "nvidia-a100-80gb", "nvidia", "x86_64")
    assert str(p.accelerator_taint) == "nvidia.com/gpu=present:NoSchedule" and p.accelerator_known
    assert p.hourly_usd_per_node is None and "set price_per_hour" in p.price_note
    (w,) = [w for w in env.warnings if w.path == "node_pools[0].instance_type"]
    assert "its accelerators (4 × A100-80GB) come from instance family a2-ultragpu" in w.message


def test_a_pinned_grace_type_is_an_arm64_gpu_pool_priced_from_the_spec():
    env = load(SPECS / "aws.ok.pinned-grace.yaml")
    p = env.pools[-1]
    assert (p.gpu, p.gpus_per_node, p.architecture, p.family) == ("GB300", 4, "arm64", "nvidia")
    assert str(p.accelerator_taint) == "nvidia.com/gpu=true:NoSchedule"
    assert p.hourly_usd_per_node == 60 and p.price_origin.kind == "spec" and p.price_origin.source == "node_pools[].price_per_hour"
    assert p.price_note == "price from the spec (node_pools[].price_per_hour)"
    (w,) = [w for w in env.warnings if w.path == "node_pools[0].instance_type"]
    assert "priced from the spec" in w.message and "arm64 host" in w.message and "Capacity Blocks" in w.message


def test_gke_arm64_pools_tolerate_the_arch_taint_gke_puts_on_them():
    p = load(SPECS / "gcp.ok.pinned-grace.yaml").pools[-1]
    assert (p.gpu, p.accelerator_type, p.architecture) == ("GB300", "nvidia-gb300", "arm64")
    assert [str(t) for t in p.taints] == ["kubernetes.io/arch=arm64:NoSchedule"]
    assert {"key": "kubernetes.io/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"} in p.tolerations


def test_a_catalogued_graviton_gpu_type_is_arm64_too():
    (p,) = [p for p in env_of("aws", "us-east-1", "[{name: g, instance_type: g5g.xlarge}]").pools if p.name == "g"]
    assert (p.gpu, p.architecture) == ("T4g", "arm64")


def test_a_type_of_no_known_family_is_a_cpu_pool_with_a_warning_that_says_how_to_give_its_gpu():
    env = env_of("aws", "us-east-1", "[{name: m, instance_type: u7i-12tb.224xlarge}]")
    p = env.pools[-1]
    assert (p.gpu, p.gpus_per_node, p.accelerator_known, p.architecture) == (None, 0, False, "x86_64")
    (w,) = env.warnings
    assert "treated as a CPU pool; add `gpu: MODEL:N`" in w.message and "unpriced" in w.message


def test_the_spec_s_gpu_names_the_accelerator_of_a_type_of_no_known_family():
    p = env_of("aws", "us-east-1", "[{name: m, instance_type: u7x.48xlarge, gpu: 'L4:2'}]").pools[-1]
    assert (p.gpu, p.gpus_per_node, p.accelerator_known) == ("L4", 2, True) and "as the spec says" in p.reason


def test_a_reservation_price_prices_a_pinned_type_outside_the_catalog():
    p = env_of("aws", "us-east-1", "[{name: r, instance_type: p6e-gb300.36xlarge, zone: us-east-1a, capacity: reserved, "
               "reservation: {id: cr-0123456789abcdef0, kind: capacity-block, price_per_hour: 70}}]").pools[-1]
    assert p.hourly_usd_per_node == 70 and p.price_origin.source == "reservation.price_per_hour"


@pytest.mark.parametrize(
    "fixture, path, words, hint",
    [
        ("aws.bad.pinned-gpu-contradicts-family.yaml", "node_pools[0].instance_type",
         "p6e-gb300.36xlarge has GB300:4 (instance family p6e-gb300), but gpu: asks for L4:1", "drop gpu:, or set it to GB300:4"),
        ("aws.bad.pinned-size-unknown.yaml", "node_pools[0].instance_type",
         "p5.12xlarge is a p5 type (H100), but aiinfra's instance family table does not list this size", "add gpu: H100:N"),
        ("aws.bad.price-without-type.yaml", "node_pools[0]", "price_per_hour prices a pinned type, and this pool has no instance_type", "set instance_type:"),
    ],
)
def test_bad_pinned_types(fixture, path, words, hint):
    with pytest.raises(SpecError) as info:
        load(SPECS / fixture)
    (p,) = info.value.problems
    assert p.path == path and words in p.message and hint in (p.hint or ""), (p.message, p.hint)


def test_a_pool_with_both_prices_is_refused():
    with pytest.raises(SpecError) as info:
        env_of("aws", "us-east-1", "[{name: r, instance_type: p5.48xlarge, capacity: reserved, price_per_hour: 50, "
               "reservation: {id: cr-0123456789abcdef0, price_per_hour: 40}}]")
    assert "price_per_hour and reservation.price_per_hour are both given" in info.value.problems[0].message


def test_validate_shows_the_pinned_gpus_never_cpu():
    result = CliRunner().invoke(app, ["validate", str(SPECS / "gcp.ok.pinned-a2-ultragpu-4g.yaml")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.output.splitlines() if line.strip().startswith("train:")]
    assert "a2-ultragpu-4g (4 × A100-80GB)" in line and "(CPU)" not in line


def test_a_pinned_type_outside_the_catalog_keeps_dra_as_the_spec_writes_it():
    """dra: true was dropped for such a pool, so it silently got the cloud's device plugin instead of the DRA driver."""
    text = "name: t-env\ncloud: azure\nregion: eastus\ncluster: {kubernetes_version: \"1.34\"}\nnode_pools:\n  - {name: gpu, instance_type: Standard_ND96isr_H200_v9, gpu: \"H200:8\", nodes: 2%s}\n"
    assert [(p.instance_type, p.dra) for p in resolve(parse_spec(text % ", dra: true")).worker_pools] == [("Standard_ND96isr_H200_v9", True)]
    assert [p.dra for p in resolve(parse_spec(text % "")).worker_pools] == [False]
