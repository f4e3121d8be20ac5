"""The Platform component under the offline engine: the AWS environment end to end, and the Platform on
GCP and Azure clusters driven directly (their environment builders live elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest
from k8shelpers import (
    SECRET_SIG,
    T_CHART,
    T_CLUSTER_QUEUE,
    T_CONFIGFILE,
    T_CONFIGMAP,
    T_FLAVOR,
    T_LOCAL_QUEUE,
    T_NS,
    T_PG,
    T_PLATFORM,
    T_PROVIDER,
    T_SA,
    T_STORAGE_CLASS,
    azure_env,
    cr_errors,
    defaults,
    gcp_env,
    merged,
    schema_errors,
    unknown_keys,
    values_schema,
)

from aiinfra import engine
from aiinfra.components.environment import WorkloadBinding
from aiinfra.components.kubernetes import Platform, PlatformArgs, addons
from aiinfra.components.kubernetes.charts import chart
from aiinfra.preview import run_offline
from aiinfra.resolve import load, resolve
from aiinfra.spec import parse_spec

STACKS = Path(__file__).resolve().parents[3] / "stacks"
T_NG = "aws:eks/nodeGroup:NodeGroup"


@pytest.fixture(scope="module")
def llm():
    env = load(STACKS / "aws-llm.yaml")
    return env, run_offline(env)


def k8s_resources(result):
    return [r for r in result.resources if r.type.startswith("kubernetes:")]


def charts(result):
    return {c.inputs["name"]: c for c in result.of_type(T_CHART)}


# -- AWS environment ----------------------------------------------------------------------------------


def test_releases_chart_version_namespace(llm):
    _, result = llm
    got = {n: (c.inputs["chart"], c.inputs["version"], c.inputs["namespace"]) for n, c in charts(result).items()}
    assert got == {
        "kube-prometheus-stack": ("kube-prometheus-stack", "88.5.3", "monitoring"),
        "gpu-operator": ("gpu-operator", "v26.7.0", "gpu-operator"),
        "aws-efa-k8s-device-plugin": ("aws-efa-k8s-device-plugin", "v0.5.30", "kube-system"),
        "kueue": ("oci://registry.k8s.io/kueue/charts/kueue", "0.19.2", "kueue-system"),
        "kubeflow-trainer": ("oci://ghcr.io/kubeflow/charts/kubeflow-trainer", "2.3.0", "kubeflow-system"),
        "cert-manager": ("cert-manager", "v1.21.1", "cert-manager"),
        "kserve-crd": ("oci://ghcr.io/kserve/charts/kserve-crd", "v0.20.0", "kserve"),
        "kserve-resources": ("oci://ghcr.io/kserve/charts/kserve-resources", "v0.20.0", "kserve"),
        "cloudnative-pg": ("cloudnative-pg", "0.26.0", "cnpg-system"),
        "mlflow": ("mlflow", "1.11.5", "ml"),
    }
    c = charts(result)
    assert c["gpu-operator"].inputs["repositoryOpts"] == {"repo": "https://helm.ngc.nvidia.com/nvidia"}
    assert "repositoryOpts" not in c["kueue"].inputs
    assert result.of_type(T_CONFIGFILE) == []  # no GKE NCCL installers on EKS
    assert "network-operator" not in c


def test_captured_values_are_valid_for_the_pinned_charts(llm):
    _, result = llm
    for name, c in charts(result).items():
        ref = chart(name)
        values = c.inputs.get("values", {})
        if not ref.values_file:
            assert not values, name
            continue
        assert unknown_keys(name, values, defaults(ref.values_file)) == [], name
        if ref.schema_file:
            assert schema_errors(values_schema(ref.schema_file), merged(defaults(ref.values_file), values)) == [], name


def test_provider_from_the_cluster_kubeconfig_and_deletes_unreachable(llm):
    _, result = llm
    provider = result.one(T_PROVIDER)
    kubeconfig = provider.inputs["kubeconfig"]
    assert isinstance(kubeconfig, dict) and SECRET_SIG in kubeconfig, "the kubeconfig reaches the provider as a secret"
    kc = json.loads(kubeconfig["value"])
    assert kc["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert provider.inputs["deleteUnreachable"] in (True, "true")
    assert result.outputs["kubeconfig"] and "platform" in result.outputs


def test_every_kubernetes_object_goes_through_the_platform_provider(llm):
    _, result = llm
    provider = result.one(T_PROVIDER)
    for r in k8s_resources(result):
        used = r.options["provider"] or r.options["providers"].get("kubernetes", "")
        assert used.startswith(provider.urn), f"{r.type} {r.name} uses {used!r}"


def test_addons_are_removed_before_node_pools_and_cluster(llm):
    """depends_on on the cluster and every node pool (the SDK expands a component to its resources):
    `down` deletes dependents first."""
    _, result = llm
    cluster = result.one("aws:eks/cluster:Cluster").urn
    pools = {p.urn for p in result.of_type(T_NG)}
    assert len(pools) == 3  # system, train, serve
    for r in [result.one(T_PROVIDER), result.one(T_PLATFORM), *k8s_resources(result)]:
        deps = set(r.options["depends_on"])
        assert cluster in deps and pools <= deps, f"{r.type} {r.name}"


def test_release_order_inside_the_platform(llm):
    _, result = llm
    c = charts(result)
    urn = {r.name: r.urn for r in result.resources}
    assert c["kube-prometheus-stack"].urn in c["gpu-operator"].options["depends_on"]
    assert {c["cert-manager"].urn, c["kserve-crd"].urn} <= set(c["kserve-resources"].options["depends_on"])
    assert urn["llm-train-mlflow-db"] in c["mlflow"].options["depends_on"]
    assert urn["llm-train-workload-sa"] in c["mlflow"].options["depends_on"]
    assert urn["llm-train-ns-ml"] in c["mlflow"].options["depends_on"]
    assert c["kueue"].urn in result.one(T_CLUSTER_QUEUE).options["depends_on"]
    assert urn["llm-train-storage-class"] in c["kube-prometheus-stack"].options["depends_on"]


def test_mlflow_artifacts_in_the_checkpoints_bucket_by_workload_identity(llm):
    _, result = llm
    v = charts(result)["mlflow"].inputs["values"]
    assert v["artifactRoot"]["s3"]["bucket"] == result.outputs["buckets"]["checkpoints"]
    assert v["artifactRoot"]["proxiedArtifactStorage"] is True
    assert v["serviceAccount"] == {"create": False, "name": "workload"}
    text = json.dumps(v)
    assert "awsAccessKeyId" not in text and "password" not in text
    sa = result.one(T_SA)
    assert sa.inputs["metadata"]["name"] == "workload" and sa.inputs["metadata"]["namespace"] == "ml"
    assert not sa.inputs["metadata"].get("annotations"), "EKS pod identity needs no annotation"
    assert result.outputs["mlflow_url"] == "http://mlflow.ml.svc.cluster.local:80"
    db = result.one(T_PG)
    assert db.inputs["metadata"]["namespace"] == "ml"


def test_kueue_flavors_select_the_real_node_groups(llm):
    _, result = llm
    ng_labels = {ng.name.removesuffix("-ng"): ng.inputs["labels"] for ng in result.of_type(T_NG)}
    flavors = result.of_type(T_FLAVOR)
    assert sorted(f.inputs["metadata"]["name"] for f in flavors) == ["serve", "train"]
    for f in flavors:
        selector = f.inputs["spec"]["nodeLabels"]
        matching = [n for n, labels in ng_labels.items() if selector.items() <= labels.items()]
        assert matching == [f"llm-train-{f.inputs['metadata']['name']}"], selector
    for r in [*flavors, result.one(T_CLUSTER_QUEUE), result.one(T_LOCAL_QUEUE)]:
        body = {"apiVersion": r.inputs["apiVersion"], "kind": r.inputs["kind"], "metadata": r.inputs["metadata"], "spec": r.inputs["spec"]}
        assert cr_errors(body) == [], r.name


def test_gpu_dashboard_and_default_storage_class(llm):
    _, result = llm
    cm = result.one(T_CONFIGMAP)
    assert cm.inputs["metadata"]["namespace"] == "monitoring"
    assert cm.inputs["metadata"]["labels"] == {"grafana_dashboard": "1"}
    dash = json.loads(cm.inputs["data"]["aiinfra-gpu.json"])
    exprs = " ".join(t["expr"] for p in dash["panels"] for t in p["targets"])
    for metric in ("DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_DEV_FB_USED", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "DCGM_FI_DEV_POWER_USAGE"):
        assert metric in exprs
    sc = result.one(T_STORAGE_CLASS)
    assert sc.inputs["parameters"]["encrypted"] == "true" and sc.inputs["provisioner"] == "ebs.csi.aws.com"
    assert sc.inputs["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}


def test_gpu_operator_namespace_is_privileged(llm):
    _, result = llm
    nss = {n.inputs["metadata"]["name"]: n.inputs["metadata"].get("labels") for n in result.of_type(T_NS)}
    assert nss["gpu-operator"] == {"pod-security.kubernetes.io/enforce": "privileged"}
    assert not nss["ml"] and not nss["monitoring"]
    assert "kube-system" not in nss


def test_environment_without_mlops_has_no_platform():
    env = resolve(
        parse_spec(
            "name: bare-env\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: t, gpu: 'L4:1'}]\n"
            "mlops: {gpu_operator: false, monitoring: false, training: none, queueing: false, tracking: false, serving: none}\n"
        )
    )
    result = run_offline(env)
    assert k8s_resources(result) == [] and result.of_type(T_PROVIDER) == []
    assert "platform" not in result.outputs


# -- GCP and Azure, Platform driven directly ---------------------------------------------------------


def _run_platform(env, workload, bucket_urls, storage_options=None, gpu_networks=None):
    m = engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, lambda t: list(env.zones), {**env.spec.gcp.model_dump(), **env.spec.azure.model_dump()})

    def program():
        kubeconfig = pulumi.Output.secret(json.dumps({"apiVersion": "v1", "kind": "Config"}))
        p = Platform(
            env.spec.name,
            PlatformArgs(
                env=env,
                kubeconfig=kubeconfig,
                workload=workload,
                bucket_urls={k: pulumi.Output.from_input(v) for k, v in bucket_urls.items()},
                storage_options=storage_options or {},
                gpu_networks=gpu_networks or [],
            ),
        )
        return {"releases": p.releases, "mlflow_url": p.mlflow_url}

    return engine.run(program, m, stack="test")


def test_gcp_platform_installs_nccl_plugin_and_uses_gke_workload_identity():
    env = gcp_env("a3-megagpu-8g")
    gsa = "gke-train-workload@my-ml-project.iam.gserviceaccount.com"
    wl = WorkloadBinding("ml", "workload", annotations={"iam.gke.io/gcp-service-account": gsa})
    result = _run_platform(env, wl, {"datasets": "gs://gke-train-datasets-1", "artifacts": "gs://gke-train-artifacts-2"}, gpu_networks=[addons.GpuNetwork("vpc1", "net-1", "sub-1")])
    files = {f.name: f.inputs["file"] for f in result.of_type(T_CONFIGFILE)}
    assert set(files) == {"gke-train-nri-device-injector", "gke-train-nccl-tcpxo-installer"}
    assert files["gke-train-nccl-tcpxo-installer"].endswith("/gpudirect-tcpxo/nccl-tcpxo-installer.yaml")
    c = charts(result)
    assert "aws-efa-k8s-device-plugin" not in c and "network-operator" not in c
    assert c["gpu-operator"].inputs["values"]["hostPaths"]["driverInstallDir"] == "/home/kubernetes/bin/nvidia"
    assert c["mlflow"].inputs["values"]["artifactRoot"]["gcs"] == {"enabled": True, "bucket": "gke-train-artifacts-2", "path": "mlflow"}
    assert result.one(T_SA).inputs["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": gsa}
    assert {r.inputs["kind"] for r in result.resources if r.type.startswith("kubernetes:networking.gke.io")} == {"Network", "GKENetworkParamSet"}


def test_azure_platform_network_operator_policy_and_workload_identity():
    env = azure_env()
    wl = WorkloadBinding(
        "ml",
        "workload",
        annotations={"azure.workload.identity/client-id": "00000000-0000-0000-0000-000000000001"},
        labels={"azure.workload.identity/use": "true"},
        pod_labels={"azure.workload.identity/use": "true"},
    )
    result = _run_platform(env, wl, {"checkpoints": "az://checkpoints"}, {"account_name": "akstrainstore"})
    c = charts(result)
    assert c["network-operator"].inputs["version"] == "26.4.1"
    assert c["network-operator"].urn in c["gpu-operator"].options["depends_on"]
    policy = next(r for r in result.resources if r.type == "kubernetes:mellanox.com/v1alpha1:NicClusterPolicy")
    assert c["network-operator"].urn in policy.options["depends_on"]
    ml = c["mlflow"].inputs["values"]
    assert ml["artifactRoot"]["azureBlob"]["storageAccount"] == "akstrainstore"
    assert ml["extraPodLabels"] == {"azure.workload.identity/use": "true"}
    sa = result.one(T_SA).inputs["metadata"]
    assert sa["annotations"]["azure.workload.identity/client-id"] and sa["labels"] == {"azure.workload.identity/use": "true"}
    assert result.of_type(T_STORAGE_CLASS) == [], "AKS's managed-csi default is kept"
    assert result.outputs["releases"]["mlflow"]["namespace"] == "ml"


def test_platform_rejects_all_services_off():
    env = resolve(parse_spec("name: off-env\ncloud: aws\nregion: us-east-1\nmlops: {gpu_operator: false, monitoring: false, training: none, queueing: false, tracking: false, serving: none}\n"))
    with pytest.raises(Exception, match="every mlops service is off"):
        _run_platform(env, WorkloadBinding("ml", "workload"), {})
