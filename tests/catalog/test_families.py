"""catalog/data/instance_families.yaml: what a type's name says about its accelerator, agreeing with the catalog
wherever the catalog lists the type, and read for the types it does not."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aiinfra import catalog, clouds
from aiinfra.catalog import families


@pytest.mark.parametrize("cloud", clouds.names())
def test_every_catalogued_accelerator_type_has_a_family_that_agrees_with_it(cloud):
    cat = catalog.cloud_catalog(cloud)
    for name, it in cat.instance_types.items():
        found = families.lookup(cloud, name)
        if it.gpu is None:
            assert found is None, f"{name} is a CPU type in the catalog but family {found.family} says {found.accelerator}"
            continue
        if it.machine_type and it.machine_type != name:  # a CPU machine with attached GPUs (GCP n1 + T4): no family of its own
            continue
        assert found is not None, f"{cloud} {name} ({it.gpu}) has no family in instance_families.yaml"
        assert (found.accelerator, found.count) == (it.gpu, it.gpu_count), name
        if it.accelerator_type:
            assert found.accelerator_type == it.accelerator_type, name


@pytest.mark.parametrize(
    "cloud, name, accelerator, count, arch, accelerator_type",
    [
        ("aws", "p6e-gb200.36xlarge", "GB200", 4, "arm64", None),
        ("aws", "p6e-gb300.36xlarge", "GB300", 4, "arm64", None),
        ("aws", "g6e.24xlarge", "L40S", 4, "x86_64", None),
        ("aws", "g5g.16xlarge", "T4g", 2, "arm64", None),
        ("aws", "trn2u.48xlarge", "Trainium2", 16, "x86_64", None),
        ("gcp", "a3-highgpu-4g", "H100", 4, "x86_64", "nvidia-h100-80gb"),
        ("gcp", "a3-ultragpu-8g-nolssd", "H200", 8, "x86_64", "nvidia-h200-141gb"),
        ("gcp", "a4x-highgpu-4g", "GB200", 4, "arm64", "nvidia-gb200"),
        ("gcp", "a4x-maxgpu-4g-metal", "GB300", 4, "arm64", "nvidia-gb300"),
        ("gcp", "g2-standard-24", "L4", 2, "x86_64", "nvidia-l4"),
        ("gcp", "ct6e-standard-4t", "TPU-v6e", 4, "x86_64", "tpu-v6e-slice"),
        ("azure", "Standard_ND128isr_NDR_GB200_v6", "GB200", 4, "arm64", None),
        ("azure", "Standard_ND128isr_GB300_v6", "GB300", 4, "arm64", None),
        ("azure", "Standard_NC80adis_H100_v5", "H100", 2, "x86_64", None),
        ("azure", "Standard_NC24rs_v3", "V100", 4, "x86_64", None),
    ],
)
def test_a_type_name_tells_accelerator_count_and_architecture(cloud, name, accelerator, count, arch, accelerator_type):
    found = families.lookup(cloud, name)
    assert found is not None
    assert (found.accelerator, found.count, found.architecture, found.accelerator_type) == (accelerator, count, arch, accelerator_type)
    assert found.source


def test_a_size_the_table_lacks_is_a_known_family_with_an_unknown_count_and_other_names_are_no_family():
    found = families.lookup("aws", "p5.12xlarge")
    assert (found.family, found.accelerator, found.count) == ("p5", "H100", None)
    assert families.lookup("aws", "m7i.large") is None and families.lookup("aws", "p5") is None
    assert families.lookup("gcp", "n2-standard-8") is None and families.lookup("azure", "Standard_D4s_v5") is None
    assert families.architecture("aws", "m6i.large") == "x86_64" and families.architecture("aws", "p6e-gb200.36xlarge") == "arm64"


def test_only_gke_taints_arm64_nodes_itself():
    assert [str(t) for t in families.arm64_taints("gcp")] == ["kubernetes.io/arch=arm64:NoSchedule"]
    assert families.arm64_taints("aws") == () and families.arm64_taints("azure") == ()


@pytest.mark.parametrize(
    "family, words",
    [
        ({"accelerator": "H100", "source": "s"}, "one group"),  # the cloud pattern has a `size` group and no sizes are given
        ({"accelerator": "H100", "pattern": "^x-(?P<gpus>\\d+)-(?P<size>\\d+)$", "sizes": {"1": 1}, "source": "s"}, "one group"),
        ({"accelerator": "H100", "sizes": {"48xlarge": 8}, "architecture": "sparc", "source": "s"}, "architecture"),
    ],
)
def test_a_family_whose_pattern_cannot_tell_the_count_is_refused_at_load(family, words):
    with pytest.raises(ValidationError, match=words):
        families.CloudFamilies.model_validate({"pattern": "^{family}\\.(?P<size>[a-z0-9]+)$", "families": {"p9": family}})


def test_every_family_names_a_model_of_gpus_yaml():
    models = set(catalog.gpus())
    for cloud in families.table().clouds.values():
        assert {f.accelerator for f in cloud.families.values()} <= models
