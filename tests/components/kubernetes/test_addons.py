"""Which add-ons each cloud gets, with which cloud-specific values, and in which order (addons.plan, no Pulumi)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from k8shelpers import azure_env, cr_errors, gcp_env, spec_env

from aiinfra.components.kubernetes.addons.gpu import efa_plugin_values
from aiinfra.components.kubernetes.addons.model import GPU_TOLERATION, GpuNetwork, Plan, fabric_kinds
from aiinfra.components.kubernetes.addons.monitoring import PROMETHEUS_RELEASE
from aiinfra.components.kubernetes.addons.plan import plan
from aiinfra.components.kubernetes.addons.scheduling import kueue_objects
from aiinfra.components.kubernetes.addons.tracking import artifact_values, choose_artifact_bucket, mlflow_url
from aiinfra.components.kubernetes.charts import chart_data
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[3] / "stacks"
CORE = ["kube-prometheus-stack", "kueue", "kubeflow-trainer", "cert-manager", "kserve-crd", "kserve-resources", "cloudnative-pg", "mlflow"]


@pytest.fixture(scope="module")
def aws_llm():
    return load(STACKS / "aws-llm.yaml")


def keys(p: Plan) -> list[str]:
    return [r.key for r in p.releases]


# -- which releases, per cloud and fabric ----------------------------------------------------------------


def test_aws_efa_cluster_gets_gpu_operator_and_efa_plugin_only(aws_llm):
    p = plan(aws_llm)
    assert sorted(keys(p)) == sorted(CORE + ["gpu-operator", "aws-efa-k8s-device-plugin"])
    assert p.manifests == [] and p.notes == []
    efa = p.release("aws-efa-k8s-device-plugin")
    assert efa.ns == "kube-system"
    assert efa.values["nodeSelector"] == {"vpc.amazonaws.com/efa.present": "true"}
    assert GPU_TOLERATION in efa.values["tolerations"]


def test_aws_efa_selector_matches_the_efa_node_group_labels_only():
    from aiinfra.components.aws.gpu_pool import NodePoolArgs, node_labels

    selector = efa_plugin_values()["nodeSelector"]
    efa = node_labels("e-train", NodePoolArgs("c", "r", "sg", "vpc", {"a": "s"}, gpu="H100", gpus_per_node=8, efa_interfaces=32))
    plain = node_labels("e-serve", NodePoolArgs("c", "r", "sg", "vpc", {"a": "s"}, gpu="L4", gpus_per_node=1))
    assert selector.items() <= efa.items()
    assert not selector.items() <= plain.items()


def test_aws_gpu_operator_leaves_driver_and_toolkit_to_the_ami(aws_llm):
    v = plan(aws_llm).release("gpu-operator").values
    assert v["driver"] == {"enabled": False} and v["toolkit"] == {"enabled": False}
    assert {"name": "MOFED_ENABLED", "value": "false"} in v["devicePlugin"]["env"]
    assert v["mig"]["strategy"] == "mixed"
    assert v["dcgmExporter"]["serviceMonitor"] == {"enabled": True, "additionalLabels": {"release": PROMETHEUS_RELEASE}}
    assert "nfd" not in v


def test_aws_l4_only_cluster_has_no_efa_plugin():
    env = spec_env("name: l4-only\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: serve, gpu: 'L4:1'}]\nstorage: {buckets: [artifacts]}\n")
    p = plan(env)
    assert "gpu-operator" in keys(p) and "aws-efa-k8s-device-plugin" not in keys(p)


def test_cpu_only_environment_skips_every_gpu_addon():
    p = plan(load(STACKS / "aws-cpu.yaml"))
    assert sorted(keys(p)) == sorted(CORE)
    assert not any(o.key == "gpu-dashboard" for o in p.objects)
    text = json.dumps([r.values for r in p.releases] + [o.body for o in p.objects], default=str)
    assert "nvidia" not in text.lower()
    cq = p.object("cluster-queue").body
    assert cq["metadata"]["name"] == "cpu"
    assert cq["spec"]["resourceGroups"][0]["coveredResources"] == ["cpu", "memory"]


@pytest.mark.parametrize(
    ("machine", "fabric", "installers"),
    [
        ("a3-highgpu-8g", "tcpx", ["nri-device-injector", "nccl-tcpx-installer"]),
        ("a3-megagpu-8g", "tcpxo", ["nri-device-injector", "nccl-tcpxo-installer"]),
        ("a3-ultragpu-8g", "rdma", ["nccl-rdma-installer"]),
    ],
)
def test_gcp_nccl_installer_follows_the_fabric(machine, fabric, installers):
    env = gcp_env(machine)
    assert fabric_kinds(env) == {fabric}
    p = plan(env)
    assert [m.key for m in p.manifests] == installers
    for m in p.manifests:
        assert m.url.startswith("https://raw.githubusercontent.com/GoogleCloudPlatform/container-engine-accelerators/")
        commit = m.url.split("/")[5]
        assert len(commit) == 40 and all(c in "0123456789abcdef" for c in commit), "pinned to a commit, not a branch"
    assert "aws-efa-k8s-device-plugin" not in keys(p) and "network-operator" not in keys(p)


def test_gcp_without_gpudirect_installs_no_nccl_plugin():
    env = spec_env("name: gke-l4\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: serve, gpu: 'L4:1'}]\n")
    assert plan(env).manifests == []


def test_gcp_gpu_operator_uses_cos_paths_and_gke_driver():
    v = plan(gcp_env()).release("gpu-operator").values
    assert v["driver"] == {"enabled": False}
    assert v["hostPaths"]["driverInstallDir"] == "/home/kubernetes/bin/nvidia"
    assert v["toolkit"]["installDir"] == "/home/kubernetes/bin/nvidia"
    assert v["cdi"]["enabled"] is True
    assert v["devicePlugin"] == {"enabled": False}  # GKE's managed device plugin owns nvidia.com/gpu


def test_gcp_multi_network_objects():
    nets = [GpuNetwork("vpc1", "gke-train-gpu-1", "gke-train-gpu-1-sub"), GpuNetwork("rdma-0", "gke-train-rdma", "rdma-sub-0", "RDMA")]
    p = plan(gcp_env("a3-ultragpu-8g"), gpu_networks=nets)
    params = p.object("netparams-rdma-0").body
    assert params["spec"] == {"vpc": "gke-train-rdma", "vpcSubnet": "rdma-sub-0", "deviceMode": "RDMA"}
    net = p.object("network-vpc1")
    assert net.body["spec"]["parametersRef"]["name"] == "vpc1" and net.after == ["netparams-vpc1"]


def test_azure_infiniband_gets_network_operator_and_nic_cluster_policy():
    p = plan(azure_env())
    assert "network-operator" in keys(p)
    assert p.release("network-operator").values == {"nfd": {"deployNodeFeatureRules": False}}
    gpu = p.release("gpu-operator")
    assert "network-operator" in gpu.after and "kube-prometheus-stack" in gpu.after
    assert gpu.values["nfd"] == {"enabled": False} and gpu.values["driver"]["rdma"] == {"enabled": True}
    # InfiniBand defaults azure.gpu_driver to none: the operator installs driver and toolkit, with GPUDirect RDMA.
    assert gpu.values["driver"]["enabled"] is True and gpu.values["toolkit"] == {"enabled": True}
    for off in ("migManager", "vgpuDeviceManager", "vfioManager", "sandboxDevicePlugin"):
        assert gpu.values[off] == {"enabled": False}
    policy = p.object("nic-cluster-policy")
    assert cr_errors(policy.body) == []
    spec = policy.body["spec"]
    assert spec["ofedDriver"]["image"] == "doca-driver"
    config = json.loads(spec["sriovDevicePlugin"]["config"])
    assert config["resourceList"][0]["selectors"]["linkTypes"] == ["infiniband"]
    term = spec["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    rule = p.object("nfd-rule-infiniband").body["spec"]["rules"][0]
    assert term["key"] in rule["labels"], "the policy selects the label the NodeFeatureRule sets"
    for ns in ("gpu-operator", "network-operator"):
        assert p.namespaces[ns] == {"pod-security.kubernetes.io/enforce": "privileged"}


def test_azure_without_infiniband_has_no_network_operator():
    env = spec_env("name: aks-a10\ncloud: azure\nregion: eastus\nnode_pools: [{name: serve, gpu: 'A10:1'}]\nstorage: {buckets: [artifacts]}\n")
    p = plan(env)
    assert "network-operator" not in keys(p) and not any(o.kind == "NicClusterPolicy" for o in p.objects)
    assert "nfd" not in p.release("gpu-operator").values
    assert p.release("gpu-operator").after == ["kube-prometheus-stack"]


AKS_A10 = "name: aks-a10\ncloud: azure\nregion: eastus\nnode_pools: [{name: serve, gpu: 'A10:1'}]\n"


def test_aks_managed_driver_leaves_driver_and_toolkit_to_the_node_image():
    """azure.gpu_driver aks (the default without InfiniBand): AKS installs driver and container runtime, so the
    operator must not install a second driver nor rewrite containerd with its own toolkit."""
    env = spec_env(AKS_A10)
    assert env.gpu_driver == "aks" and env.spec.azure.gpu_driver is None
    values = plan(env).release("gpu-operator").values
    assert values["driver"] == {"enabled": False} and values["toolkit"] == {"enabled": False}
    assert "rdma" not in values["driver"]


def test_operator_managed_driver_on_aks_without_infiniband():
    env = spec_env(AKS_A10 + "azure: {gpu_driver: none}\n")
    values = plan(env).release("gpu-operator").values
    assert values["driver"] == {"enabled": True} and values["toolkit"] == {"enabled": True}
    assert "nfd" not in values, "no Network Operator: the operator's own NFD labels the GPU nodes"


def test_vllm_runtime_class_follows_the_driver_approach():
    """The operator creates the `nvidia` RuntimeClass only where it installs the toolkit."""
    serving = "mlops: {serving: vllm}\n"

    def engine(text: str) -> dict:
        return plan(spec_env(text + serving)).release("vllm-stack").values["servingEngineSpec"]

    assert engine("name: eks-l4\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: s, gpu: 'L4:1'}]\n")["runtimeClassName"] == ""
    assert engine("name: gke-l4\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools: [{name: s, gpu: 'L4:1'}]\n")["runtimeClassName"] == ""
    assert engine(AKS_A10)["runtimeClassName"] == ""
    assert "runtimeClassName" not in engine(AKS_A10 + "azure: {gpu_driver: none}\n")


# -- the mlops switches ------------------------------------------------------------------------------------


def test_mlops_switches(aws_llm):
    spec = aws_llm.spec.model_copy(update={"mlops": aws_llm.spec.mlops.model_copy(update={"serving": "vllm", "training": "jobset", "monitoring": False})})
    env = type(aws_llm)(spec=spec, pools=aws_llm.pools, zones=aws_llm.zones)
    p = plan(env)
    assert "vllm-stack" in keys(p) and "jobset" in keys(p)
    for gone in ("kserve-resources", "kserve-crd", "cert-manager", "kubeflow-trainer", "kube-prometheus-stack"):
        assert gone not in keys(p)
    assert p.release("gpu-operator").values["dcgmExporter"]["serviceMonitor"] == {"enabled": False}
    assert p.release("kueue").values == {} and p.release("kueue").after == []


def test_mlops_off_parses_and_installs_nothing():
    env = spec_env(
        "name: bare\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: t, gpu: 'H100:8'}]\n"
        "mlops: {gpu_operator: false, monitoring: false, training: none, queueing: false, tracking: false, serving: none}\n"
    )
    assert env.spec.mlops.any_on is False
    p = plan(env)
    assert p.releases == [] and p.objects == [] and p.namespaces == {}


def test_mlops_rejects_unknown_choices():
    from aiinfra.problems import SpecError
    from aiinfra.spec import parse_spec

    with pytest.raises(SpecError) as exc:
        parse_spec("name: bad\ncloud: aws\nregion: us-east-1\nmlops: {serving: triton, trackin: true}\n")
    paths = {p.path for p in exc.value.problems}
    assert {"mlops.serving", "mlops.trackin"} <= paths


def test_tracking_without_a_bucket_is_a_note_not_a_broken_mlflow():
    env = spec_env("name: nobucket\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: t, gpu: 'L4:1'}]\n")
    p = plan(env)
    assert "mlflow" not in keys(p) and "cloudnative-pg" not in keys(p)
    assert any("storage.buckets" in n for n in p.notes)


# -- MLflow -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "chosen"),
    [(["datasets", "checkpoints"], "checkpoints"), (["data", "mlflow-store", "team-artifacts"], "team-artifacts"), (["scratch", "data"], "scratch"), ([], None)],
)
def test_artifact_bucket_choice(names, chosen):
    assert choose_artifact_bucket(names) == chosen


def test_artifact_root_per_cloud_without_keys():
    assert artifact_values("s3://llm-ckpt-123")["s3"] == {"enabled": True, "bucket": "llm-ckpt-123", "path": "mlflow"}
    assert artifact_values("gs://gke-artifacts")["gcs"]["bucket"] == "gke-artifacts"
    az = artifact_values("az://artifacts", "aksstore123")["azureBlob"]
    assert az == {"enabled": True, "container": "artifacts", "storageAccount": "aksstore123", "path": "mlflow"}
    for root in (artifact_values("s3://b"), artifact_values("gs://b"), artifact_values("az://c", "a")):
        assert root["proxiedArtifactStorage"] is True
        assert "Key" not in json.dumps(root) and "connectionString" not in json.dumps(root)
    with pytest.raises(ValueError):
        artifact_values("az://artifacts")
    with pytest.raises(ValueError):
        artifact_values("file:///tmp")


def test_mlflow_runs_as_the_workload_identity_with_postgres(aws_llm):
    p = plan(azure_env(), pod_labels={"azure.workload.identity/use": "true"}, artifact_root=lambda b: artifact_values(f"az://{b}", "acct"))
    ml = p.release("mlflow")
    assert ml.ns == "ml" and "mlflow-db" in ml.after
    v = ml.values
    assert v["serviceAccount"] == {"create": False, "name": "workload"}
    assert v["extraPodLabels"] == {"azure.workload.identity/use": "true"}
    assert v["backendStore"]["postgres"]["host"] == "mlflow-db-rw.ml.svc.cluster.local"
    assert v["backendStore"]["existingDatabaseSecret"] == {"name": "mlflow-db-app"}
    assert "password" not in json.dumps(v)
    db = p.object("mlflow-db").body
    assert db["metadata"] == {"name": "mlflow-db", "namespace": "ml"}
    assert db["spec"]["bootstrap"]["initdb"] == {"database": "mlflow", "owner": "mlflow"}
    assert mlflow_url(aws_llm) == "http://mlflow.ml.svc.cluster.local:80"


def test_mlflow_database_is_valid_against_the_pinned_cloudnative_pg_crd(aws_llm):
    db = plan(aws_llm).object("mlflow-db").body
    assert cr_errors(db) == []
    typo = {**db, "spec": {**db["spec"], "bootstrap": {"initdb": {"database": "mlflow", "ownr": "mlflow"}}}}
    assert any("ownr" in e for e in cr_errors(typo))
    assert any("instances" in e for e in cr_errors({**db, "spec": {**db["spec"], "instances": 0}}))


# -- Kueue ------------------------------------------------------------------------------------------------


def test_kueue_quota_follows_the_pools(aws_llm):
    objs = {o.key: o for o in kueue_objects(aws_llm)}
    cq = objs["cluster-queue"].body
    assert cq["metadata"]["name"] == "gpu"
    (group,) = cq["spec"]["resourceGroups"]
    assert group["coveredResources"] == ["cpu", "memory", "nvidia.com/gpu"]
    quota = {f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]} for f in group["flavors"]}
    assert quota["train"]["nvidia.com/gpu"] == 8 * 2
    assert quota["serve"]["nvidia.com/gpu"] == 1 * 4
    assert objs["flavor-train"].body["spec"]["nodeLabels"] == {"aiinfra.dev/pool": "train"}
    assert objs["flavor-train"].body["spec"]["tolerations"] == [GPU_TOLERATION]
    lq = objs["local-queue"].body
    assert lq["metadata"] == {"name": "default", "namespace": "ml"} and lq["spec"] == {"clusterQueue": "gpu"}


@pytest.mark.parametrize("env_factory", [lambda: load(STACKS / "aws-llm.yaml"), lambda: load(STACKS / "aws-cpu.yaml"), gcp_env, azure_env])
def test_kueue_objects_are_valid_against_the_pinned_crds(env_factory):
    env = env_factory()
    objs = kueue_objects(env)
    assert {o.kind for o in objs} == {"ResourceFlavor", "ClusterQueue", "LocalQueue"}
    for o in objs:
        assert cr_errors(o.body) == [], o.key


def test_cpu_flavors_are_tried_before_gpu_flavors():
    env = spec_env("name: mixed\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a-gpu, gpu: 'L4:1'}, {name: z-cpu, cpus: 8}]\n")
    flavors = kueue_objects(env)[-2].body["spec"]["resourceGroups"][0]["flavors"]
    assert [f["name"] for f in flavors] == ["z-cpu", "a-gpu"]
    assert {r["name"]: r["nominalQuota"] for r in flavors[0]["resources"]}["nvidia.com/gpu"] == 0


def test_crd_validation_catches_a_typo():
    body = kueue_objects(load(STACKS / "aws-llm.yaml"))[-1].body
    bad = {**body, "spec": {"clusterQueu": "gpu"}}
    assert any("clusterQueu" in e for e in cr_errors(bad))


# -- order ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("env_factory", [lambda: load(STACKS / "aws-llm.yaml"), gcp_env, azure_env])
def test_dependency_order(env_factory):
    p = plan(env_factory())
    order = {r.key: r.after for r in p.releases} | {o.key: o.after for o in p.objects}
    assert set(order["kserve-resources"]) >= {"cert-manager", "kserve-crd"}
    assert "kube-prometheus-stack" in order["gpu-operator"] and "kube-prometheus-stack" in order["kueue"]
    assert "kueue" in order["cluster-queue"] and "cluster-queue" in order["local-queue"]
    assert "cloudnative-pg" in order["mlflow-db"] and "mlflow-db" in order["mlflow"]
    for key, after in order.items():
        assert set(after) <= set(order), f"{key} waits for something not planned: {after}"


def test_chart_data_is_pinned_and_sourced():
    data = chart_data()
    for key, ref in data.charts.items():
        assert ref.version and not ref.version.startswith(("latest", "main")), key
        assert ref.source, key
        assert ref.oci != bool(ref.repo), f"{key}: an OCI chart carries its repository in its name, a classic one needs repo"
    assert {"gpu-operator", "kube-prometheus-stack", "kueue", "kubeflow-trainer", "mlflow", "kserve-resources", "vllm-stack"} <= set(data.charts)


@pytest.mark.parametrize(("stack", "store"), [("gcp-llm.yaml", "gcs"), ("azure-llm.yaml", "azureBlob"), ("aws-llm.yaml", "s3")])
def test_a_plan_without_the_program_keeps_artifacts_in_the_clouds_own_buckets(stack, store):
    """Without artifact_root (graph, fit) the bucket's URL is the environment's cloud's, not s3:// everywhere."""
    root = plan(load(STACKS / stack)).release("mlflow").values["artifactRoot"]
    assert set(root) == {"proxiedArtifactStorage", store}
