"""What the platform installs on one environment's cluster, as plain data: releases with their values,
custom resources, manifests and namespaces. No Pulumi here, so every cloud's choices can be tested
from a resolved spec alone; platform.py turns a Plan into resources.

Per-cloud facts follow shared/reference/ (the folder beside the checkout): mlops-addons.md §1 and gpu-fabrics.md §1.6, §2.6, §3.3.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Callable, Mapping

from aiinfra import catalog
from aiinfra.components.kubernetes.charts import ChartRef, chart, manifest
from aiinfra.resolve import ResolvedEnvironment, ResolvedPool

PROMETHEUS_RELEASE = "kube-prometheus-stack"
GRAFANA_DASHBOARD_LABEL = ("grafana_dashboard", "1")  # kube-prometheus-stack grafana.sidecar.dashboards defaults
POOL_LABEL = "aiinfra.dev/pool"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_TOLERATION = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
CONTROL_PLANE_TOLERATION = {"key": "node-role.kubernetes.io/control-plane", "operator": "Equal", "value": "", "effect": "NoSchedule"}
PRIVILEGED = {"pod-security.kubernetes.io/enforce": "privileged"}
LOCAL_QUEUE = "default"
MLFLOW_DB = "mlflow-db"
MLFLOW_ARTIFACT_PATH = "mlflow"
ARTIFACT_BUCKET_PREFERENCE = ("artifacts", "mlflow", "checkpoints")

KUEUE_API = "kueue.x-k8s.io/v1beta2"
MELLANOX_PCI_VENDOR = "15b3"
# ConnectX-6 / ConnectX-7 device IDs of the ND A100 v4 / H100 v5 InfiniBand HCAs (gpu-fabrics.md §3.3).
MELLANOX_IB_DEVICES = ["101c", "101e"]
MELLANOX_LABEL = f"feature.node.kubernetes.io/pci-{MELLANOX_PCI_VENDOR}.present"
DOCA_DRIVER = {"repository": "nvcr.io/nvidia/mellanox", "image": "doca-driver", "version": "doca3.2.0-25.10-1.2.8.0-2"}
# The sriov device plugin image the pinned network-operator 26.4.1 chart ships (its values.yaml, sriov-network-operator.images).
SRIOV_DEVICE_PLUGIN = {"repository": "nvcr.io/nvidia/mellanox", "image": "sriov-network-device-plugin", "version": "network-operator-v26.4.1"}

# -- per-cloud GPU stack, as data -------------------------------------------------------------------

# How each cloud installs the NVIDIA driver, and so what the GPU operator must leave alone. Keyed by
# gpu_stack(env): the cloud, or on AKS the cloud and azure.gpu_driver.
_AKS_UNUSED = {
    "migManager": {"enabled": False},
    "vgpuDeviceManager": {"enabled": False},
    "vfioManager": {"enabled": False},
    "sandboxDevicePlugin": {"enabled": False},
}
GPU_OPERATOR_VALUES: dict[str, dict[str, Any]] = {
    # EKS AL2023 NVIDIA AMIs ship the driver and container toolkit (and the EFA host software).
    "aws": {
        "driver": {"enabled": False},
        "toolkit": {"enabled": False},
        "devicePlugin": {"env": [{"name": "MOFED_ENABLED", "value": "false"}, {"name": "GDRCOPY_ENABLED", "value": "true"}]},
        "mig": {"strategy": "mixed"},
    },
    # GKE installs the driver (node pool gpu_driver_version) into /home/kubernetes/bin/nvidia on COS and runs
    # its own managed device plugin; the operator adds DCGM metrics and feature discovery, not a second
    # device plugin. Not run on a live GKE cluster yet (verified: false).
    "gcp": {
        "driver": {"enabled": False},
        "devicePlugin": {"enabled": False},
        "hostPaths": {"driverInstallDir": "/home/kubernetes/bin/nvidia"},
        "toolkit": {"installDir": "/home/kubernetes/bin/nvidia"},
        "cdi": {"enabled": True},
    },
    # azure.gpu_driver aks (gpuProfile.driver Install): the node image carries the driver and the NVIDIA container
    # runtime; an operator toolkit would rewrite containerd's config, which uninstalling the operator cannot undo
    # (mlops-addons.md §2 "managed-driver clouds"; the containerd detail is from the aks-rdma-infiniband docs page
    # configurations/gpu-operator, not in shared/reference: verified: false).
    "azure-aks": {**_AKS_UNUSED, "driver": {"enabled": False}, "toolkit": {"enabled": False}},
    # azure.gpu_driver none (gpuProfile.driver None): the operator owns driver and toolkit (gpu-fabrics.md §3.3).
    "azure-none": {**_AKS_UNUSED, "driver": {"enabled": True}, "toolkit": {"enabled": True}},
}
# On InfiniBand the Network Operator runs NFD and the DOCA/MOFED driver that GPUDirect RDMA needs; the operator's
# driver loads nvidia-peermem against it (resolve refuses azure.gpu_driver aks with InfiniBand).
GPU_OPERATOR_INFINIBAND_VALUES = {"nfd": {"enabled": False}, "driver": {"rdma": {"enabled": True}}}

# Does the GPU node carry an `nvidia` RuntimeClass? Only where the operator installs the toolkit (it creates one).
# AKS-managed nodes run GPUs through containerd's default runtime (verified: false, no live AKS run yet).
NVIDIA_RUNTIME_CLASS = {"aws": False, "gcp": False, "azure-aks": False, "azure-none": True}

# Fabric kind -> manifests (GKE) installing the NCCL network plugin on those nodes.
NCCL_INSTALLERS: dict[str, list[str]] = {
    "tcpx": ["nri-device-injector", "nccl-tcpx-installer"],
    "tcpxo": ["nri-device-injector", "nccl-tcpxo-installer"],
    "rdma": ["nccl-rdma-installer"],
}

# A default StorageClass where the cloud's cluster has none that is encrypted (EKS ≥ 1.30 marks no default).
STORAGE_CLASSES: dict[str, dict[str, Any] | None] = {
    "aws": {
        "name": "gp3-encrypted",
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "fsType": "ext4"},
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    },
    "gcp": None,  # standard-rwo (pd-balanced, encrypted at rest) is the GKE default
    "azure": None,  # managed-csi is the AKS default
}


@dataclass
class Release:
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    namespace: str | None = None
    after: list[str] = field(default_factory=list)

    @property
    def ref(self) -> ChartRef:
        return chart(self.key)

    @property
    def ns(self) -> str:
        ns = self.namespace or self.ref.namespace
        assert ns, self.key
        return ns


@dataclass
class KubeObject:
    """A Kubernetes object the platform applies itself; `after` names releases (or objects) it waits for."""

    key: str
    body: dict[str, Any]
    after: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def api_version(self) -> str:
        return self.body["apiVersion"]


@dataclass
class Manifest:
    key: str
    after: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return manifest(self.key).url


@dataclass
class GpuNetwork:
    """An extra GKE network for GPU NICs (gpu-fabrics.md §1.3): device_mode NetDevice (gVNIC) or RDMA."""

    name: str
    vpc: str
    subnet: str
    device_mode: str = "NetDevice"


@dataclass
class Plan:
    releases: list[Release] = field(default_factory=list)
    objects: list[KubeObject] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def release(self, key: str) -> Release:
        return next(r for r in self.releases if r.key == key)

    def has(self, key: str) -> bool:
        return any(r.key == key for r in self.releases)

    def object(self, key: str) -> KubeObject:
        return next(o for o in self.objects if o.key == key)


@dataclass
class ArtifactStore:
    """Where MLflow keeps artifacts: a bucket URL (s3://, gs://, az://) and, on Azure, its storage account."""

    url: Any
    account: Any = None


# -- helpers ----------------------------------------------------------------------------------------


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else copy.deepcopy(v)
    return out


def pool_selector(env: ResolvedEnvironment, pool: ResolvedPool) -> dict[str, str]:
    """The node label every cloud's node pools carry: the spec's pool name (node_labels in each cloud's gpu_pool.py)."""
    return {POOL_LABEL: pool.name}


def taint_tolerations(env: ResolvedEnvironment, pools: list[ResolvedPool]) -> list[dict[str, str]]:
    """Tolerations for the taints the cloud itself puts on these pools' nodes (AKS spot; catalog capacity_taints)."""
    return catalog.capacity_tolerations(env.spec.cloud, [p.capacity for p in pools])


def fabric_kinds(env: ResolvedEnvironment) -> set[str]:
    return {p.fabric_kind for p in env.gpu_pools if p.fabric_kind}


def choose_artifact_bucket(names: list[str]) -> str | None:
    for wanted in ARTIFACT_BUCKET_PREFERENCE:
        for n in names:
            if wanted in n:
                return n
    return names[0] if names else None


def dashboard_json() -> str:
    return resources.files("aiinfra.components.kubernetes").joinpath("gpu-dashboard.json").read_text(encoding="utf-8")


# -- values per release -----------------------------------------------------------------------------


def prometheus_values() -> dict[str, Any]:
    spec = {
        # Scrape every ServiceMonitor/PodMonitor in the cluster (DCGM, Kueue), not only this release's.
        "serviceMonitorSelectorNilUsesHelmValues": False,
        "podMonitorSelectorNilUsesHelmValues": False,
        "retention": "15d",
        "storageSpec": {
            "volumeClaimTemplate": {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}}}}
        },
    }
    return {"prometheus": {"prometheusSpec": spec}}


