"""What the rendered manifests say per fabric and cloud: devices, NCCL env, GKE NICs, rights, identity."""

from __future__ import annotations

import json

import pytest
from renderhelpers import OUTPUTS, SPECS, env_of, find, pods

from aiinfra.manifests import templates
from aiinfra.manifests.context import values_from_outputs
from aiinfra.manifests.fabric import GPU_TOLERATION, gpu_network_names, pool_facts
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import load
from aiinfra.resolve.workload import plan


def node_container(pod: dict) -> dict:
    return next(c for c in pod["spec"]["containers"] if c["name"] == "node")


def gke_interfaces(pod: dict) -> list[dict]:
    return json.loads(pod["metadata"]["annotations"]["networking.gke.io/interfaces"])


# --- AWS EFA (p5.48xlarge) -----------------------------------------------------------------------


def test_efa_trainjob_requests_all_32_interfaces_and_8_gpus(rendered):
    job = find(rendered["efa"], "TrainJob", "wl-aws-train")
    res = job["spec"]["trainer"]["resourcesPerNode"]
    assert res["limits"]["vpc.amazonaws.com/efa"] == "32"
    assert res["limits"]["nvidia.com/gpu"] == "8"
    assert res["requests"] == res["limits"], "GPU and EFA requests must equal limits"
    env = env_of(job["spec"]["trainer"])
    assert env["FI_PROVIDER"] == "efa" and env["FI_EFA_USE_HUGE_PAGE"] == "0"
    assert job["spec"]["trainer"]["numNodes"] == 2 and job["spec"]["trainer"]["numProcPerNode"] == 8


