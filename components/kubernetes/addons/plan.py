"""One environment's platform as data: which releases and objects, in which order."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from aiinfra.components.base.storage import url as bucket_url
from aiinfra.components.kubernetes.addons import dra
from aiinfra.components.kubernetes.addons.accelerators import accelerator_stacks
from aiinfra.components.kubernetes.addons.data import add_data_layer
from aiinfra.components.kubernetes.addons.gpu import (
    NCCL_INSTALLERS,
    efa_plugin_values,
    gke_network_objects,
    gpu_operator_values,
    infiniband_objects,
    network_operator_values,
)
from aiinfra.components.kubernetes.addons.model import (
    PRIVILEGED,
    GpuNetwork,
    KubeObject,
    Manifest,
    Plan,
    Release,
    fabric_kinds,
    family_pools,
)
from aiinfra.components.kubernetes.addons.monitoring import (
    dashboard_object,
)
from aiinfra.components.kubernetes.addons.scheduling import (
    kueue_objects,
    kueue_values,
)
from aiinfra.components.kubernetes.addons.serving import (
    http_add_on_values,
    router_values,
    vllm_values,
)
from aiinfra.components.kubernetes.addons.storage import (
    STORAGE_CLASSES,
    storage_class_object,
)
from aiinfra.components.kubernetes.addons.tracking import (
    artifact_values,
    choose_artifact_bucket,
    mlflow_database,
    mlflow_values,
)
from aiinfra.resolve.result import ResolvedEnvironment

# The storage account a plan without the program names, where the cloud's artifact store needs one.
UNKNOWN_ACCOUNT = "<storage account>"


def plan(
    env: ResolvedEnvironment,
    *,
    bucket_names: list[str] | None = None,
    artifact_root: Callable[[str], Any] | None = None,
    pod_labels: Mapping[str, str] | None = None,
    gpu_networks: list[GpuNetwork] | None = None,
    volumes: Mapping[str, Mapping[str, Any]] | None = None,
    storage_addons: list[str] | None = None,
    storage_objects: list[dict[str, Any]] | None = None,
) -> Plan:
    """Everything to install for env.mlops on env.cloud.

    artifact_root(bucket) gives MLflow's artifactRoot values for the chosen bucket (an Output in a Pulumi
    program, plain data in tests); without it the bucket's URL is its cloud's (the storage contract), and a storage
    account the cloud's artifact store needs (Azure) is a stand-in, known only once the account exists.
    """
    cloud = env.cloud
    m = env.mlops
    out = Plan()
    gpus = bool(env.gpu_pools)
    nvidia = bool(family_pools(env, "nvidia"))
    kinds = fabric_kinds(env)

    if m.monitoring:
        out.releases.append(Release("kube-prometheus-stack"))
        if nvidia:
            out.objects.append(dashboard_object())
    if gpus and m.gpu_operator:
        after = ["kube-prometheus-stack"] if m.monitoring else []
        if "infiniband" in kinds:
            out.releases.append(Release("network-operator", network_operator_values(env)))
            out.objects += infiniband_objects(env)
            after.append("network-operator")
        # Each family's stack only where its pools are, each on its own nodes (taints and selectors).
        if nvidia:
            out.releases.append(Release("gpu-operator", gpu_operator_values(env, m.monitoring), after=after))
        if dra.dra_pools(env):
            out.releases.append(Release(dra.RELEASE, dra.dra_values(env), after=["gpu-operator"] if nvidia else []))
        accelerator_stacks(env, out, after, m.monitoring)
    elif nvidia and m.monitoring:
        out.notes.append("mlops.gpu_operator is off: no DCGM exporter, so the GPU dashboard stays empty")
    # Whether or not the operator runs: without a driver the GPUs are not usable at all.
    out.manifests += [Manifest(key) for key in dra.driver_installers(env)]
    if gpus and not m.gpu_operator and dra.dra_pools(env):
        out.notes.append("mlops.gpu_operator is off: the NVIDIA DRA driver is not installed, so NVLink pools get no ComputeDomains and dra pools no GPUs; install it yourself")
    if gpus and m.gpu_operator:
        if "efa" in kinds:
            out.releases.append(Release("aws-efa-k8s-device-plugin", efa_plugin_values(env)))
        for kind in sorted(kinds & set(NCCL_INSTALLERS)):
            for key in NCCL_INSTALLERS[kind]:
                if key not in {x.key for x in out.manifests}:
                    out.manifests.append(Manifest(key))
    # Pods attach their GPU NICs through these whether or not the operator runs.
    out.objects += gke_network_objects(gpu_networks or [])

    if m.queueing:
        out.releases.append(Release("kueue", kueue_values(env, m.monitoring), after=["kube-prometheus-stack"] if m.monitoring else []))
        out.objects += kueue_objects(env)
    if m.training == "trainer":
        out.releases.append(Release("kubeflow-trainer"))
    elif m.training == "jobset":
        out.releases.append(Release("jobset"))

    if m.serving == "kserve":
        if not out.has("cert-manager"):  # the AMD GPU operator may have added it
            out.releases.append(Release("cert-manager"))
        out.releases.append(Release("kserve-crd", after=["cert-manager"]))
        out.releases.append(Release("kserve-resources", after=["cert-manager", "kserve-crd"]))
    elif m.serving == "vllm":
        out.releases.append(Release("vllm-stack", vllm_values(env)))

    if env.workload and env.workload.serve_nodes and m.serving != "none":
        out.releases.append(Release("lws"))  # the LeaderWorkerSet controller: one served replica across nodes
    scale = env.workload.scale_to_zero if env.workload else None
    routing = env.workload.routing if env.workload and m.serving != "none" else None
    if routing:
        # The Gateway implementation where the cloud has none of its own, then the router's endpoint picker; the CRDs
        # (Gateway API, InferencePool) as the upstream release manifests.
        for i, key in enumerate(routing["charts"]):
            out.releases.append(Release(key, after=routing["charts"][i - 1 : i]))
        out.releases.append(Release(routing["release"], router_values(routing), namespace=env.namespace, after=list(routing["charts"][-1:])))
        out.manifests += [Manifest(k) for k in routing["manifests"]]
    if scale:
        out.releases.append(Release("keda"))
        out.releases.append(Release("keda-add-ons-http", http_add_on_values(scale), after=["keda"]))

    if m.tracking:
        bucket = choose_artifact_bucket(list(bucket_names if bucket_names is not None else env.buckets))
        if bucket is None:
            out.notes.append("mlops.tracking is on but storage.buckets is empty: MLflow is not installed; add a bucket (e.g. artifacts)")
        else:
            root = artifact_root(bucket) if artifact_root else artifact_values(bucket_url(cloud, bucket), UNKNOWN_ACCOUNT)
            out.releases.append(Release("cloudnative-pg"))
            out.objects.append(mlflow_database(env))
            out.releases.append(
                Release("mlflow", mlflow_values(env, root, pod_labels or {}), namespace=env.namespace, after=["mlflow-db"])
            )

    add_data_layer(env, out, volumes or {}, list(storage_addons or []), storage_objects)
    if env.preinstalled:
        _keep_installed(out, env.preinstalled)

    storage_class = STORAGE_CLASSES[cloud]
    if storage_class and (m.tracking or m.monitoring):
        out.objects.insert(0, storage_class_object(storage_class))
        # Prometheus and PostgreSQL claim volumes: the default class must exist first.
        items: list[Release | KubeObject] = [*out.releases, *out.objects]
        for item in items:
            if item.key in {"kube-prometheus-stack", "mlflow-db"}:
                item.after.append("storage-class")
    for r in out.releases:
        labels = PRIVILEGED if r.key in {"gpu-operator", "network-operator", "amd-gpu-operator", dra.RELEASE} else {}
        if r.ns != "kube-system":
            out.namespaces.setdefault(r.ns, {}).update(labels)
    if out.releases or out.objects:
        out.namespaces.setdefault(env.namespace, {})
    return out


def _keep_installed(out: Plan, installed: frozenset[str]) -> None:
    """Never fight what is there: the releases the cluster already runs are not installed again, and what waited for
    them waits for nothing (the running release already serves it)."""
    skipped = sorted(r.key for r in out.releases if r.key in installed)
    out.releases = [r for r in out.releases if r.key not in installed]
    items: list[Any] = [*out.releases, *out.objects, *out.manifests]
    for item in items:
        item.after = [a for a in item.after if a not in installed]
    if skipped:
        out.notes.append(f"already on the cluster, not installed again: {', '.join(skipped)}")