def gpu_stack(env: ResolvedEnvironment) -> str:
    """The row of GPU_OPERATOR_VALUES / NVIDIA_RUNTIME_CLASS: who installs driver and toolkit on the GPU nodes."""
    return f"azure-{env.spec.azure.gpu_driver}" if env.spec.cloud == "azure" else env.spec.cloud


def gpu_operator_values(env: ResolvedEnvironment, monitoring: bool) -> dict[str, Any]:
    values = copy.deepcopy(GPU_OPERATOR_VALUES[gpu_stack(env)])
    if "infiniband" in fabric_kinds(env):
        values = deep_merge(values, GPU_OPERATOR_INFINIBAND_VALUES)
    service_monitor: dict[str, Any] = {"enabled": monitoring}
    if monitoring:
        service_monitor["additionalLabels"] = {"release": PROMETHEUS_RELEASE}
    values = deep_merge(values, {"dcgmExporter": {"serviceMonitor": service_monitor}})
    spot = taint_tolerations(env, env.gpu_pools)
    if spot:
        # Helm replaces lists: the chart defaults, plus the taints the cloud puts on the GPU pools' nodes.
        values["daemonsets"] = {"tolerations": [GPU_TOLERATION, *spot]}
        values["node-feature-discovery"] = {"worker": {"tolerations": [CONTROL_PLANE_TOLERATION, GPU_TOLERATION, *spot]}}
    return values


