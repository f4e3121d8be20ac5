"""Accelerator families and TPU slices (issue 14): the spec's accelerator:/topology:, what the resolver decides for
each family, and every bad input with its path and fix."""

from __future__ import annotations

import pytest

from aiinfra import catalog
from aiinfra.problems import SpecError
from aiinfra.resolve import accelerators
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec


def env(cloud: str, region: str, pools: str):
    return resolve(parse_spec(f"name: accel\ncloud: {cloud}\nregion: {region}\nnode_pools:\n{pools}"))


def problems(cloud: str, region: str, pools: str):
    with pytest.raises(SpecError) as e:
        env(cloud, region, pools)
    return [(p.path, p.message, p.hint) for p in e.value.problems]


def test_every_family_resolves_to_its_resource_taint_and_labels():
    gcp = env("gcp", "us-central1", " - {name: serve, accelerator: 'TPU-v6e:8', nodes: {min: 0, max: 2}}\n - {name: slice, accelerator: 'TPU-v5p:4', topology: 2x2x2}\n")
    serve, slc = gcp.worker_pools
    assert (serve.instance_type, serve.family, serve.accelerator_resource, str(serve.accelerator_taint)) == ("ct6e-standard-8t", "tpu", "google.com/tpu", "google.com/tpu=present:NoSchedule")
    assert (serve.topology, serve.nodes_min, serve.nodes_max, serve.multi_host_slice) == ("2x4", 0, 2, False)
    assert serve.accelerator_labels == {"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice", "cloud.google.com/gke-tpu-topology": "2x4"}
    assert (slc.instance_type, slc.topology, slc.nodes_min, slc.nodes_max, slc.multi_host_slice) == ("ct5p-hightpu-4t", "2x2x2", 2, 2, True)
    assert slc.hourly_usd_per_node == pytest.approx(16.8)  # 4 chips x $4.20 (SKY-GCP-TPU)
    aws = env("aws", "us-east-1", " - {name: train, accelerator: 'Trainium:16', nodes: 2}\n - {name: inf, gpu: 'Inferentia2:1'}\n")
    train, inf = aws.worker_pools
    assert (train.instance_type, train.family, train.accelerator_resource, str(train.accelerator_taint)) == ("trn1.32xlarge", "neuron", "aws.amazon.com/neuron", "aws.amazon.com/neuron=true:NoSchedule")
    assert (train.fabric_kind, train.fabric.interfaces) == ("efa", 8)
    assert (inf.instance_type, inf.family, inf.fabric) == ("inf2.xlarge", "neuron", None)
    azure = env("azure", "eastus2", " - {name: train, accelerator: 'MI300X:8', nodes: 2}\n")
    [mi] = azure.worker_pools
    assert (mi.instance_type, mi.family, mi.accelerator_resource, str(mi.accelerator_taint), mi.fabric_kind) == (
        "Standard_ND96isr_MI300X_v5", "amd", "amd.com/gpu", "amd.com/gpu=present:NoSchedule", "infiniband")
    assert mi.hourly_usd_per_node == 48.0


def test_nvidia_pools_keep_their_cloud_taint():
    for cloud, region, value in (("aws", "us-east-1", "true"), ("gcp", "us-central1", "present"), ("azure", "eastus", "true")):
        [p] = env(cloud, region, " - {name: g, accelerator: 'H100:8'}\n").worker_pools
        assert (p.family, p.accelerator_resource, str(p.accelerator_taint)) == ("nvidia", "nvidia.com/gpu", f"nvidia.com/gpu={value}:NoSchedule")


def test_topology_sets_the_node_count_and_a_matching_nodes_is_accepted():
    for nodes, expect in (("", (4, 4)), (", nodes: 4", (4, 4)), (", nodes: {min: 0, max: 4}", (0, 4))):
        [p] = env("gcp", "us-central1", f" - {{name: s, accelerator: 'TPU-v6e:4', topology: 4x4{nodes}}}\n").worker_pools
        assert (p.nodes_min, p.nodes_max) == expect
    # 2x4 is one 8-chip VM or two 4-chip VMs: the chips per node decide
    [one] = env("gcp", "us-central1", " - {name: s, accelerator: 'TPU-v5e:8', topology: 2x4}\n").worker_pools
    [two] = env("gcp", "us-central1", " - {name: s, accelerator: 'TPU-v5e:4', topology: 2x4}\n").worker_pools
    assert (one.instance_type, one.nodes_max) == ("ct5lp-hightpu-8t", 1)
    assert (two.instance_type, two.nodes_max) == ("ct5lp-hightpu-4t", 2)


