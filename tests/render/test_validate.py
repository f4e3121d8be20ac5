"""Rendered manifests against the real schemas: kubernetes-validate (strict) for core kinds, the
pinned upstream CRDs (tests/fixtures/crds/, strict) for custom resources, and the pods inside
custom resources as core Pods."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import pytest
from renderhelpers import SPECS, pods

from aiinfra.manifests.templates import file_name
from aiinfra.resolve.resolver import load

kubernetes_validate = pytest.importorskip("kubernetes_validate")
jsonschema = pytest.importorskip("jsonschema")

CRDS = Path(__file__).resolve().parents[1] / "fixtures" / "crds"
CRD_FILES = {
    ("trainer.kubeflow.org/v1alpha1", "TrainJob"): "trainer.kubeflow.org_trainjobs.json",
    ("trainer.kubeflow.org/v1alpha1", "TrainingRuntime"): "trainer.kubeflow.org_trainingruntimes.json",
    ("jobset.x-k8s.io/v1alpha2", "JobSet"): "jobset.x-k8s.io_jobsets.json",
    ("serving.kserve.io/v1beta1", "InferenceService"): "serving.kserve.io_inferenceservices.json",
    ("ray.io/v1", "RayJob"): "ray.io_rayjobs.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_scaledobjects.json",
    ("http.keda.sh/v1alpha1", "HTTPScaledObject"): "http.keda.sh_httpscaledobjects.json",
    ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com_podmonitors.json",
    ("resource.nvidia.com/v1beta1", "ComputeDomain"): "resource.nvidia.com_computedomains.json",
    ("leaderworkerset.x-k8s.io/v1", "LeaderWorkerSet"): "leaderworkerset.x-k8s.io_leaderworkersets.json",
    ("inference.networking.k8s.io/v1", "InferencePool"): "inference.networking.k8s.io_inferencepools.json",
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "gateway.networking.k8s.io_httproutes.json",
    ("gateway.networking.k8s.io/v1", "Gateway"): "gateway.networking.k8s.io_gateways.json",
}
SUPPORTED = [f"1.{m}.0" for m in range(25, 38)]  # kubernetes-validate 1.37.0 ships schemas for 1.25 .. 1.37


def k8s_version(spec_version: str) -> str:
    """The spec's cluster version if kubernetes-validate has it, else the closest it has."""
    wanted = int(spec_version.split(".")[1])
    return min(SUPPORTED, key=lambda v: abs(int(v.split(".")[1]) - wanted))