def efa_plugin_values() -> dict[str, Any]:
    # Only EFA nodes, and past the GPU taint (the chart tolerates nothing by default).
    return {"nodeSelector": {"vpc.amazonaws.com/efa.present": "true"}, "tolerations": [GPU_TOLERATION]}


def infiniband_pools(env: ResolvedEnvironment) -> list[ResolvedPool]:
    return [p for p in env.gpu_pools if p.fabric_kind == "infiniband"]


def network_operator_values(env: ResolvedEnvironment) -> dict[str, Any]:
    # aiinfra applies its own NodeFeatureRule for the InfiniBand HCAs (gpu-fabrics.md §3.3).
    values: dict[str, Any] = {"nfd": {"deployNodeFeatureRules": False}}
    spot = taint_tolerations(env, infiniband_pools(env))
    if spot:
        # The chart's NFD worker tolerations, plus the cloud's taints on the InfiniBand pools' nodes.
        defaults = [
            {"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
            GPU_TOLERATION,
        ]
        values["node-feature-discovery"] = {"worker": {"tolerations": [*defaults, *spot]}}
    return values


def kueue_values(monitoring: bool) -> dict[str, Any]:
    return {"enablePrometheus": True} if monitoring else {}


def trainer_values() -> dict[str, Any]:
    return {"runtimes": {"defaultEnabled": True}}


def cert_manager_values() -> dict[str, Any]:
    return {"crds": {"enabled": True}}


def kserve_values() -> dict[str, Any]:
    return {"kserve": {"controller": {"deploymentMode": "Standard"}}}


def vllm_values(env: ResolvedEnvironment) -> dict[str, Any]:
    """The router only: models are added by the workload layer. The chart's sample model is dropped, and the
    `nvidia` RuntimeClass is cleared where the node image runs GPUs without one."""
    engine: dict[str, Any] = {"modelSpec": []}
    if not NVIDIA_RUNTIME_CLASS[gpu_stack(env)]:
        engine["runtimeClassName"] = ""
    return {"servingEngineSpec": engine, "routerSpec": {"enableRouter": True}}


def artifact_values(url: str, account: str | None = None) -> dict[str, Any]:
    """MLflow's artifact root in the bucket, reached through the server's workload identity (no keys)."""
    scheme, _, rest = url.partition("://")
    bucket = rest.split("/", 1)[0]
    root: dict[str, Any] = {"proxiedArtifactStorage": True}
    if scheme == "s3":
        root["s3"] = {"enabled": True, "bucket": bucket, "path": MLFLOW_ARTIFACT_PATH}
    elif scheme == "gs":
        root["gcs"] = {"enabled": True, "bucket": bucket, "path": MLFLOW_ARTIFACT_PATH}
    elif scheme == "az":
        if not account:
            raise ValueError("an az:// artifact store needs the storage account name")
        root["azureBlob"] = {"enabled": True, "container": bucket, "storageAccount": account, "path": MLFLOW_ARTIFACT_PATH}
    else:
        raise ValueError(f"MLflow cannot store artifacts at {url!r}")
    return root


def mlflow_values(env: ResolvedEnvironment, artifact_root: Any, pod_labels: Mapping[str, str]) -> dict[str, Any]:
    ns = env.spec.identity.namespace
    values: dict[str, Any] = {
        "fullnameOverride": "mlflow",
        # The environment's workload service account carries the cloud identity with bucket access.
        "serviceAccount": {"create": False, "name": env.spec.identity.service_account},
        "backendStore": {
            "databaseMigration": True,
            "databaseConnectionCheck": True,
            "postgres": {"enabled": True, "host": f"{MLFLOW_DB}-rw.{ns}.svc.cluster.local", "port": 5432, "database": "mlflow"},
            # CloudNativePG writes the owner's credentials to <cluster>-app (keys username/password).
            "existingDatabaseSecret": {"name": f"{MLFLOW_DB}-app"},
        },
        "artifactRoot": artifact_root,
    }
    if pod_labels:
        values["extraPodLabels"] = dict(pod_labels)
    if env.spec.cloud == "aws":
        values["extraEnvVars"] = {"AWS_DEFAULT_REGION": env.spec.region}
    return values


def mlflow_url(env: ResolvedEnvironment) -> str:
    return f"http://mlflow.{env.spec.identity.namespace}.svc.cluster.local:80"


# -- custom resources -------------------------------------------------------------------------------


def kueue_objects(env: ResolvedEnvironment) -> list[KubeObject]:
    """One ResourceFlavor per pool, a ClusterQueue whose quota is what the pools hold at their maximum size,
    and the LocalQueue `default` in the workload namespace. CPU pools come first, so CPU-only work does not
    take GPU nodes; GPU work skips them (0 GPU quota)."""
    pools = sorted(env.worker_pools, key=lambda p: (bool(p.gpu), p.name))
    if not pools:
        return []
    gpus = any(p.gpu for p in pools)
    queue = "gpu" if gpus else "cpu"
    covered = ["cpu", "memory"] + ([GPU_RESOURCE] if gpus else [])
    objs: list[KubeObject] = []
    flavors = []
    for p in pools:
        spec: dict[str, Any] = {"nodeLabels": pool_selector(env, p)}
        tolerations = ([GPU_TOLERATION] if p.gpu else []) + taint_tolerations(env, [p])
        if tolerations:
            spec["tolerations"] = tolerations
        objs.append(KubeObject(f"flavor-{p.name}", {"apiVersion": KUEUE_API, "kind": "ResourceFlavor", "metadata": {"name": p.name}, "spec": spec}, ["kueue"]))
        quota = [
            {"name": "cpu", "nominalQuota": p.vcpus * p.nodes_max},
            {"name": "memory", "nominalQuota": f"{int(p.memory_gib * p.nodes_max)}Gi"},
        ]
        if gpus:
            quota.append({"name": GPU_RESOURCE, "nominalQuota": p.gpus_per_node * p.nodes_max})
        flavors.append({"name": p.name, "resources": quota})
    flavor_keys = [o.key for o in objs]
    objs.append(
        KubeObject(
            "cluster-queue",
            {
                "apiVersion": KUEUE_API,
                "kind": "ClusterQueue",
                "metadata": {"name": queue},
                "spec": {"namespaceSelector": {}, "resourceGroups": [{"coveredResources": covered, "flavors": flavors}]},
            },
            ["kueue", *flavor_keys],
        )
    )
    objs.append(
        KubeObject(
            "local-queue",
            {
                "apiVersion": KUEUE_API,
                "kind": "LocalQueue",
                "metadata": {"name": LOCAL_QUEUE, "namespace": env.spec.identity.namespace},
                "spec": {"clusterQueue": queue},
            },
            ["kueue", "cluster-queue"],
        )
    )
    return objs


def infiniband_objects(env: ResolvedEnvironment) -> list[KubeObject]:
    """AKS InfiniBand: label the HCAs' nodes, then a NicClusterPolicy with the DOCA driver and the SR-IOV
    RDMA device plugin (one `rdma/ib` per HCA; request 8 with 8 GPUs). gpu-fabrics.md §3.3."""
    rule = {
        "apiVersion": "nfd.k8s-sigs.io/v1alpha1",
        "kind": "NodeFeatureRule",
        "metadata": {"name": "mellanox-infiniband", "namespace": chart("network-operator").namespace},
        "spec": {
            "rules": [
                {
                    "name": "mellanox infiniband hca",
                    "labels": {MELLANOX_LABEL: "true"},
                    "matchFeatures": [
                        {
                            "feature": "pci.device",
                            "matchExpressions": {
                                "vendor": {"op": "In", "value": [MELLANOX_PCI_VENDOR]},
                                "device": {"op": "In", "value": MELLANOX_IB_DEVICES},
                            },
                        }
                    ],
                }
            ]
        },
    }
    sriov_config = {
        "resourceList": [
            {
                "resourcePrefix": "rdma",
                "resourceName": "ib",
                "selectors": {"vendors": [MELLANOX_PCI_VENDOR], "linkTypes": ["infiniband"], "isRdma": True},
            }
        ]
    }
    policy = {
        "apiVersion": "mellanox.com/v1alpha1",
        "kind": "NicClusterPolicy",
        "metadata": {"name": "nic-cluster-policy"},
        "spec": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": MELLANOX_LABEL, "operator": "In", "values": ["true"]}]}]
                }
            },
            "tolerations": [GPU_TOLERATION, *taint_tolerations(env, infiniband_pools(env))],
            "ofedDriver": {
                **DOCA_DRIVER,
                # Workaround for an openibd restart race on NDm A100 v4 (Mellanox/doca-driver-build#52).
                "env": [{"name": "OFED_BLACKLIST_MODULES_FILE", "value": "/host/etc/modprobe.d/blacklist-ofed-modules.conf"}],
                "upgradePolicy": {
                    "autoUpgrade": True,
                    "maxParallelUpgrades": 1,
                    "drain": {"enable": True, "force": True, "deleteEmptyDir": True, "timeoutSeconds": 300},
                },
            },
            "sriovDevicePlugin": {**SRIOV_DEVICE_PLUGIN, "config": json.dumps(sriov_config, sort_keys=True)},
        },
    }
    return [KubeObject("nfd-rule-infiniband", rule, ["network-operator"]), KubeObject("nic-cluster-policy", policy, ["network-operator", "nfd-rule-infiniband"])]


