"""The Platform component under the offline engine: the AWS, GCP and Azure example environments end to end
(GCP and Azure with the reference workload deployed too), and the Platform driven directly."""

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

from aiinfra.components.base.built import WorkloadBinding
from aiinfra.components.kubernetes import Platform, PlatformArgs
from aiinfra.components.kubernetes.addons.model import GPU_TOLERATION, GpuNetwork
from aiinfra.components.kubernetes.charts import chart
from aiinfra.program import engine
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

STACKS = Path(__file__).resolve().parents[3] / "stacks"
T_NG = "aws:eks/nodeGroup:NodeGroup"


@pytest.fixture(scope="module")
def llm():
    env = load(STACKS / "aws-llm.yaml")
    return env, run_offline(env)


T_NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"


def k8s_resources(result):
    """The platform's objects; Karpenter's (its charts, NodePools) have their own provider (aiinfra:aws:Karpenter)."""
    return [r for r in result.resources if r.type.startswith("kubernetes:") and "aiinfra:aws:Karpenter" not in (r.parent or "")]


def platform_provider(result):
    (provider,) = [p for p in result.of_type(T_PROVIDER) if "aiinfra:aws:Karpenter" not in (p.parent or "")]
    return provider


def charts(result):
    """The platform's releases (Karpenter's charts belong to aiinfra:aws:Karpenter, tests/components/aws/test_karpenter.py)."""
    return {c.inputs["name"]: c for c in result.of_type(T_CHART) if "aiinfra:aws:Karpenter" not in (c.parent or "")}


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
        "cloudnative-pg": ("cloudnative-pg", "0.29.0", "cnpg-system"),
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
    provider = platform_provider(result)
    kubeconfig = provider.inputs["kubeconfig"]
    assert isinstance(kubeconfig, dict) and SECRET_SIG in kubeconfig, "the kubeconfig reaches the provider as a secret"
    kc = json.loads(kubeconfig["value"])
    assert kc["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert provider.inputs["deleteUnreachable"] in (True, "true")
    assert result.outputs["kubeconfig"] and "platform" in result.outputs


def test_every_kubernetes_object_goes_through_the_platform_provider(llm):
    _, result = llm
    provider = platform_provider(result)
    for r in k8s_resources(result):
        used = r.options["provider"] or r.options["providers"].get("kubernetes", "")
        assert used.startswith(provider.urn), f"{r.type} {r.name} uses {used!r}"


def test_addons_are_removed_before_node_pools_and_cluster(llm):
    """depends_on on the cluster and every node pool (the SDK expands a component to its resources):
    `down` deletes dependents first."""
    _, result = llm
    cluster = result.one("aws:eks/cluster:Cluster").urn
    pools = {p.urn for p in [*result.of_type(T_NG), *result.of_type(T_NODEPOOL)]}
    assert len(pools) == 3  # system, train (node groups), serve (a Karpenter NodePool)
    for r in [platform_provider(result), result.one(T_PLATFORM), *k8s_resources(result)]:
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
    ng_labels |= {f"llm-train-{np.inputs['metadata']['name']}": np.inputs["spec"]["template"]["metadata"]["labels"] for np in result.of_type(T_NODEPOOL)}
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
    result = _run_platform(env, wl, {"datasets": "gs://gke-train-datasets-1", "artifacts": "gs://gke-train-artifacts-2"}, gpu_networks=[GpuNetwork("vpc1", "net-1", "sub-1")])
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


# -- GCP and Azure environments end to end -------------------------------------------------------------

SPECS = STACKS.parent / "tests" / "fixtures" / "specs"
T_GKE = "gcp:container/cluster:Cluster"
T_GKE_POOL = "gcp:container/nodePool:NodePool"
T_VPC = "gcp:compute/network:Network"
T_SUBNET = "gcp:compute/subnetwork:Subnetwork"
T_PARAMS = "kubernetes:networking.gke.io/v1:GKENetworkParamSet"
T_NETWORK = "kubernetes:networking.gke.io/v1:Network"
T_AKS = "azure-native:containerservice:ManagedCluster"
T_AGENT_POOL = "azure-native:containerservice:AgentPool"
T_NIC_POLICY = "kubernetes:mellanox.com/v1alpha1:NicClusterPolicy"
SPOT = {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}
WI_USE = {"azure.workload.identity/use": "true"}


def _with_workload(path: Path):
    """The example stack with the reference workload deployed too: Environment -> Platform -> WorkloadDeployment."""
    import yaml

    data = yaml.safe_load(path.read_text())
    data["workload"] = {"enabled": True}
    return resolve(parse_spec(yaml.safe_dump(data, sort_keys=False)))


@pytest.fixture(scope="module")
def gke():
    env = _with_workload(STACKS / "gcp-llm.yaml")
    return env, run_offline(env)


@pytest.fixture(scope="module")
def aks():
    env = _with_workload(STACKS / "azure-llm.yaml")
    return env, run_offline(env)


@pytest.fixture(scope="module")
def gke_rdma():
    env = load(SPECS / "gcp.ok.rdma.yaml")
    return env, run_offline(env)


def _mock_name(env, token: str, r) -> str:
    """The physical name the offline engine gave a resource (what its `name` output holds)."""
    from aiinfra.program import mock_settings, offered_zones

    m = engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, offered_zones(env), mock_settings(env))
    return m.outputs(token, r.name, dict(r.inputs))[1]["name"]


