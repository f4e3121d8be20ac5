"""A multi-node serve group (workload.serve_nodes) on a GB200/GB300 NVLink pool or a `dra: true` pool (issue 25): the
LeaderWorkerSet's pods claim a ComputeDomain's IMEX channel or their GPUs exactly as the training jobs do, the group
stays inside one NVLink domain, and every object passes the LWS, ComputeDomain and Kubernetes schemas."""

from __future__ import annotations

import pytest
from renderhelpers import SPECS, find, pods
from test_rack_render import render
from test_validate import crd_errors, validate_core

from aiinfra.problems import SpecError
from aiinfra.resolve import serving
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

LWS = "LeaderWorkerSet"


@pytest.fixture(scope="module")
def rack():
    return render("gcp.ok.gb200-serve.yaml")


@pytest.fixture(scope="module")
def dra_pool():
    return render("aws.ok.serve-nodes-dra.yaml")


def group_pods(manifests: list[dict]) -> list[dict]:
    t = find(manifests, LWS)["spec"]["leaderWorkerTemplate"]
    return [t["leaderTemplate"], t["workerTemplate"]]


def test_the_group_claims_the_imex_channel_of_its_own_compute_domain(rack):
    domains = {m["metadata"]["name"]: m for m in rack if m["kind"] == "ComputeDomain"}
    serve, train = domains["a4x-serve-serve-domain"], domains["a4x-serve-train-domain"]
    assert crd_errors(serve) == [] and serve["metadata"]["labels"]["app.kubernetes.io/component"] == "serving"
    # The same shape as the training job's domain (aiinfra.manifests.claims), under the group's own names.
    assert serve["spec"] == {**train["spec"], "channel": {**train["spec"]["channel"], "resourceClaimTemplate": {"name": "a4x-serve-serve-channel"}}}
    for p in group_pods(rack):
        assert p["spec"]["resourceClaims"] == [{"name": "compute-domain-channel", "resourceClaimTemplateName": "a4x-serve-serve-channel"}]
        (c,) = p["spec"]["containers"]
        assert c["resources"]["claims"] == [{"name": "compute-domain-channel"}] and c["resources"]["limits"]["nvidia.com/gpu"] == "4"
        assert p["spec"]["nodeSelector"]["kubernetes.io/arch"] == "arm64"


def test_the_group_is_placed_one_group_an_nvlink_domain(rack):
    lws = find(rack, LWS)
    assert lws["metadata"]["annotations"]["leaderworkerset.sigs.k8s.io/exclusive-topology"] == "nvidia.com/gpu.clique"
    assert lws["spec"]["leaderWorkerTemplate"]["size"] == 4 and lws["spec"]["replicas"] == 1
    assert find(rack, "HorizontalPodAutoscaler")["spec"]["maxReplicas"] == 1  # one NVL72 domain: one group


def test_a_dra_pools_group_claims_its_gpus_through_a_v1_template(dra_pool):
    (template,) = [m for m in dra_pool if m["kind"] == "ResourceClaimTemplate" and m["metadata"]["name"] == "serve-dra-serve-gpus"]
    validate_core(template, "1.35.0")
    assert template["spec"]["spec"]["devices"]["requests"] == [{"name": "gpu", "exactly": {"deviceClassName": "gpu.nvidia.com", "allocationMode": "ExactCount", "count": 8}}]
    for p in group_pods(dra_pool):
        (c,) = p["spec"]["containers"]
        assert "nvidia.com/gpu" not in c["resources"]["limits"] and c["resources"]["claims"] == [{"name": "gpus"}]
        assert p["spec"]["resourceClaims"] == [{"name": "gpus", "resourceClaimTemplateName": "serve-dra-serve-gpus"}]
    assert "leaderworkerset.sigs.k8s.io/exclusive-topology" not in find(dra_pool, LWS)["metadata"]["annotations"]


@pytest.mark.parametrize("fixture", ["gcp.ok.gb200-serve.yaml", "aws.ok.serve-nodes-dra.yaml"])
def test_every_object_passes_its_schema(fixture, rack, dra_pool):
    manifests = rack if fixture.startswith("gcp") else dra_pool
    for m in manifests:
        if m["kind"] in (LWS, "ComputeDomain"):
            assert crd_errors(m) == [], m["metadata"]["name"]
        elif m["apiVersion"] in ("v1", "apps/v1", "autoscaling/v2", "policy/v1", "resource.k8s.io/v1"):
            validate_core(m, "1.35.0")
    group = {n: p for n, p in pods(manifests).items() if n.startswith(LWS) or "serve" in n}
    assert len(group) >= 2
    for pod in group.values():
        validate_core(pod, "1.35.0")