def _strict(node):
    """additionalProperties: false on every object schema that lists properties and does not keep unknown fields."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        for v in node.values():
            _strict(v)
    elif isinstance(node, list):
        for v in node:
            _strict(v)
    return node


@cache
def crd_validator(api_version: str, kind: str):
    crd = json.loads((CRDS / CRD_FILES[(api_version, kind)]).read_text())
    version = api_version.split("/")[1]
    schema = copy.deepcopy(next(v for v in crd["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {"type": "object"}  # metadata is the API server's to check
    return jsonschema.Draft202012Validator(_strict(schema))


def crd_errors(manifest: dict) -> list[str]:
    v = crd_validator(manifest["apiVersion"], manifest["kind"])
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(manifest)]


def validate_core(manifest: dict, version: str) -> None:
    kubernetes_validate.validate(manifest, version, strict=True)


def all_cases(rendered_by_scenario):
    for scenario, manifests in rendered_by_scenario.items():
        for m in manifests:
            yield scenario, m


def test_k8s_version_pin():
    assert k8s_version("1.33") == "1.33.0"
    assert k8s_version("1.24") == "1.25.0" and k8s_version("1.40") == "1.37.0"


def test_core_manifests_pass_kubernetes_validate_strict(rendered):
    checked = 0
    for scenario, m in all_cases(rendered):
        if (m["apiVersion"], m["kind"]) in CRD_FILES:
            continue
        version = k8s_version(load(SPECS / _spec_of(scenario)).spec.cluster.kubernetes_version)
        try:
            validate_core(m, version)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{scenario} {m['kind']} {m['metadata']['name']}: {exc.message} at {list(exc.path)}")
        checked += 1
    assert checked >= 20


def test_custom_resources_pass_their_crd_schemas_strict(rendered):
    seen = set()
    for scenario, m in all_cases(rendered):
        key = (m["apiVersion"], m["kind"])
        if key not in CRD_FILES:
            continue
        assert m["apiVersion"] != "v1"
        errors = crd_errors(m)
        assert not errors, f"{scenario} {m['kind']} {m['metadata']['name']}: {errors[:5]}"
        seen.add(m["kind"])
    assert seen == {"TrainJob", "TrainingRuntime", "JobSet", "InferenceService", "RayJob", "ScaledObject", "HTTPScaledObject", "PodMonitor", "LeaderWorkerSet",
                    "InferencePool", "HTTPRoute", "Gateway"}


def test_every_rendered_kind_is_validated(rendered):
    """A kind outside both validators would slip through (kubernetes-validate only warns on unknown kinds)."""
    core = {("v1", "Namespace"), ("v1", "ServiceAccount"), ("v1", "ConfigMap"), ("v1", "Service"), ("apps/v1", "Deployment"), ("autoscaling/v2", "HorizontalPodAutoscaler"), ("policy/v1", "PodDisruptionBudget")}
    kinds = {(m["apiVersion"], m["kind"]) for _, m in all_cases(rendered)}
    assert kinds <= core | set(CRD_FILES), kinds - core - set(CRD_FILES)


def test_pods_inside_custom_resources_are_valid_pods(rendered):
    """CRD schemas embed pod specs loosely in places; the pods they would create must be valid Pods."""
    for scenario, manifests in rendered.items():
        for name, pod in pods(manifests).items():
            try:
                validate_core(pod, "1.33.0")
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{scenario} pod {name}: {exc.message} at {list(exc.path)}")


def test_validators_reject_typos_and_wrong_types(rendered):
    """The checks above can fail: a misspelt field and a wrong type are caught by each validator."""
    dep = copy.deepcopy(next(m for m in rendered["efa"] if m["kind"] == "Deployment"))
    dep["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_core(dep, "1.33.0")
    dep = copy.deepcopy(next(m for m in rendered["efa"] if m["kind"] == "Deployment"))
    dep["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate_core(dep, "1.33.0")
    job = copy.deepcopy(next(m for m in rendered["efa"] if m["kind"] == "TrainJob"))
    job["spec"]["trainer"]["numNodez"] = 2
    job["spec"]["trainer"]["numProcPerNode"] = [8]
    errors = crd_errors(job)
    assert any("numNodez" in e for e in errors) and any("numProcPerNode" in e for e in errors)
    js = copy.deepcopy(next(m for m in rendered["efa-jobset-kserve"] if m["kind"] == "JobSet"))
    js["spec"]["replicatedJobs"][0]["replicas"] = "1"
    assert crd_errors(js)


def test_offline_render_uses_the_validated_templates():
    """Manifests built from the offline preview (AWS program under mocks) pass the same validators."""
    from aiinfra.cli.render_cmd import _offline_manifests

    env = load(SPECS / "aws.ok.workload-efa.yaml")
    manifests = _offline_manifests(env)
    for m in manifests:
        if (m["apiVersion"], m["kind"]) in CRD_FILES:
            assert not crd_errors(m)
        else:
            validate_core(m, k8s_version(env.spec.cluster.kubernetes_version))
    assert file_name(manifests[0]) == "namespace-ml.yaml"


def _spec_of(scenario: str) -> str:
    return {
        "efa": "aws.ok.workload-efa.yaml",
        "efa-jobset-kserve": "aws.ok.workload-efa.yaml",
        "gke": "gcp.ok.workload-gke-fabrics.yaml",
        "gke-jobset": "gcp.ok.workload-gke-fabrics.yaml",
        "infiniband": "azure.ok.workload-infiniband.yaml",
        "ethernet": "aws.ok.workload-ethernet.yaml",
        "neuron": "aws.ok.workload-neuron.yaml",
        "neuron-jobset-kserve": "aws.ok.workload-neuron.yaml",
        "tpu": "gcp.ok.workload-tpu.yaml",
        "mi300x": "azure.ok.workload-mi300x.yaml",
        "mi300x-kserve": "azure.ok.workload-mi300x.yaml",
        **{f"data-{c}": f"{c}.ok.workload-data.yaml" for c in ("aws", "gcp", "azure")},
        "zero-aws": "aws.ok.scale-to-zero.yaml",
        "zero-aws-kserve": "aws.ok.scale-to-zero.yaml",
        "zero-gcp": "gcp.ok.scale-to-zero.yaml",
        **{f"nodes-{c}": f"{c}.ok.serve-nodes.yaml" for c in ("aws", "gcp", "azure")},
        "nodes-aws-kserve": "aws.ok.serve-nodes.yaml",
        "route-aws": "aws.ok.cache-aware.yaml",
        "route-gcp": "gcp.ok.cache-aware.yaml",
        "route-gcp-kserve": "gcp.ok.cache-aware.yaml",
    }[scenario]