def gke_network_objects(networks: list[GpuNetwork]) -> list[KubeObject]:
    """GKE multi-networking: a GKENetworkParamSet and a Network per extra GPU NIC network (gpu-fabrics.md §1.3)."""
    objs = []
    for n in networks:
        objs.append(
            KubeObject(
                f"netparams-{n.name}",
                {
                    "apiVersion": "networking.gke.io/v1",
                    "kind": "GKENetworkParamSet",
                    "metadata": {"name": n.name},
                    "spec": {"vpc": n.vpc, "vpcSubnet": n.subnet, "deviceMode": n.device_mode},
                },
            )
        )
        objs.append(
            KubeObject(
                f"network-{n.name}",
                {
                    "apiVersion": "networking.gke.io/v1",
                    "kind": "Network",
                    "metadata": {"name": n.name},
                    "spec": {"type": "Device", "parametersRef": {"group": "networking.gke.io", "kind": "GKENetworkParamSet", "name": n.name}},
                },
                [f"netparams-{n.name}"],
            )
        )
    return objs


def mlflow_database(env: ResolvedEnvironment) -> KubeObject:
    return KubeObject(
        "mlflow-db",
        {
            "apiVersion": "postgresql.cnpg.io/v1",
            "kind": "Cluster",
            "metadata": {"name": MLFLOW_DB, "namespace": env.spec.identity.namespace},
            "spec": {
                "instances": 1,
                "storage": {"size": "20Gi"},
                "bootstrap": {"initdb": {"database": "mlflow", "owner": "mlflow"}},
            },
        },
        ["cloudnative-pg"],
    )


