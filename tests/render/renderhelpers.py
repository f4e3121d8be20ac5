"""Scenarios and helpers for the render tests (imported by name: conftest puts this folder on sys.path)."""

from __future__ import annotations

from pathlib import Path

from aiinfra.manifests.context import render, values_from_outputs
from aiinfra.manifests.templates import pod_templates
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"

# Synthetic stack outputs per cloud, shaped like `aiinfra outputs --json` (keys in templates/clouds.yaml).
OUTPUTS = {
    "aws": {
        "buckets": {"datasets": "wl-aws-datasets-1a2b3c4", "checkpoints": "wl-aws-checkpoints-5d6e7f8"},
        "registry": {"reference": "123456789012.dkr.ecr.us-east-1.amazonaws.com/wl-aws/reference"},
        "workload_service_account": "ml/workload",
    },
    "gcp": {
        "buckets": {"checkpoints": "wl-gcp-checkpoints-1a2b3c4"},
        "registry": {"wl-gcp": "us-central1-docker.pkg.dev/my-ml-project/wl-gcp"},
        "workload_service_account": "ml/workload",
        "workload_gsa_email": "wl-gcp-workload@my-ml-project.iam.gserviceaccount.com",
    },
    "azure": {
        "buckets": {"checkpoints": "checkpoints"},
        "registry": {"wl-azure": "wlazureacr.azurecr.io/wl-azure"},
        "workload_service_account": "ml/workload",
        "workload_client_id": "00000000-1111-2222-3333-444444444444",
        "storage_account": "wlazuresa1a2b",
    },
}

SCENARIOS = {
    "efa": "aws.ok.workload-efa.yaml",
    "gke": "gcp.ok.workload-gke-fabrics.yaml",
    "infiniband": "azure.ok.workload-infiniband.yaml",
    "ethernet": "aws.ok.workload-ethernet.yaml",
    "neuron": "aws.ok.workload-neuron.yaml",
    "tpu": "gcp.ok.workload-tpu.yaml",
    "mi300x": "azure.ok.workload-mi300x.yaml",
    "data-aws": "aws.ok.workload-data.yaml",
    "data-gcp": "gcp.ok.workload-data.yaml",
    "data-azure": "azure.ok.workload-data.yaml",
    "zero-aws": "aws.ok.scale-to-zero.yaml",
    "zero-gcp": "gcp.ok.scale-to-zero.yaml",
    "nodes-aws": "aws.ok.serve-nodes.yaml",
    "nodes-gcp": "gcp.ok.serve-nodes.yaml",
    "nodes-azure": "azure.ok.serve-nodes.yaml",
    "route-aws": "aws.ok.cache-aware.yaml",
    "route-gcp": "gcp.ok.cache-aware.yaml",
}
ETHERNET_OUTPUTS = {**OUTPUTS["aws"], "buckets": {"checkpoints": "wl-eth-checkpoints-1"}, "registry": {"wl-eth": "123456789012.dkr.ecr.us-east-1.amazonaws.com/wl-eth"}}


def outputs_for(scenario: str, cloud: str) -> dict:
    if scenario.startswith("data-"):  # these specs also have a datasets bucket
        buckets = OUTPUTS[cloud]["buckets"]
        (url,) = OUTPUTS[cloud]["registry"].values()
        return {**OUTPUTS[cloud], "buckets": {"datasets": buckets["checkpoints"].replace("checkpoints", "datasets"), **buckets}, "registry": {scenario.replace("data", "wl-data"): url}}
    if scenario.startswith(("zero-", "nodes-", "route-")):  # the registry repository is named after the spec
        (url,) = OUTPUTS[cloud]["registry"].values()
        names = {"zero-aws": "serve-zero", "zero-gcp": "serve-zero-gcp", "nodes-aws": "serve-nodes", "nodes-gcp": "serve-nodes-gcp", "nodes-azure": "serve-nodes-azure",
                 "route-aws": "cache-aws", "route-gcp": "cache-gcp"}
        return {**OUTPUTS[cloud], "registry": {names[scenario]: url}}
    return ETHERNET_OUTPUTS if scenario == "ethernet" else OUTPUTS[cloud]


def render_scenario(scenario: str, training: str | None = None, serving: str | None = None) -> list[dict]:
    env = load(SPECS / SCENARIOS[scenario])
    values = values_from_outputs(env, outputs_for(scenario, env.spec.cloud))
    return render(env, values, training=training, serving=serving)


def find(manifests: list[dict], kind: str, name: str | None = None) -> dict:
    found = [m for m in manifests if m["kind"] == kind and (name is None or m["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {[m['metadata']['name'] for m in found]}"
    return found[0]


def pods(manifests: list[dict]) -> dict[str, dict]:
    """Every pod the manifests would create, by name (custom resources included)."""
    return {name: pod for m in manifests for name, pod in pod_templates(m)}


def env_of(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}