def test_a_typo_in_the_group_claims_fails_the_lws_schema(rack):
    lws = find(rack, LWS)
    bad = {**lws, "spec": {**lws["spec"], "leaderWorkerTemplate": {**lws["spec"]["leaderWorkerTemplate"]}}}
    worker = bad["spec"]["leaderWorkerTemplate"]["workerTemplate"]
    bad["spec"]["leaderWorkerTemplate"]["workerTemplate"] = {**worker, "spec": {**worker["spec"], "resourceClaims": [{"nam": "x"}]}}
    assert crd_errors(bad)


def test_a_group_larger_than_a_domain_names_the_path_and_the_fix():
    with pytest.raises(SpecError) as info:
        load(SPECS / "gcp.bad.serve-nodes-split-domain.yaml")
    [p] = info.value.problems
    assert p.path == "workload.serve_nodes" and "an NVLink domain of a4x-highgpu-4g is 18 nodes" in p.message
    assert p.hint == "set serve_nodes: 18 or less (72 GPUs over NVLink)"


def test_on_eks_the_bound_is_the_smallest_ultraserver():
    """A Capacity Block of 18 nodes may be one u-p6e-gb200x72 or two x36 (9 nodes, each its own NVLink domain)."""
    text = (SPECS / "aws.ok.gb200.yaml").read_text().replace("workload: {enabled: true}", "workload: {enabled: true, serve_nodes: 10, serve_model: deepseek-ai/DeepSeek-R1}")
    with pytest.raises(SpecError) as info:
        resolve(parse_spec(text))
    [p] = info.value.problems
    assert p.path == "workload.serve_nodes" and "is 9 or 18 nodes" in p.message and p.hint.startswith("set serve_nodes: 9 or less")
    ok = resolve(parse_spec(text.replace("serve_nodes: 10", "serve_nodes: 9")))
    assert ok.workload.serve_nodes == 9 and serving.pool_replicas(ok.workload.serve_pool, 9) == 2  # one group a domain of 9


def test_replicas_are_one_group_a_domain():
    text = (SPECS / "gcp.ok.gb200-serve.yaml").read_text().replace("nodes: 18", "nodes: 36")
    env = resolve(parse_spec(text))
    rack = env.workload.serve_pool
    assert serving.pool_replicas(rack, 4) == 2  # 36 nodes hold 9 groups of 4, but only 2 NVL72 domains
    assert serving.pool_replicas(rack, None) == 36 * 4
    with pytest.raises(SpecError) as info:
        resolve(parse_spec(text.replace("serve_nodes: 4,", "serve_nodes: 4, replicas: 3,")))
    [p] = info.value.problems
    assert p.path == "workload.replicas" and "holds 2 (4 nodes each, one group an NVLink domain" in p.message


def test_without_the_gpu_operator_no_node_carries_the_clique_label_so_the_group_is_refused():
    """nvidia.com/gpu.clique comes from the operator's GPU feature discovery only; no cloud's node image sets it."""
    with pytest.raises(SpecError) as info:
        load(SPECS / "gcp.bad.serve-nodes-no-gpu-operator.yaml")
    [p] = info.value.problems
    assert p.path == "mlops.gpu_operator" and "by the nvidia.com/gpu.clique node label" in p.message
    assert p.hint == "set mlops.gpu_operator: true, or leave workload.serve_nodes out"
    # Every cloud that sells an NVLink rack refuses it alike; with the operator on, the same spec resolves.
    for name in ("aws.ok.gb200.yaml", "azure.ok.gb200.yaml"):
        text = (SPECS / name).read_text().replace("workload: {enabled: true}", "mlops: {gpu_operator: false}\nworkload: {enabled: true, serve_nodes: 9, serve_model: deepseek-ai/DeepSeek-R1}")
        with pytest.raises(SpecError) as info:
            resolve(parse_spec(text))
        assert [p.path for p in info.value.problems] == ["mlops.gpu_operator"], name
        assert resolve(parse_spec(text.replace("gpu_operator: false", "gpu_operator: true"))).workload.serve_nodes == 9
    # A pool that is no NVLink domain places groups by hostname only: serving across nodes there needs no operator.
    text = (SPECS / "aws.ok.serve-nodes.yaml").read_text()
    assert "mlops" not in text
    assert resolve(parse_spec(text + "mlops: {gpu_operator: false}\n")).workload.serve_nodes