def _param_sets(result) -> dict[str, dict]:
    return {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in result.of_type(T_PARAMS)}


def _workload_pods(result) -> dict[str, dict]:
    from aiinfra.manifests.templates import pod_templates

    objs = result.one("kubernetes:yaml/v2:ConfigGroup").inputs["objs"]
    return {name: pod for o in objs for name, pod in pod_templates(o)}


def _pod_networks(pod: dict) -> list[str]:
    nics = json.loads(pod["metadata"]["annotations"]["networking.gke.io/interfaces"])
    return [n["network"] for n in nics if n["network"] != "default"]


def _assert_networks_consistent(result, pool_name: str) -> dict[str, dict]:
    """GKE Network objects <-> GKENetworkParamSets <-> the node pool's extra NICs: same names, same VPCs/subnets."""
    params = _param_sets(result)
    networks = {n.inputs["metadata"]["name"]: n for n in result.of_type(T_NETWORK)}
    assert set(networks) == set(params)
    by_name = {r.name: r for r in result.resources}
    for name, net in networks.items():
        assert net.inputs["spec"] == {"type": "Device", "parametersRef": {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": name}}
        assert by_name[f"{result.one(T_PLATFORM).name}-netparams-{name}"].urn in net.options["depends_on"]
    pool = result.one(T_GKE_POOL, f"{pool_name}-np")
    extra = pool.inputs["networkConfig"]["additionalNodeNetworkConfigs"]
    assert [(e["network"], e["subnetwork"]) for e in extra] == [(p["vpc"], p["vpcSubnet"]) for p in params.values()]
    return params


def test_gke_releases_nccl_tcpxo_installer_no_efa_no_network_operator(gke):
    _, result = gke
    c = charts(result)
    assert set(c) == {"kube-prometheus-stack", "gpu-operator", "kueue", "kubeflow-trainer", "cert-manager", "kserve-crd", "kserve-resources", "cloudnative-pg", "mlflow"}
    files = {f.name: f.inputs["file"] for f in result.of_type(T_CONFIGFILE)}
    assert set(files) == {"llm-train-gcp-nri-device-injector", "llm-train-gcp-nccl-tcpxo-installer"}
    assert files["llm-train-gcp-nccl-tcpxo-installer"].endswith("/gpudirect-tcpxo/nccl-tcpxo-installer.yaml")
    gpu = c["gpu-operator"].inputs["values"]
    assert gpu["driver"] == {"enabled": False} and gpu["devicePlugin"] == {"enabled": False}, "GKE installs driver and device plugin"
    assert "daemonsets" not in gpu, "GKE spot nodes carry no taint: the chart's GPU toleration is enough"
    assert c["mlflow"].inputs["values"]["artifactRoot"]["gcs"]["bucket"] == result.outputs["buckets"]["checkpoints"]
    assert result.one(T_SA).inputs["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": result.outputs["workload_gsa_email"]}


def test_gke_tcpxo_networks_objects_pools_and_pods_agree(gke):
    """A3 Mega: eight gVNIC GPU NIC networks vpc1..vpc8, each a GKE Network on the VPC and subnet the gcp
    Network component created, attached to the train pool, and named by the training pods' annotations."""
    env, result = gke
    params = _assert_networks_consistent(result, "llm-train-gcp-train")
    assert list(params) == [f"vpc{i}" for i in range(1, 9)]
    vpcs = {r.name: r for r in result.of_type(T_VPC)}
    subnets = {r.name: r for r in result.of_type(T_SUBNET)}
    for i in range(1, 9):
        spec = params[f"vpc{i}"]
        assert spec["deviceMode"] == "NetDevice"
        assert spec["vpc"] == _mock_name(env, T_VPC, vpcs[f"llm-train-gcp-tcpxo-vpc{i}"])
        assert spec["vpcSubnet"] == _mock_name(env, T_SUBNET, subnets[f"llm-train-gcp-tcpxo-vpc{i}"])
    assert vpcs["llm-train-gcp-tcpxo-vpc1"].inputs["mtu"] == 8244
    assert result.one(T_GKE).inputs["enableMultiNetworking"] is True
    trained = [(n, p) for n, p in _workload_pods(result).items() if p["spec"]["nodeSelector"] == {"aiinfra.dev/pool": "train"}]
    assert trained
    for name, pod in trained:
        assert _pod_networks(pod) == list(params), name
    serve = result.one(T_GKE_POOL, "llm-train-gcp-serve-np")
    assert "networkConfig" not in serve.inputs


def test_gke_rdma_networks_objects_pools_and_pods_agree(gke_rdma):
    """A3 Ultra: one extra gVNIC network (gvnic-1) and eight RDMA subnets rdma-0..7 of one RoCE VPC."""
    env, result = gke_rdma
    params = _assert_networks_consistent(result, "h200-train-train")
    assert list(params) == ["gvnic-1"] + [f"rdma-{i}" for i in range(8)]
    assert params["gvnic-1"]["deviceMode"] == "NetDevice"
    vpcs = {r.name: r for r in result.of_type(T_VPC)}
    roce = vpcs["h200-train-rdma-b-rdma"]
    assert roce.inputs["networkProfile"].endswith("/networkProfiles/us-central1-b-vpc-roce")
    subnets = {r.name: r for r in result.of_type(T_SUBNET)}
    for i in range(8):
        spec = params[f"rdma-{i}"]
        assert spec["deviceMode"] == "RDMA"
        assert spec["vpc"] == _mock_name(env, T_VPC, roce)
        assert spec["vpcSubnet"] == _mock_name(env, T_SUBNET, subnets[f"h200-train-rdma-b-rdma-{i}"])
    from aiinfra.manifests.fabric import pool_facts

    (train,) = env.gpu_pools
    pod = {"metadata": {"annotations": pool_facts("gcp", train)["annotations"]}}
    assert _pod_networks(pod) == [f"rdma-{i}" for i in range(8)]
    assert set(_pod_networks(pod)) <= set(params)
    assert {f.name for f in result.of_type(T_CONFIGFILE)} == {"h200-train-nccl-rdma-installer"}


def test_aks_releases_network_operator_and_nic_policy_no_efa(aks):
    _, result = aks
    c = charts(result)
    assert set(c) == {
        "kube-prometheus-stack", "network-operator", "gpu-operator", "kueue", "kubeflow-trainer",
        "cert-manager", "kserve-crd", "kserve-resources", "cloudnative-pg", "mlflow",
    }
    assert result.of_type(T_CONFIGFILE) == [] and result.of_type(T_PARAMS) == []
    policy = result.one(T_NIC_POLICY)
    assert c["network-operator"].urn in policy.options["depends_on"]
    assert c["network-operator"].urn in c["gpu-operator"].options["depends_on"]
    body = {"apiVersion": "mellanox.com/v1alpha1", "kind": "NicClusterPolicy", "metadata": policy.inputs["metadata"], "spec": policy.inputs["spec"]}
    assert cr_errors(body) == []
    assert policy.inputs["spec"]["tolerations"] == [GPU_TOLERATION], "the ND pool is on-demand"


def test_aks_gpu_driver_and_gpu_operator_agree(aks):
    """azure-llm has an InfiniBand pool, so azure.gpu_driver resolves to none: every GPU agent pool skips the AKS
    driver and the operator installs driver (with GPUDirect RDMA) and toolkit."""
    env, result = aks
    assert env.gpu_driver == "none" and env.spec.azure.gpu_driver is None
    for pool in result.of_type(T_AGENT_POOL):
        assert pool.inputs["gpuProfile"] == {"driver": "None"}, pool.name
    gpu = charts(result)["gpu-operator"].inputs["values"]
    assert gpu["driver"] == {"enabled": True, "rdma": {"enabled": True}} and gpu["toolkit"] == {"enabled": True}
    assert gpu["nfd"] == {"enabled": False}, "the Network Operator runs NFD"


def test_aks_managed_driver_environment_agrees():
    env = resolve(parse_spec("name: aks-a10\ncloud: azure\nregion: eastus\nnode_pools: [{name: serve, gpu: 'A10:1'}]\nstorage: {buckets: [artifacts]}\n"))
    result = run_offline(env)
    assert result.one(T_AGENT_POOL).inputs["gpuProfile"] == {"driver": "Install"}
    c = charts(result)
    gpu = c["gpu-operator"].inputs["values"]
    assert gpu["driver"] == {"enabled": False} and gpu["toolkit"] == {"enabled": False}
    assert "network-operator" not in c


def test_aks_workload_identity_reaches_the_service_account_mlflow_and_pods(aks):
    _, result = aks
    sa = result.one(T_SA).inputs["metadata"]
    assert sa["annotations"] == {"azure.workload.identity/client-id": result.outputs["workload_client_id"]}
    ml = charts(result)["mlflow"].inputs["values"]
    assert ml["extraPodLabels"] == WI_USE and ml["serviceAccount"] == {"create": False, "name": "workload"}
    assert ml["artifactRoot"]["azureBlob"]["storageAccount"] == result.outputs["storage_account"]
    pods = _workload_pods(result)
    assert pods
    for name, pod in pods.items():
        assert pod["metadata"]["labels"].items() >= WI_USE.items(), name
    objs = result.one("kubernetes:yaml/v2:ConfigGroup").inputs["objs"]
    isvc = next(o for o in objs if o["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["labels"] == WI_USE


def test_aks_spot_pool_is_tolerated_where_gpu_pods_must_run(aks):
    """The serve pool is spot: AKS taints its nodes, so the operator's DaemonSets (device plugin, DCGM), its NFD
    workers, the serve flavor and the serving pods tolerate the taint; the on-demand train pool's do not need it."""
    _, result = aks
    gpu = charts(result)["gpu-operator"].inputs["values"]
    assert gpu["daemonsets"]["tolerations"] == [GPU_TOLERATION, SPOT]
    assert SPOT in gpu["node-feature-discovery"]["worker"]["tolerations"]
    flavors = {f.inputs["metadata"]["name"]: f.inputs["spec"] for f in result.of_type(T_FLAVOR)}
    assert flavors["serve"]["tolerations"] == [GPU_TOLERATION, SPOT]
    assert flavors["train"]["tolerations"] == [GPU_TOLERATION]
    objs = result.one("kubernetes:yaml/v2:ConfigGroup").inputs["objs"]
    isvc = next(o for o in objs if o["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["nodeSelector"] == {"aiinfra.dev/pool": "serve"}
    assert SPOT in isvc["spec"]["predictor"]["tolerations"]
    for name, pod in _workload_pods(result).items():
        assert SPOT not in pod["spec"]["tolerations"], f"{name} runs on the on-demand train pool"
    serve_pool = result.one(T_AGENT_POOL, "llm-train-azure-serve-pool")
    assert "kubernetes.azure.com/scalesetpriority=spot:NoSchedule" in serve_pool.inputs["nodeTaints"]


def _node_pool_labels(result) -> dict[str, dict[str, str]]:
    """Every node pool's Kubernetes node labels: GKE nodeConfig.labels, AKS agent pools and the AKS system pool."""
    out = {p.name: p.inputs["nodeConfig"]["labels"] for p in result.of_type(T_GKE_POOL)}
    out.update({p.name: p.inputs["nodeLabels"] for p in result.of_type(T_AGENT_POOL)})
    for aks in result.of_type(T_AKS):
        out.update({f"{aks.name}/{p['name']}": p["nodeLabels"] for p in aks.inputs["agentPoolProfiles"]})
    return out


@pytest.mark.parametrize(("which", "pool_names"), [("gke", {"serve": "llm-train-gcp-serve-np", "train": "llm-train-gcp-train-np"}), ("aks", {"serve": "llm-train-azure-serve-pool", "train": "llm-train-azure-train-pool"})])
def test_kueue_flavors_select_exactly_one_real_node_pool(which, pool_names, request):
    _, result = request.getfixturevalue(which)
    labels = _node_pool_labels(result)
    assert len(labels) == 3, labels  # system, train, serve
    flavors = result.of_type(T_FLAVOR)
    assert sorted(f.inputs["metadata"]["name"] for f in flavors) == sorted(pool_names)
    for f in flavors:
        selector = f.inputs["spec"]["nodeLabels"]
        matching = [n for n, node_labels in labels.items() if selector.items() <= node_labels.items()]
        assert matching == [pool_names[f.inputs["metadata"]["name"]]], selector
        body = {"apiVersion": f.inputs["apiVersion"], "kind": f.inputs["kind"], "metadata": f.inputs["metadata"], "spec": f.inputs["spec"]}
        assert cr_errors(body) == [], f.name


@pytest.mark.parametrize(("which", "cluster_type", "pool_type"), [("gke", T_GKE, T_GKE_POOL), ("aks", T_AKS, T_AGENT_POOL)])
def test_kubernetes_objects_use_the_platform_provider_after_cluster_and_pools(which, cluster_type, pool_type, request):
    _, result = request.getfixturevalue(which)
    provider = platform_provider(result)
    cluster = result.one(cluster_type).urn
    pools = {p.urn for p in result.of_type(pool_type)}
    assert len(pools) == (3 if which == "gke" else 2)  # the AKS system pool is part of the ManagedCluster
    platform = result.one(T_PLATFORM)
    workload = result.one("aiinfra:index:WorkloadDeployment")
    for r in [provider, platform, *k8s_resources(result)]:
        if r.type.startswith("kubernetes:"):
            used = r.options["provider"] or r.options["providers"].get("kubernetes", "")
            assert used.startswith(provider.urn), f"{r.type} {r.name} uses {used!r}"
        if r.parent == workload.urn:
            continue  # the rendered manifests wait for the whole platform instead (below)
        deps = set(r.options["depends_on"])
        assert cluster in deps and pools <= deps, f"{r.type} {r.name}"
    assert {c.urn for c in result.of_type(T_CHART)} <= set(workload.options["depends_on"])