def dashboard_object() -> KubeObject:
    key, value = GRAFANA_DASHBOARD_LABEL
    return KubeObject(
        "gpu-dashboard",
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "aiinfra-gpu-dashboard", "namespace": chart("kube-prometheus-stack").namespace, "labels": {key: value}},
            "data": {"aiinfra-gpu.json": dashboard_json()},
        },
        ["kube-prometheus-stack"],
    )


# -- the plan -----------------------------------------------------------------------------------------


def plan(
    env: ResolvedEnvironment,
    *,
    bucket_names: list[str] | None = None,
    artifact_root: Callable[[str], Any] | None = None,
    pod_labels: Mapping[str, str] | None = None,
    gpu_networks: list[GpuNetwork] | None = None,
) -> Plan:
    """Everything to install for env.spec.mlops on env.spec.cloud.

    artifact_root(bucket) gives MLflow's artifactRoot values for the chosen bucket (an Output in a Pulumi
    program, plain data in tests); without it the bucket is taken as an s3://-style name.
    """
    cloud = env.spec.cloud
    m = env.spec.mlops
    out = Plan()
    gpus = bool(env.gpu_pools)
    kinds = fabric_kinds(env)

    if m.monitoring:
        out.releases.append(Release("kube-prometheus-stack", prometheus_values()))
        if gpus:
            out.objects.append(dashboard_object())
    if gpus and m.gpu_operator:
        after = ["kube-prometheus-stack"] if m.monitoring else []
        if "infiniband" in kinds:
            out.releases.append(Release("network-operator", network_operator_values(env)))
            out.objects += infiniband_objects(env)
            after.append("network-operator")
        out.releases.append(Release("gpu-operator", gpu_operator_values(env, m.monitoring), after=after))
    elif gpus and m.monitoring:
        out.notes.append("mlops.gpu_operator is off: no DCGM exporter, so the GPU dashboard stays empty")
    if gpus and m.gpu_operator:
        if "efa" in kinds:
            out.releases.append(Release("aws-efa-k8s-device-plugin", efa_plugin_values()))
        for kind in sorted(kinds & set(NCCL_INSTALLERS)):
            for key in NCCL_INSTALLERS[kind]:
                if key not in {x.key for x in out.manifests}:
                    out.manifests.append(Manifest(key))
    # Pods attach their GPU NICs through these whether or not the operator runs.
    out.objects += gke_network_objects(gpu_networks or [])

    if m.queueing:
        out.releases.append(Release("kueue", kueue_values(m.monitoring), after=["kube-prometheus-stack"] if m.monitoring else []))
        out.objects += kueue_objects(env)
    if m.training == "trainer":
        out.releases.append(Release("kubeflow-trainer", trainer_values()))
    elif m.training == "jobset":
        out.releases.append(Release("jobset"))

    if m.serving == "kserve":
        out.releases.append(Release("cert-manager", cert_manager_values()))
        out.releases.append(Release("kserve-crd", after=["cert-manager"]))
        out.releases.append(Release("kserve-resources", kserve_values(), after=["cert-manager", "kserve-crd"]))
    elif m.serving == "vllm":
        out.releases.append(Release("vllm-stack", vllm_values(env)))

    if m.tracking:
        bucket = choose_artifact_bucket(list(bucket_names if bucket_names is not None else env.spec.storage.buckets))
        if bucket is None:
            out.notes.append("mlops.tracking is on but storage.buckets is empty: MLflow is not installed; add a bucket (e.g. artifacts)")
        else:
            root = artifact_root(bucket) if artifact_root else artifact_values(f"s3://{bucket}")
            out.releases.append(Release("cloudnative-pg"))
            out.objects.append(mlflow_database(env))
            out.releases.append(
                Release("mlflow", mlflow_values(env, root, pod_labels or {}), namespace=env.spec.identity.namespace, after=["mlflow-db"])
            )

    storage_class = STORAGE_CLASSES[cloud]
    if storage_class and (m.tracking or m.monitoring):
        out.objects.insert(0, storage_class_object(storage_class))
        # Prometheus and PostgreSQL claim volumes: the default class must exist first.
        for item in [*out.releases, *out.objects]:
            if item.key in {"kube-prometheus-stack", "mlflow-db"}:
                item.after.append("storage-class")
    for r in out.releases:
        labels = PRIVILEGED if r.key in {"gpu-operator", "network-operator"} else {}
        if r.ns != "kube-system":
            out.namespaces.setdefault(r.ns, {}).update(labels)
    if out.releases or out.objects:
        out.namespaces.setdefault(env.spec.identity.namespace, {})
    return out


def storage_class_object(sc: dict[str, Any]) -> KubeObject:
    body = {k: v for k, v in sc.items() if k != "name"}
    return KubeObject(
        "storage-class",
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": {"name": sc["name"], "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            **body,
        },
    )