@pytest.mark.parametrize(
    ("cloud", "region", "pool", "path", "words", "hint"),
    [
        ("aws", "us-east-1", "{name: s, accelerator: 'TPU-v6e:4'}", "node_pools[0].accelerator", "no aws instance type with TPU-v6e", "offered on gcp (ct6e-standard-1t"),
        ("gcp", "us-central1", "{name: s, gpu: 'MI300X:8'}", "node_pools[0].gpu", "no gcp instance type with MI300X", "offered on azure (Standard_ND96isr_MI300X_v5)"),
        ("azure", "eastus2", "{name: s, accelerator: 'Trainium:16'}", "node_pools[0].accelerator", "no azure instance type with Trainium", "offered on aws (trn1.2xlarge"),
        ("gcp", "us-central1", "{name: s, accelerator: 'TPU-v6e:4', topology: 3x3}", "node_pools[0].topology", "do not come in 3x3", "1x1, 2x2, 2x4, 4x4"),
        ("gcp", "us-central1", "{name: s, accelerator: 'TPU-v5p:4', topology: 4x4}", "node_pools[0].topology", "TPU-v5p slices do not come in 4x4", "2x2x1, 2x2x2"),
        ("gcp", "us-central1", "{name: s, accelerator: 'TPU-v6e:4', topology: 4x4, nodes: 3}", "node_pools[0].nodes", "4 node(s) of 4 chips", "write nodes: 4"),
        ("gcp", "us-central1", "{name: s, accelerator: 'TPU-v6e:8', topology: 4x4}", "node_pools[0].accelerator", "4 chips per node, not 8", "did you mean TPU-v6e:4?"),
        ("gcp", "us-central1", "{name: s, accelerator: 'TPU-v6e:2'}", "node_pools[0].accelerator", "2 × TPU-v6e per node", "did you mean TPU-v6e:1?"),
        ("gcp", "us-central1", "{name: s, accelerator: 'H100:8', topology: 2x2}", "node_pools[0].topology", "H100 is not a TPU", "remove topology"),
        ("gcp", "us-central1", "{name: s, topology: 2x2}", "node_pools[0].topology", "no accelerator", "remove topology"),
        ("gcp", "us-central1", "{name: s, accelerator: 'TPU-v6e:4', topology: four}", "node_pools[0].topology", "not a TPU topology", "e.g. topology: 4x4"),
        ("aws", "us-east-1", "{name: s, accelerator: 'Trainium:16', gpu: 'Trainium:16'}", "node_pools[0]", "accelerator and gpu are both given", "keep one"),
        ("aws", "us-east-1", "{name: s, accelerator: 'Trainium2:16'}", "node_pools[0].accelerator", "no Trainium2:16 type in us-east-1", "us-east-2"),
    ],
)
def test_bad_accelerator_input_says_where_and_how_to_fix(cloud, region, pool, path, words, hint):
    found = problems(cloud, region, f" - {pool}\n") if "both given" not in words and "not a TPU topology" not in words else None
    if found is None:
        with pytest.raises(SpecError) as e:
            parse_spec(f"name: accel\ncloud: {cloud}\nregion: {region}\nnode_pools:\n - {pool}\n")
        found = [(p.path, p.message, p.hint) for p in e.value.problems]
    [(got_path, message, got_hint)] = found
    assert got_path == path and words in message and hint in (got_hint or ""), found


def test_slice_data_agrees_with_the_gke_catalog():
    """Every single-host shape has its machine type in the catalog with that many chips and GKE's TPU label, and every
    multi-host shape's machine type exists."""
    types = catalog.cloud_catalog("gcp").instance_types
    tpu = accelerators.data().tpu
    for model, gen in tpu.generations.items():
        counts = {it.gpu_count for it in types.values() if it.gpu == model}
        assert counts == set(gen.single_host) | {gen.multi_host.chips_per_node}, model
        assert {it.accelerator_type for it in types.values() if it.gpu == model} == {gen.accelerator}, model
        assert catalog.gpus()[model].family == "tpu"
        for s in accelerators.slices(model):
            assert accelerators.chips_in(s.topology) == s.chips_per_node * s.nodes


def test_every_model_has_a_family_with_a_resource_and_taint():
    for gpu in catalog.gpus().values():
        fam = accelerators.family(gpu.family)
        assert fam.resource and fam.taint.key
    assert {g.family for g in catalog.gpus().values()} == set(accelerators.data().families)
