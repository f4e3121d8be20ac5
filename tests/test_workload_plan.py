"""What the workload plan picks when the spec leaves it open: the bucket named checkpoints, and the model size
the training pool's accelerator trains (gpt2-124m on GPUs, tiny on CPUs and where the trainer has no device path)."""

from __future__ import annotations

import typing

import pytest

from aiinfra.resolve import accelerators
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import Workload, parse_spec

HEAD = "name: wlp\ncloud: {cloud}\nregion: {region}\nworkload: {{enabled: true{extra}}}\n"
REGIONS = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus2"}


def _plan(pools: str, buckets: str = "[datasets, checkpoints]", extra: str = "", cloud: str = "aws"):
    text = HEAD.format(cloud=cloud, region=REGIONS[cloud], extra=extra) + f"node_pools: {pools}\nstorage: {{buckets: {buckets}}}\n"
    if cloud == "gcp":
        text += "gcp: {project: wlp-project}\n"
    env = resolve(parse_spec(text))
    assert env.workload is not None
    return env.workload


@pytest.mark.parametrize(
    ("buckets", "extra", "expected"),
    [
        ("[datasets, checkpoints]", "", "checkpoints"),
        ("[checkpoints, datasets]", "", "checkpoints"),
        ("[datasets, scratch]", "", "datasets"),
        ("[datasets, checkpoints]", ", checkpoint_bucket: datasets", "datasets"),
    ],
)
def test_checkpoints_go_to_the_bucket_named_checkpoints(buckets, extra, expected):
    assert _plan("[{name: t, gpu: 'H100:8', nodes: 2}]", buckets, extra).checkpoint_bucket == expected


@pytest.mark.parametrize(
    ("cloud", "pools", "model"),
    [
        ("aws", "[{name: t, gpu: 'H100:8', nodes: 2}]", "gpt2-124m"),
        ("aws", "[{name: c, cpus: 4, nodes: 2}]", "tiny"),
        ("aws", "[{name: t, accelerator: 'Trainium:16', nodes: 2}]", "tiny"),
        ("azure", "[{name: m, accelerator: 'MI300X:8', nodes: 2}]", "gpt2-124m"),
        ("gcp", "[{name: s, accelerator: 'TPU-v5p:4', topology: 2x2x2}]", "tiny"),
    ],
)
def test_the_model_size_follows_the_training_pool(cloud, pools, model):
    assert _plan(pools, cloud=cloud).model == model


def test_an_explicit_model_wins():
    assert _plan("[{name: t, gpu: 'H100:8', nodes: 2}]", extra=", model: tiny").model == "tiny"


def test_every_family_model_is_a_spec_preset():
    presets = set(typing.get_args(typing.get_args(Workload.model_fields["model"].annotation)[0]))
    assert presets == {"tiny", "gpt2-124m"}
    for name, fam in accelerators.data().families.items():
        assert fam.train_model is None or fam.train_model in presets, name
