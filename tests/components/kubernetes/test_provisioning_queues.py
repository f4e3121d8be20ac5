"""Kueue and the provisioners: the quota is what the pools can be provisioned to (their max in their largest
shape the provisioner may start), and GKE queued-provisioning pools are admitted through Kueue's ProvisioningRequest
admission check."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8shelpers import cr_errors, spec_env

from aiinfra.components.kubernetes.addons.scheduling import kueue_objects, pool_capacity
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "specs"


def quotas(env) -> dict[str, dict]:
    queue = next(o.body for o in kueue_objects(env) if o.kind == "ClusterQueue")
    return {f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]} for f in queue["spec"]["resourceGroups"][0]["flavors"]}


def test_queued_pools_get_the_provisioning_request_check_on_their_flavor_only():
    env = load(SPECS / "gcp.ok.flex-start.yaml")
    objs = {o.key: o for o in kueue_objects(env)}
    assert objs["provisioning-config"].body["spec"] == {"provisioningClassName": "queued-provisioning.gke.io", "managedResources": ["nvidia.com/gpu"]}
    assert objs["provisioning-check"].body["spec"] == {
        "controllerName": "kueue.x-k8s.io/provisioning-request",
        "parameters": {"apiGroup": "kueue.x-k8s.io", "kind": "ProvisioningRequestConfig", "name": "queued-provisioning"},
    }
    cq = objs["cluster-queue"]
    assert cq.body["spec"]["admissionChecksStrategy"] == {"admissionChecks": [{"name": "queued-provisioning", "onFlavors": ["batch"]}]}
    assert {"provisioning-config", "provisioning-check"} <= set(cq.after) and objs["provisioning-check"].after == ["kueue", "provisioning-config"]
    for o in objs.values():
        assert cr_errors(o.body) == [], o.key


def test_no_check_without_a_queued_pool():
    env = load(SPECS / "gcp.ok.compute-class.yaml")
    kinds = {o.kind for o in kueue_objects(env)}
    assert kinds == {"ResourceFlavor", "ClusterQueue", "LocalQueue"}


def test_a_broken_admission_check_fails_its_crd():
    objs = {o.key: o.body for o in kueue_objects(load(SPECS / "gcp.ok.flex-start.yaml"))}
    bad = {**objs["provisioning-check"], "spec": {"controllerName": "", "parameters": {"kind": "ProvisioningRequestConfig"}}}
    assert cr_errors(bad)


@pytest.mark.parametrize("fixture, expected", [
    # GKE: serve and tune may run on a2-ultragpu-1g (12 vCPU, 170 GiB) through their ComputeClass; fixed only on g2-standard-4.
    ("gcp.ok.compute-class.yaml", {
        "serve": {"cpu": 3 * 12, "memory": f"{3 * 170}Gi", "nvidia.com/gpu": 3},
        "tune": {"cpu": 2 * 12, "memory": f"{2 * 170}Gi", "nvidia.com/gpu": 2},
        "fixed": {"cpu": 4, "memory": "16Gi", "nvidia.com/gpu": 1},
    }),
    # AKS NAP: serve's largest size is Standard_NV36ads_A10_v5 (36 vCPU, 440 GiB); cpu is a fixed agent pool.
    ("azure.ok.nap.yaml", {
        "serve": {"cpu": 3 * 36, "memory": f"{3 * 440}Gi", "nvidia.com/gpu": 3},
        "cpu": {"cpu": 2 * 8, "memory": "64Gi", "nvidia.com/gpu": 0},
    }),
])
def test_quota_numbers(fixture, expected):
    got = quotas(load(SPECS / fixture))
    for pool, want in expected.items():
        assert got[pool] == want, pool


def test_alternatives_count_only_where_the_provisioner_takes_them():
    text = "name: alts\ncloud: azure\nregion: eastus\nnode_pools:\n  - {name: serve, gpu: [A10:1, A100-80GB:1], nodes: {min: 0, max: 3}}\n"
    plain, nap = spec_env(text), spec_env(text + "cluster: {autoscaling: nap}\n")
    (p,) = plain.worker_pools
    assert [a.instance_type for a in p.fallbacks] == ["Standard_NC24ads_A100_v4"]
    assert pool_capacity(plain, p) == {"cpu": p.vcpus * 3, "memory_gib": int(p.memory_gib * 3), "nvidia.com/gpu": 3}  # agent pool: one size
    (q,) = nap.worker_pools
    assert pool_capacity(nap, q)["cpu"] == max(q.vcpus, q.fallbacks[0].vcpus) * 3