def test_efa_trainjob_uses_the_torch_runtime_kueue_and_the_training_contract(rendered):
    job = find(rendered["efa"], "TrainJob", "wl-aws-train")
    assert job["spec"]["runtimeRef"] == {"apiGroup": "trainer.kubeflow.org", "kind": "ClusterTrainingRuntime", "name": "torch-distributed"}
    assert job["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "default"
    t = job["spec"]["trainer"]
    assert t["image"] == OUTPUTS["aws"]["registry"]["reference"] + ":train-0.1.0"
    assert t["command"] == ["torchrun", "--module", "aiinfra.workloads.reference.train"]
    args = t["args"]
    flag = {args[i]: args[i + 1] for i in range(0, len(args) - 1, 2)}
    assert flag == {
        "--data": "s3://wl-aws-datasets-1a2b3c4/data",  # the bucket named datasets holds the data
        "--checkpoint": "s3://wl-aws-checkpoints-5d6e7f8/checkpoints/wl-aws",
        "--steps": "100",
        "--checkpoint-every": "25",
        "--model": "gpt2-124m",
    }


def test_efa_pod_lands_on_its_pool_non_root_without_capabilities(rendered):
    pod = pods(rendered["efa"])["wl-aws-train-node"]
    spec = pod["spec"]
    assert spec["nodeSelector"] == {"aiinfra.dev/pool": "train"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    sc = node_container(pod)["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"]} and sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    shm = next(v for v in spec["volumes"] if v["name"] == "dshm")
    assert shm["emptyDir"]["medium"] == "Memory"


def test_allreduce_job_reports_against_the_fabric_peak(rendered):
    job = find(rendered["efa"], "TrainJob", "allreduce-train")
    t = job["spec"]["trainer"]
    assert t["command"] == ["torchrun", "--module", "aiinfra.workloads.reference.allreduce"]
    assert t["args"] == ["--size-mb", "256", "--iters", "20", "--peak-gbps", "3200"]
    assert t["resourcesPerNode"]["limits"]["vpc.amazonaws.com/efa"] == "32"
    assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "fabric-test"


def test_aws_service_account_has_no_annotations_pod_identity_needs_none(rendered):
    sa = find(rendered["efa"], "ServiceAccount", "workload")
    assert sa["metadata"]["namespace"] == "ml" and sa["metadata"]["annotations"] == {}
    assert sa["automountServiceAccountToken"] is False


def test_serving_deployment_service_hpa_pdb(rendered):
    ms = rendered["efa"]
    dep = find(ms, "Deployment", "wl-aws-serve")
    pod = dep["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert pod["nodeSelector"] == {"aiinfra.dev/pool": "serve"}
    assert c["args"] == ["--checkpoint", "s3://wl-aws-checkpoints-5d6e7f8/checkpoints/wl-aws", "--host", "0.0.0.0", "--port", "8000", "--max-batch-size", "32"]
    assert c["command"] == ["python", "-m", "aiinfra.workloads.reference.serve"]
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz" and c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert c["securityContext"] == {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True}
    svc = find(ms, "Service", "wl-aws-serve")
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    assert svc["spec"]["ports"][0]["targetPort"] == "http"
    hpa = find(ms, "HorizontalPodAutoscaler", "wl-aws-serve")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "wl-aws-serve"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 3)  # serve pool: up to 3 one-GPU nodes
    pdb = find(ms, "PodDisruptionBudget", "wl-aws-serve")
    assert pdb["spec"]["selector"] == dep["spec"]["selector"]


# --- GKE TCPXO (a3-megagpu-8g) and RDMA/gIB (a3-ultragpu-8g) -----------------------------------


def test_tcpxo_pod_gets_8_gpu_nics_the_rxdm_sidecar_and_the_plugin_env(rendered):
    ms = rendered["gke"]
    job = find(ms, "TrainJob", "wl-gcp-train")
    assert job["spec"]["runtimeRef"] == {"apiGroup": "trainer.kubeflow.org", "kind": "TrainingRuntime", "name": "wl-gcp-train-runtime"}
    pod = pods(ms)["wl-gcp-train-runtime-node"]
    ann = pod["metadata"]["annotations"]
    assert ann["networking.gke.io/default-interface"] == "eth0"
    nics = gke_interfaces(pod)
    assert len(nics) == 9
    assert nics[0] == {"interfaceName": "eth0", "network": "default"}
    assert nics[1:] == [{"interfaceName": f"eth{i}", "network": f"vpc{i}"} for i in range(1, 9)]
    devices = ann["devices.gke.io/container.tcpxo-daemon"].splitlines()
    assert devices[:8] == [f"- path: /dev/nvidia{i}" for i in range(8)] and "- path: /dev/dmabuf_import_helper" in devices
    (sidecar,) = pod["spec"]["initContainers"]
    assert sidecar["name"] == "tcpxo-daemon" and sidecar["restartPolicy"] == "Always"
    assert sidecar["securityContext"]["capabilities"] == {"add": ["NET_ADMIN", "NET_BIND_SERVICE"]}
    assert "--num_nics=8" in sidecar["args"][0]
    main = node_container(pod)
    env = env_of(main)
    assert env["NCCL_FASTRAK_IFNAME"] == ",".join(f"eth{i}" for i in range(1, 9))
    assert env["NCCL_FASTRAK_CTRL_DEV"] == "eth0"
    assert env["NCCL_FASTRAK_LLCM_DEVICE_DIRECTORY"] == "/dev/aperture_devices"
    assert env["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"
    assert main["command"][:4] == ["/bin/bash", "-c", 'source "$0" && exec "$@"', "/usr/local/nvidia/lib64/nccl-env-profile.sh"]
    assert main["command"][4:] == ["torchrun", "--module", "aiinfra.workloads.reference.train"]
    mounts = {m["mountPath"] for m in main["volumeMounts"]}
    assert {"/usr/local/nvidia", "/dev/aperture_devices", "/dev/shm"} <= mounts
    # The main container gets no rights: only the sidecar holds NET_ADMIN.
    assert main["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_rdma_pod_gets_eth2_to_eth9_rdma_networks_gib_and_privilege(rendered):
    pod = pods(rendered["gke"])["allreduce-ultra-node"]
    nics = gke_interfaces(pod)
    assert len(nics) == 9
    assert nics[1:] == [{"interfaceName": f"eth{i + 2}", "network": f"rdma-{i}"} for i in range(8)]
    main = node_container(pod)
    assert env_of(main)["NCCL_NET"] == "gIB"
    assert main["command"][3] == "/usr/local/gib/scripts/set_nccl_env.sh"
    assert main["securityContext"]["privileged"] is True
    assert {m["mountPath"] for m in main["volumeMounts"]} >= {"/usr/local/gib", "/usr/local/nvidia"}
    assert "--peak-gbps" in main["args"] and main["args"][-1] == "3200"


def test_gke_service_account_is_bound_to_the_google_service_account(rendered):
    sa = find(rendered["gke"], "ServiceAccount")
    assert sa["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": OUTPUTS["gcp"]["workload_gsa_email"]}


def test_gke_fabric_tests_cover_both_fabrics_and_serving_stays_off_the_fabric(rendered):
    jobs = {m["metadata"]["name"] for m in rendered["gke"] if m["kind"] == "TrainJob"}
    assert jobs == {"wl-gcp-train", "allreduce-mega", "allreduce-ultra"}
    dep = find(rendered["gke"], "Deployment")
    assert dep["spec"]["template"]["spec"]["nodeSelector"] == {"aiinfra.dev/pool": "serve"}
    assert "annotations" not in dep["spec"]["template"]["metadata"]


# --- Azure InfiniBand (ND96isr H100 v5) ---------------------------------------------------------


def test_infiniband_pod_requests_rdma_ib_with_ipc_lock_as_root(rendered):
    ms = rendered["infiniband"]
    job = find(ms, "TrainJob", "wl-azure-train")
    assert job["spec"]["trainer"]["resourcesPerNode"]["limits"]["rdma/ib"] == "8"
    pod = pods(ms)["wl-azure-train-node"]
    sc = node_container(pod)["securityContext"]
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["IPC_LOCK"]}
    assert sc["runAsUser"] == 0 and sc["allowPrivilegeEscalation"] is False and "privileged" not in sc
    env = env_of(job["spec"]["trainer"])
    assert env["NCCL_IB_DISABLE"] == "0" and env["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert json.loads(env["AIINFRA_STORAGE_OPTIONS"]) == {"account_name": OUTPUTS["azure"]["storage_account"]}
    assert job["spec"]["trainer"]["args"][1] == "az://checkpoints/data"


def test_azure_workload_identity_annotation_and_pod_label(rendered):
    ms = rendered["infiniband"]
    sa = find(ms, "ServiceAccount")
    assert sa["metadata"]["annotations"] == {"azure.workload.identity/client-id": OUTPUTS["azure"]["workload_client_id"]}
    for name, pod in pods(ms).items():
        assert pod["metadata"]["labels"]["azure.workload.identity/use"] == "true", name
    # Serving shares the one ND pool but gets one GPU and no fabric rights.
    dep = find(ms, "Deployment")
    assert dep["spec"]["template"]["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    assert "add" not in dep["spec"]["template"]["spec"]["containers"][0]["securityContext"]["capabilities"]


# --- A pool without a GPU fabric ---------------------------------------------------------------


def test_ethernet_pool_gets_no_fabric_resources_and_host_network_peak(rendered):
    ms = rendered["ethernet"]
    job = find(ms, "TrainJob", "wl-eth-train")
    limits = job["spec"]["trainer"]["resourcesPerNode"]["limits"]
    assert set(limits) == {"cpu", "memory", "nvidia.com/gpu"} and limits["nvidia.com/gpu"] == "1"
    assert env_of(job["spec"]["trainer"])["NCCL_SOCKET_IFNAME"] == "eth0"
    assert job["spec"]["trainer"]["args"][:2] == ["--data", "s3://public-datasets/tinyshakespeare"]
    test = find(ms, "TrainJob", "allreduce-l4")
    assert test["spec"]["trainer"]["args"][-2:] == ["--peak-gbps", "10"]  # g6.xlarge host network
    # No fabric annotations; the pool autoscales under Karpenter, so the running job asks it not to disrupt its node.
    assert pods(ms)["wl-eth-train-node"]["metadata"]["annotations"] == {"karpenter.sh/do-not-disrupt": "true"}


# --- Alternatives: JobSet and KServe -------------------------------------------------------------


def test_jobset_runs_the_same_command_with_trainer_style_rendezvous(rendered):
    ms = rendered["efa-jobset-kserve"]
    assert not [m for m in ms if m["kind"] in ("TrainJob", "TrainingRuntime")]
    js = find(ms, "JobSet", "wl-aws-train")
    assert js["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "default"
    assert js["spec"]["network"]["enableDNSHostnames"] is True
    job = js["spec"]["replicatedJobs"][0]["template"]["spec"]
    assert job["parallelism"] == job["completions"] == 2 and job["completionMode"] == "Indexed"
    c = job["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in c["env"]}
    assert env["PET_MASTER_ADDR"]["value"] == "wl-aws-train-node-0-0.wl-aws-train"
    assert env["PET_NNODES"]["value"] == "2" and env["PET_NPROC_PER_NODE"]["value"] == "8"
    assert "job-completion-index" in env["PET_NODE_RANK"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert c["resources"]["limits"]["vpc.amazonaws.com/efa"] == "32"


def test_jobset_keeps_the_tcpxo_sidecar(rendered):
    js = find(rendered["gke-jobset"], "JobSet", "wl-gcp-train")
    pod = js["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]
    assert [s["name"] for s in pod["spec"]["initContainers"]] == ["tcpxo-daemon"]
    assert len(gke_interfaces(pod)) == 9


def test_kserve_inferenceservice_in_standard_mode(rendered):
    ms = rendered["efa-jobset-kserve"]
    assert not [m for m in ms if m["kind"] in ("Deployment", "HorizontalPodAutoscaler")]
    isvc = find(ms, "InferenceService", "wl-aws-serve")
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    p = isvc["spec"]["predictor"]
    assert p["serviceAccountName"] == "workload" and p["nodeSelector"] == {"aiinfra.dev/pool": "serve"}
    assert p["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert (p["minReplicas"], p["maxReplicas"], p["scaleMetric"]) == (1, 3, "cpu")


# --- Rights: only what fabrics.yaml grants ------------------------------------------------------

FABRIC_RIGHTS = {  # pod name suffix -> (runs as root, privileged, added capabilities)
    "efa": (False, False, set()),
    "ethernet": (False, False, set()),
    "tcpxo": (False, False, set()),
    "rdma": (True, True, set()),
    "infiniband": (True, False, {"IPC_LOCK"}),
}


@pytest.mark.parametrize("scenario", ["efa", "gke", "infiniband", "ethernet", "efa-jobset-kserve", "gke-jobset"])
def test_every_pod_has_exactly_its_fabric_rights(rendered, scenario):
    for name, pod in pods(rendered[scenario]).items():
        selector = pod["spec"]["nodeSelector"]["aiinfra.dev/pool"]
        kind = _fabric_of(scenario, selector)
        root, privileged, caps = FABRIC_RIGHTS[kind] if "serve" not in name else (False, False, set())
        main = next(c for c in pod["spec"]["containers"])
        sc = main["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, name
        assert bool(sc.get("privileged")) is privileged, name
        assert set(sc.get("capabilities", {}).get("add", [])) == caps, name
        assert (pod["spec"]["securityContext"].get("runAsNonRoot") is True) is (not root), name
        assert pod["spec"]["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        if not privileged:
            assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"], name
        for side in pod["spec"].get("initContainers", []):
            assert kind == "tcpxo" and set(side["securityContext"]["capabilities"]["add"]) == {"NET_ADMIN", "NET_BIND_SERVICE"}, name
        host = [v["hostPath"]["path"] for v in pod["spec"]["volumes"] if "hostPath" in v]
        assert not host or kind in ("tcpxo", "rdma"), name


def _fabric_of(scenario: str, pool: str) -> str:
    return {
        ("efa", "train"): "efa", ("efa", "serve"): "ethernet", ("efa-jobset-kserve", "train"): "efa", ("efa-jobset-kserve", "serve"): "ethernet",
        ("gke", "mega"): "tcpxo", ("gke", "ultra"): "rdma", ("gke", "serve"): "ethernet",
        ("gke-jobset", "mega"): "tcpxo", ("gke-jobset", "ultra"): "rdma", ("gke-jobset", "serve"): "ethernet",
        ("infiniband", "nd"): "infiniband", ("ethernet", "l4"): "ethernet",
    }[(scenario, pool)]


# --- Pool choice and spec problems ---------------------------------------------------------------


def test_default_pools_fastest_fabric_trains_fewest_gpus_serve(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "name: pick\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\n"
        "node_pools:\n  - {name: high, instance_type: a3-highgpu-8g, gpu: 'H100:8', nodes: 4}\n"
        "  - {name: ultra, instance_type: a3-ultragpu-8g, gpu: 'H200:8', nodes: 1}\n"
        "  - {name: l4, gpu: 'L4:1', nodes: 1}\nstorage: {buckets: [ckpt]}\n"
    )
    wp = plan(load(spec))
    assert (wp.train_pool.name, wp.serve_pool.name, wp.nodes) == ("ultra", "l4", 1)
    assert [p.name for p in wp.fabric_pools] == ["ultra", "high"]


def test_bad_workload_references_are_reported_with_paths_and_hints():
    with pytest.raises(SpecError) as err:
        load(SPECS / "aws.bad.workload-references.yaml")
    got = {p.path: p.hint for p in err.value.problems}
    assert got == {"workload.train_pool": "did you mean train?", "workload.checkpoint_bucket": "did you mean checkpoints?"}


def test_rendering_needs_a_checkpoint_bucket(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("name: nobkt\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: g, gpu: 'L4:1'}]\n")
    with pytest.raises(SpecError) as err:
        plan(load(spec))
    assert [p.path for p in err.value.problems] == ["storage.buckets"]


def test_values_from_outputs_names_missing_keys():
    env = load(SPECS / "azure.ok.workload-infiniband.yaml")
    partial = {k: v for k, v in OUTPUTS["azure"].items() if k != "workload_client_id"}
    with pytest.raises(KeyError, match="workload_client_id"):
        values_from_outputs(env, partial)


def test_strict_undefined_catches_a_template_typo(tmp_path, monkeypatch):
    import jinja2

    (tmp_path / "bad.yaml.j2").write_text("kind: {{ namespce }}\n")
    monkeypatch.setattr(templates, "templates_dir", lambda: tmp_path)
    with pytest.raises(jinja2.UndefinedError):
        templates._jinja().get_template("bad.yaml.j2").render(namespace="ml")


def test_enabled_workload_without_a_training_operator_is_a_problem(tmp_path):
    text = (SPECS / "aws.ok.workload-efa.yaml").read_text() + "mlops:\n  training: none\n"
    spec = tmp_path / "aws.bad.no-operator.yaml"
    spec.write_text(text)
    with pytest.raises(SpecError) as err:
        load(spec)
    assert [p.path for p in err.value.problems] == ["mlops.training"]


def test_capacity_taints_of_the_cloud_are_tolerated_by_the_pods_on_that_pool():
    """AKS taints spot nodes itself; GKE and EKS spot nodes carry no taint, so their pods need no extra toleration."""
    spot_aks = {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}
    azure = load(SPECS / "azure.ok.training-serving.yaml")
    by_pool = {p.name: pool_facts("azure", p)["tolerations"] for p in azure.pools if not p.system}
    assert by_pool["serve"] == [GPU_TOLERATION, spot_aks]
    assert by_pool["train"] == [GPU_TOLERATION]
    gcp = load(SPECS.parents[2] / "stacks" / "gcp-llm.yaml")
    assert "spot" in {p.capacity for p in gcp.pools}
    for p in gcp.pools:
        assert pool_facts("gcp", p)["tolerations"] == ([GPU_TOLERATION] if p.gpu else []), p.name


def test_gke_pod_networks_are_the_catalog_names_the_network_layer_creates():
    """The names come from the pool's resolved fabric_networks, which the resolver took from the catalog."""
    import dataclasses

    from aiinfra import catalog
    from aiinfra.catalog.models import Fabric

    layouts = catalog.cloud_catalog("gcp").fabric_networks
    pool = next(p for p in load(SPECS.parents[2] / "stacks" / "gcp-llm.yaml").pools if p.fabric)

    def with_fabric(kind: str, layout):
        fabric = Fabric(kind=kind, interfaces=8, gbps=1600, source="test")
        return dataclasses.replace(pool, fabric=fabric, fabric_networks=layout)

    assert gpu_network_names("gcp", with_fabric("tcpxo", layouts["tcpxo"])) == [f"vpc{i}" for i in range(1, 9)] == layouts["tcpxo"].gpu_nic_names(8)
    assert gpu_network_names("gcp", with_fabric("rdma", layouts["rdma"])) == [f"rdma-{i}" for i in range(8)]
    assert pool.fabric_networks == layouts[pool.fabric_kind]
    with pytest.raises(ValueError, match="fabric_networks"):
        gpu_network_names("aws", with_fabric("tcpxo", None))
