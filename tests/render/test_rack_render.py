"""Rendered training and fabric-test jobs on GB200 racks (issue 25): a ComputeDomain per job and its IMEX channel
claim, DRA GPU claims, Kueue TAS annotations and the arm64 node selector, against the Kubernetes and CRD schemas."""

from __future__ import annotations

import pytest
from renderhelpers import SPECS, pods
from test_validate import crd_errors, validate_core

from aiinfra.manifests.context import render as render_manifests
from aiinfra.manifests.context import values_from_outputs
from aiinfra.resolve.resolver import load

CASES = {
    "aws.ok.gb200.yaml": "topology.k8s.aws/network-node-layer-3",
    "gcp.ok.gb200.yaml": "cloud.google.com/gce-topology-subblock",
    "azure.ok.gb200.yaml": None,
}


def render(fixture: str, training: str | None = None) -> list[dict]:
    env = load(SPECS / fixture)
    outputs = {"buckets": {"checkpoints": f"{env.spec.name}-ckpt"}, "registry": {env.spec.name: f"registry.example/{env.spec.name}"}, "workload_service_account": "ml/workload"}
    outputs |= {"workload_gsa_email": "w@p.iam.gserviceaccount.com", "workload_client_id": "00000000-1111-2222-3333-444444444444", "storage_account": "sa1"}
    return render_manifests(env, values_from_outputs(env, outputs), training=training)


@pytest.fixture(scope="module", params=[(f, t) for f in CASES for t in ("trainer", "jobset")], ids=lambda p: f"{p[0]}-{p[1]}")
def case(request):
    fixture, training = request.param
    return fixture, render(fixture, training)


def test_each_nvlink_job_claims_the_channel_of_its_own_compute_domain(case):
    fixture, manifests = case
    domains = {m["metadata"]["name"]: m for m in manifests if m["kind"] == "ComputeDomain"}
    assert set(domains) == {"a4x-train-train-domain", "allreduce-rack-domain"} if fixture.startswith("gcp") else len(domains) == 2
    for d in domains.values():
        assert crd_errors(d) == []
        assert d["spec"]["numNodes"] == 0 and d["spec"]["channel"]["allocationMode"] == "Single"
    channels = {d["spec"]["channel"]["resourceClaimTemplate"]["name"] for d in domains.values()}
    checked = 0
    for pod in pods(manifests).values():
        spec = pod["spec"]
        if spec["nodeSelector"].get("aiinfra.dev/pool") != "rack":
            continue
        (claim,) = spec["resourceClaims"]
        assert claim["name"] == "compute-domain-channel" and claim["resourceClaimTemplateName"] in channels
        assert spec["containers"][0]["resources"]["claims"] == [{"name": "compute-domain-channel"}]
        assert spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "4"
        assert spec["nodeSelector"]["kubernetes.io/arch"] == "arm64"
        level = CASES[fixture]
        annotations = pod["metadata"].get("annotations", {})
        if level:
            assert annotations["kueue.x-k8s.io/podset-required-topology"] == level
        else:
            assert not any(k.startswith("kueue.x-k8s.io/podset") for k in annotations)
        validate_core(pod, "1.35.0")
        checked += 1
    assert checked == 2  # the training job and the fabric test


def test_every_rendered_object_passes_its_schema(case):
    _, manifests = case
    for m in manifests:
        if m["kind"] == "ComputeDomain" or m["apiVersion"].startswith(("trainer.", "jobset.")):
            assert crd_errors(m) == [], m["metadata"]["name"]
        elif m["apiVersion"] in ("v1", "apps/v1", "autoscaling/v2", "policy/v1", "resource.k8s.io/v1"):
            validate_core(m, "1.35.0")


def test_dra_gpu_jobs_claim_their_gpus_through_a_v1_resource_claim_template():
    manifests = render("aws.ok.gb200-partial.yaml")
    (template,) = [m for m in manifests if m["kind"] == "ResourceClaimTemplate" and m["metadata"]["name"] == "gb200-try-train-gpus"]
    validate_core(template, "1.35.0")
    assert template["spec"]["spec"]["devices"]["requests"] == [{"name": "gpu", "exactly": {"deviceClassName": "gpu.nvidia.com", "allocationMode": "ExactCount", "count": 8}}]
    pod = pods(manifests)["gb200-try-train-runtime/node"] if "gb200-try-train-runtime/node" in pods(manifests) else next(p for n, p in pods(manifests).items() if n.startswith("gb200-try-train"))
    limits = pod["spec"]["containers"][0]["resources"]["limits"]
    assert "nvidia.com/gpu" not in limits and pod["spec"]["resourceClaims"] == [{"name": "gpus", "resourceClaimTemplateName": "gb200-try-train-gpus"}]
    assert "kubernetes.io/arch" not in pod["spec"]["nodeSelector"]
    bad = {**template, "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "deviceClassName": "gpu.nvidia.com"}]}}}}
    with pytest.raises(Exception):  # noqa: B017 - kubernetes-validate's own error types, whichever the schema trips
        validate_core(bad, "1.35.0")


@pytest.mark.parametrize("fixture", [*CASES, "aws.ok.gb200-partial.yaml"])
def test_kueue_maps_every_device_class_the_jobs_claim(fixture):
    """Kueue leaves a workload whose claim names an unmapped DeviceClass inadmissible (pkg/dra/claims.go at v0.19.2)."""
    from aiinfra.components.kubernetes.addons import dra, scheduling

    manifests = render(fixture)
    claimed = {r["exactly"]["deviceClassName"] for m in manifests if m["kind"] == "ResourceClaimTemplate" for r in m["spec"]["spec"]["devices"]["requests"]}
    if any(m["kind"] == "ComputeDomain" for m in manifests):
        claimed.add(dra.CHANNEL_CLASS)  # the class of the template the driver creates for each domain
    mapped = {c for m in scheduling.device_class_mappings(load(SPECS / fixture)) for c in m["deviceClassNames"]}
    assert claimed and claimed <= mapped
