"""The cross-cloud contracts (components/base/: gpu_pool.py, storage.py, registry.py, identity.py, cluster.py, errors.py): pure check()s that return
problems with Args paths, one ComponentInputError, and the same constructor and output names on every cloud."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from aiinfra import defaults
from aiinfra.components.aws import gpu_pool as aws_pool
from aiinfra.components.azure import gpu_pool as azure_pool
from aiinfra.components.base import gpu_pool as base_pool
from aiinfra.components.base.errors import ComponentInputError
from aiinfra.components.base.gpu_pool import PoolCommon
from aiinfra.components.gcp import gpu_pool as gcp_pool
from aiinfra.problems import Problem

CLOUDS = ("aws", "gcp", "azure")


def _aws(**kw):
    return aws_pool.NodePoolArgs(cluster_name="c", node_role_arn="r", cluster_security_group_id="sg", vpc_id="v", subnets={"us-east-1a": "s"}, **kw)


def _gcp(**kw):
    return gcp_pool.NodePoolArgs(project="p", cluster="c", candidate_zones=["us-central1-a"], **kw)


def _azure(**kw):
    return azure_pool.NodePoolArgs(resource_group_name="rg", cluster_name="c", node_subnet_id="s", zones=["1", "2"], **kw)


BUILD = {"aws": (_aws, aws_pool.check), "gcp": (_gcp, gcp_pool.check), "azure": (_azure, azure_pool.check)}


def paths(problems: list[Problem]) -> set[str]:
    return {p.path for p in problems}


@pytest.mark.parametrize("cloud", CLOUDS)
def test_good_args_have_no_problems(cloud):
    build, check = BUILD[cloud]
    assert check(build(pool="train", gpu="H100", gpus_per_node=8, accelerator_type="nvidia-h100-80gb") if cloud == "gcp" else build(pool="train")) == []


@pytest.mark.parametrize("cloud", CLOUDS)
def test_common_rules_are_problems_with_args_paths_on_every_cloud(cloud):
    build, check = BUILD[cloud]
    problems = check(build(pool="train", nodes_min=3, nodes_max=1, capacity="reserved", gpus_per_node=2, disk_gib=0))
    assert {"nodes_min", "reservation", "gpus_per_node", "disk_gib"} <= paths(problems)
    assert all(isinstance(p, Problem) for p in problems)


@pytest.mark.parametrize(
    ("cloud", "kw", "path"),
    [
        ("aws", {"efa_interfaces": 4}, "efa_interfaces"),
        ("aws", {"zone": "us-east-1z"}, "zone"),
        ("gcp", {"pool": "Not_A_GKE_Name"}, "pool"),
        ("gcp", {"gpu": "H100", "gpus_per_node": 8}, "accelerator_type"),
        ("gcp", {"zone": "us-central1-z"}, "zone"),
        ("azure", {"infiniband": True}, "infiniband"),
        ("azure", {"capacity": "reserved", "reservation": "not-an-arm-id"}, "reservation"),
        ("azure", {"spot_max_price": 0.0}, "spot_max_price"),
        ("azure", {"zone": "9"}, "zone"),
    ],
)
def test_cloud_rules_are_problems_with_args_paths(cloud, kw, path):
    build, check = BUILD[cloud]
    assert path in paths(check(build(**{"pool": "train", **kw})))


def test_node_labels_common_set():
    args = PoolCommon(pool="train", gpu="H100", gpus_per_node=8, capacity="spot")
    assert base_pool.node_labels("env-train", args) == {
        "aiinfra.dev/pool": "train",
        "aiinfra.dev/capacity": "spot",
        "accelerator": "nvidia",
        "aiinfra.dev/gpu": "H100",
        "aiinfra.dev/gpu-count": "8",
    }
    assert "accelerator" not in base_pool.node_labels("x", args, accelerator_label=False)
    assert base_pool.node_labels("env-cpu", PoolCommon())["aiinfra.dev/pool"] == "env-cpu"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_cloud_pool_args_is_the_common_contract(cloud):
    build, _ = BUILD[cloud]
    args = build()
    assert isinstance(args, PoolCommon)
    assert args.disk_gib == defaults.DISK_GIB
    common = {f.name for f in dataclasses.fields(PoolCommon)}
    assert common <= {f.name for f in dataclasses.fields(type(args))}


def test_from_resolved_copies_every_common_field():
    from aiinfra.resolve.result import ResolvedPool

    pool = ResolvedPool(
        name="train", instance_type="p5.48xlarge", gpu="H100", gpus_per_node=8, nodes_min=0, nodes_max=4, capacity="reserved",
        fabric=None, hourly_usd_per_node=None, price_note=None, reason="", zone="us-east-1a", reservation="cr-1", disk_gib=500, labels={"team": "ml"},
    )  # fmt: skip
    args = aws_pool.NodePoolArgs.from_resolved(pool, cluster_name="c", node_role_arn="r", cluster_security_group_id="sg", vpc_id="v", subnets={"us-east-1a": "s"})
    assert (args.pool, args.nodes_min, args.nodes_max, args.capacity, args.gpu, args.gpus_per_node) == ("train", 0, 4, "reserved", "H100", 8)
    assert (args.zone, args.reservation, args.disk_gib, args.labels) == ("us-east-1a", "cr-1", 500, {"team": "ml"})
    assert args.labels is not pool.labels


def test_component_input_error_carries_problems_and_reroots_paths():
    err = ComponentInputError("aiinfra:aws:NodePool", "env-train", [Problem("nodes_min", "bad"), Problem("reservation", "missing")])
    assert isinstance(err, ValueError)
    moved = err.at("node_pools[1]", {"nodes_min": "nodes"})
    assert [p.path for p in moved.problems] == ["node_pools[1].nodes", "node_pools[1].reservation"]
    assert "node_pools[1].reservation: missing" in str(moved)


KINDS = ("NodePool", "ObjectStorage", "ContainerRegistry", "WorkloadIdentity")
MODULES = {"NodePool": "gpu_pool", "ObjectStorage": "storage", "ContainerRegistry": "registry", "WorkloadIdentity": "identity"}
SHARED_OUTPUTS = {
    "NodePool": {"pool_name", "zones"},
    "ObjectStorage": {"bucket_names", "bucket_urls"},
    "ContainerRegistry": {"repository_urls"},
    "WorkloadIdentity": {"binding"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_same_constructor_and_output_names_on_every_cloud(kind):
    import importlib

    for cloud in CLOUDS:
        cls = getattr(importlib.import_module(f"aiinfra.components.{cloud}"), kind)
        assert list(inspect.signature(cls.__init__).parameters)[:4] == ["self", "name", "args", "opts"], (cloud, kind)
        declared = set(inspect.get_annotations(cls)) | {n for n in dir(cls) if isinstance(getattr(cls, n, None), property)}
        assert SHARED_OUTPUTS[kind] <= declared, (cloud, kind, SHARED_OUTPUTS[kind] - declared)
        source = inspect.getsource(importlib.import_module(f"aiinfra.components.{cloud}.{MODULES[kind]}"))
        for out in SHARED_OUTPUTS[kind]:
            assert f"self.{out} = " in source, (cloud, kind, out)


@pytest.mark.parametrize(("module", "old"), [(aws_pool, "node_group_name"), (azure_pool, "agent_pool_name")])
def test_renamed_pool_outputs_keep_their_old_names_and_say_what_they_became(module, old):
    holder = type("Pool", (), {"pool_name": "the-pool", old: getattr(module.NodePool, old)})()
    with pytest.warns(DeprecationWarning, match="pool_name"):
        assert getattr(holder, old) == "the-pool"


def test_spec_paths_reroot_each_component_at_its_spec_section():
    from types import SimpleNamespace

    from aiinfra.components.spec_paths import at_spec

    env = SimpleNamespace(name="env", spec=SimpleNamespace(name="env", node_pools=[SimpleNamespace(name="cpu"), SimpleNamespace(name="train")]))
    pool = at_spec(env, ComponentInputError("aiinfra:gcp:NodePool", "env-train", [Problem("machine_type", "not offered"), Problem("nodes_max", "x")]))
    assert [p.path for p in pool.problems] == ["node_pools[1].instance_type", "node_pools[1].nodes"]
    assert pool.source == "environment 'env'"
    cluster = at_spec(env, ComponentInputError("aiinfra:azure:Cluster", "env", [Problem("vnet_cidr", "overlaps"), Problem("admins[0]", "bad")]))
    assert sorted(p.path for p in cluster.problems) == ["cluster.admins[0]", "network.cidr"]
    registry = at_spec(env, ComponentInputError("aiinfra:gcp:ContainerRegistry", "env", [Problem("images", "none")]))
    assert [p.path for p in registry.problems] == ["registry.repositories"]
