"""The NVIDIA DRA driver and Kueue TAS objects for GB200 racks (issue 25), against the pinned chart defaults and CRDs."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8shelpers import cr_errors, defaults, unknown_keys

from aiinfra.components.kubernetes.addons import dra
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.components.kubernetes.addons.tracking import artifact_values
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "specs"
FIXTURES = ["aws.ok.gb200.yaml", "gcp.ok.gb200.yaml", "azure.ok.gb200.yaml", "aws.ok.gb200-partial.yaml"]


@pytest.fixture(scope="module")
def plans():
    return {f: addon_plan(load(SPECS / f), artifact_root=lambda b: artifact_values(f"s3://{b}")) for f in FIXTURES}


def release(plan, key):
    (r,) = [r for r in plan.releases if r.key == key]
    return r


@pytest.mark.parametrize("fixture", FIXTURES)
def test_dra_driver_values_exist_in_the_pinned_chart(plans, fixture):
    r = release(plans[fixture], dra.RELEASE)
    assert unknown_keys(dra.RELEASE, r.values, defaults(r.ref.values_file)) == []
    assert (r.ref.chart, r.ref.version, r.ns) == ("oci://registry.k8s.io/dra-driver-nvidia/charts/dra-driver-nvidia-gpu", "0.4.1", "dra-driver-nvidia-gpu")
    assert r.after == ["gpu-operator"] and plans[fixture].namespaces[r.ns]


@pytest.mark.parametrize(
    "fixture, root, gpus",
    [("aws.ok.gb200.yaml", "/", False), ("gcp.ok.gb200.yaml", "/home/kubernetes/bin/nvidia", False), ("azure.ok.gb200.yaml", "/run/nvidia/driver", False), ("aws.ok.gb200-partial.yaml", "/", True)],
)
def test_compute_domains_on_nvlink_pools_and_gpus_only_where_a_pool_asks(plans, fixture, root, gpus):
    v = release(plans[fixture], dra.RELEASE).values
    assert (v["nvidiaDriverRoot"], v["resourceApiVersion"], v["resources"]) == (root, "resource.k8s.io/v1", {"gpus": {"enabled": gpus}, "computeDomains": {"enabled": True}})
    assert v["kubeletPlugin"]["nodeSelector"] == {"aiinfra.dev/dra": "true"}
    assert v.get("gpuResourcesEnabledOverride", False) is gpus
    if fixture.startswith("gcp"):
        assert {"key": "kubernetes.io/arch", "operator": "Equal", "value": "arm64", "effect": "NoSchedule"} in v["kubeletPlugin"]["tolerations"]


def test_no_dra_driver_without_a_dra_pool():
    plan = addon_plan(load(Path(__file__).resolve().parents[3] / "stacks" / "aws-llm.yaml"))
    assert not [r for r in plan.releases if r.key == dra.RELEASE]


def test_every_profile_gpu_stack_has_a_driver_root():
    from aiinfra import clouds

    for p in clouds.all_profiles():
        assert set(p.gpu_operator_values) == set(p.dra_driver_root), p.name


@pytest.mark.parametrize("fixture, name", [("aws.ok.gb200.yaml", "aws-network"), ("gcp.ok.gb200.yaml", "gke-default")])
def test_tas_topology_and_flavor_pass_the_kueue_crds(plans, fixture, name):
    objs = {o.key: o.body for o in plans[fixture].objects}
    topo, flavor = objs["topology"], objs["flavor-rack"]
    assert topo["metadata"]["name"] == name and topo["spec"]["levels"][-1] == {"nodeLabel": "kubernetes.io/hostname"}
    assert flavor["spec"]["topologyName"] == name
    assert cr_errors(topo) == [] and cr_errors(flavor) == [] and cr_errors(objs["cluster-queue"]) == []
    assert "topology" in next(o for o in plans[fixture].objects if o.key == "flavor-rack").after


def test_aks_has_no_topology_and_a_typo_fails_the_crd(plans):
    objs = {o.key: o.body for o in plans["azure.ok.gb200.yaml"].objects}
    assert "topology" not in objs and "topologyName" not in objs["flavor-rack"]["spec"]
    bad = {**{o.key: o.body for o in plans["aws.ok.gb200.yaml"].objects}["topology"]}
    bad = {**bad, "spec": {"levels": [{"nodeLabell": "x"}]}}
    assert cr_errors(bad)
