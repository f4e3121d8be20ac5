"""Every Helm value aiinfra sets exists in the pinned chart's defaults, and the merged values pass the
chart's own values.schema.json where it ships one, on every cloud and every mlops choice."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8shelpers import FREE_FORM, azure_env, defaults, gcp_env, merged, schema_errors, spec_env, unknown_keys, values_schema

from aiinfra.components.kubernetes.addons.model import Release
from aiinfra.components.kubernetes.addons.plan import plan
from aiinfra.components.kubernetes.addons.tracking import artifact_values
from aiinfra.components.kubernetes.charts import chart, chart_data
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[3] / "stacks"


def _variants():
    aws = load(STACKS / "aws-llm.yaml")
    vllm = aws.spec.model_copy(update={"mlops": aws.spec.mlops.model_copy(update={"serving": "vllm", "training": "jobset"})})
    yield "aws-llm", plan(aws)
    yield "aws-vllm-jobset", plan(type(aws)(spec=vllm, pools=aws.pools, zones=aws.zones))
    yield "aws-cpu", plan(load(STACKS / "aws-cpu.yaml"))
    for machine in ("a3-highgpu-8g", "a3-megagpu-8g", "a3-ultragpu-8g"):
        yield f"gcp-{machine}", plan(gcp_env(machine), artifact_root=lambda b: artifact_values(f"gs://{b}"))
    yield "gcp-vllm", plan(gcp_env(extra="mlops: {serving: vllm}"), artifact_root=lambda b: artifact_values(f"gs://{b}"))
    yield "azure-ib", plan(
        azure_env(), pod_labels={"azure.workload.identity/use": "true"}, artifact_root=lambda b: artifact_values(f"az://{b}", "store1")
    )
    yield "azure-vllm", plan(azure_env("mlops: {serving: vllm, monitoring: false}"), artifact_root=lambda b: artifact_values(f"az://{b}", "s"))
    # Spot GPU pools: the chart's toleration lists are replaced, so they must still validate.
    def azure_blob(bucket: str) -> dict:
        return artifact_values(f"az://{bucket}", "s")

    yield "azure-llm-spot", plan(load(STACKS / "azure-llm.yaml"), artifact_root=azure_blob)
    # Non-NVIDIA accelerators (issue 14): Neuron chart, AMD GPU operator, TPUs (no extra chart), and a mixed cluster.
    yield "aws-trainium", plan(load(STACKS / "aws-trainium.yaml"))
    yield "azure-mi300x", plan(load(STACKS / "azure-mi300x.yaml"), artifact_root=azure_blob)
    yield "gcp-tpu", plan(load(STACKS / "gcp-tpu.yaml"), artifact_root=lambda b: artifact_values(f"gs://{b}"))
    mixed = "name: mixed\ncloud: azure\nregion: eastus2\nnode_pools: [{name: mi, accelerator: 'MI300X:8', capacity: spot}, {name: h, gpu: 'H100:8', nodes: 2}]\n"
    yield "azure-mixed-spot", plan(spec_env(mixed), artifact_root=azure_blob)
    ib_spot = "name: ib-spot\ncloud: azure\nregion: eastus\nnode_pools: [{name: t, gpu: 'H100:8', nodes: 2, capacity: spot}]\n"
    yield "azure-ib-spot", plan(spec_env(ib_spot), artifact_root=azure_blob)
    data = (
        "name: data\ncloud: aws\nregion: us-east-1\nstorage: {buckets: [datasets], filesystems: [{name: s, kind: lustre, size_tib: 2.4}]}\n"
        "mlops: {data: ray}\n"
    )
    yield "aws-data", plan(spec_env(data), storage_addons=["aws-fsx-csi-driver"])
    yield "aws-scale-to-zero", plan(load(Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "aws.ok.scale-to-zero.yaml"))
    yield "aws-serve-nodes", plan(load(Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "aws.ok.serve-nodes.yaml"))
    # Cache-aware routing (issue 26): Istio and the llm-d router off GKE, the router alone on GKE.
    yield "aws-cache-aware", plan(load(Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "aws.ok.cache-aware.yaml"))
    yield "gcp-cache-aware", plan(
        load(Path(__file__).resolve().parents[2] / "fixtures" / "specs" / "gcp.ok.cache-aware.yaml"), artifact_root=lambda b: artifact_values(f"gs://{b}")
    )
    # GB200 racks and DRA GPUs (issue 25): the NVIDIA DRA driver.
    yield "aws-gb200-dra", plan(load(STACKS.parent / "tests" / "fixtures" / "specs" / "aws.ok.gb200-partial.yaml"))
    yield "aws-data-nomon", plan(spec_env(data.replace("data: ray", "data: ray, monitoring: false")), storage_addons=["aws-fsx-csi-driver"])


CASES = [(name, r) for name, p in _variants() for r in p.releases]


@pytest.mark.parametrize(("variant", "release"), CASES, ids=[f"{n}:{r.key}" for n, r in CASES])
def test_values_keys_exist_in_the_pinned_chart(variant, release):
    ref = release.ref
    assert unknown_keys(release.key, release.values, defaults(ref.values_file)) == []
    if ref.schema_file:
        assert schema_errors(values_schema(ref.schema_file), merged(defaults(ref.values_file), release.values)) == []


# Installed by components/aws/karpenter.py, not the platform plan; their values are checked the same way in
# tests/components/aws/test_karpenter.py.
AUTOSCALER_CHARTS = {"karpenter", "karpenter-crd", "cluster-autoscaler"}


def test_every_release_kind_is_covered():
    covered = {r.key for _, r in CASES} | AUTOSCALER_CHARTS
    assert covered == set(chart_data().charts), "a chart in charts.yaml is never planned in these variants"


def test_free_form_exceptions_are_real_maps_upstream():
    for key, paths in FREE_FORM.items():
        d = defaults(chart(key).values_file)
        for path in paths:
            node = d
            for part in path.split("."):
                node = node[part]
            assert isinstance(node, dict), f"{key}: {path} is not a map upstream"


def test_the_check_catches_typos():
    d = defaults(chart("gpu-operator").values_file)
    assert unknown_keys("gpu-operator", {"driver": {"enabeld": False}}, d) == ["driver.enabeld"]
    assert unknown_keys("gpu-operator", {"drivers": {}}, d) == ["drivers"]
    kps = defaults(chart("kube-prometheus-stack").values_file)
    # an empty map upstream is free-form only where FREE_FORM says so
    assert unknown_keys("kube-prometheus-stack", {"prometheus": {"prometheusSpec": {"remoteWriteDashboards": True}}}, kps) == []
    assert unknown_keys("kube-prometheus-stack", {"grafana": {"ingress": {"labels": {"a": "b"}}}}, kps)
    ml = chart("mlflow")
    errors = schema_errors(values_schema(ml.schema_file), merged(defaults(ml.values_file), {"backendStore": {"postgres": {"port": "5432"}}}))
    assert errors and "postgres" in errors[0]
    both = {"backendStore": {"postgres": {"enabled": True}}, "postgresql": {"enabled": True}}
    assert schema_errors(values_schema(ml.schema_file), merged(defaults(ml.values_file), both))


def test_serving_and_tracking_values_match_upstream_behaviour():
    assert defaults(chart("kserve-resources").values_file)["kserve"]["controller"]["deploymentMode"] == "Knative"
    assert Release("kserve-resources").values["kserve"]["controller"]["deploymentMode"] == "Standard"
    assert defaults(chart("kubeflow-trainer").values_file)["runtimes"]["defaultEnabled"] is False
    assert defaults(chart("kubeflow-trainer").values_file)["jobset"]["install"] is True
    p = plan(spec_env("name: trn\ncloud: aws\nregion: us-east-1\nstorage: {buckets: [b]}\n"))
    assert p.release("kubeflow-trainer").values == {"runtimes": {"defaultEnabled": True}}
