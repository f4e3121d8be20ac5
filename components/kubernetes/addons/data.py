"""The data layer on the cluster: KubeRay for preprocessing, the file systems' and buckets' CSI drivers where they
are not the cloud's own add-ons, and a PersistentVolume + claim per file system and (with mount_buckets) bucket.

Each cloud's build() says which volumes exist and which chart or manifests their driver needs (BuiltEnvironment
.volumes / .storage_addons); this module turns that into objects, naming no cloud. Facts:
accelerators-capacity-data.md §5 and mlops-addons.md (KubeRay 1.7.0, namespace ray-system).
"""

from __future__ import annotations

from typing import Any, Mapping

from aiinfra.components.kubernetes.addons.model import KubeObject, Manifest, Plan, Release
from aiinfra.components.kubernetes.addons.monitoring import PROMETHEUS_RELEASE
from aiinfra.components.kubernetes.charts import chart_data
from aiinfra.resolve.result import ResolvedEnvironment

RAY_RELEASE = "kuberay-operator"


def kuberay_values(monitoring: bool) -> dict[str, Any]:
    """Over the chart's static values (charts.yaml): its ServiceMonitor where Prometheus runs."""
    return {"metrics": {"serviceMonitor": {"enabled": True, "additionalLabels": {"release": PROMETHEUS_RELEASE}}}} if monitoring else {}


def volume_objects(namespace: str, volumes: Mapping[str, Mapping[str, Any]]) -> list[KubeObject]:
    """A statically bound PersistentVolume and claim per volume: the claim names what the manifests mount."""
    out: list[KubeObject] = []
    for claim, v in sorted(volumes.items()):
        pv_name = f"{namespace}-{claim}"
        storage_class = v.get("storageClass", {}).get("metadata", {}).get("name", "")
        if v.get("storageClass"):
            out.append(KubeObject(f"sc-{claim}", dict(v["storageClass"])))
        csi = {"driver": v["driver"], "volumeHandle": v["volumeHandle"]}
        if v.get("volumeAttributes"):
            csi["volumeAttributes"] = v["volumeAttributes"]
        spec: dict[str, Any] = {
            "capacity": {"storage": v["capacity"]},
            "accessModes": ["ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": storage_class,
            "claimRef": {"namespace": namespace, "name": claim},
            "csi": csi,
        }
        if v.get("mountOptions"):
            spec["mountOptions"] = list(v["mountOptions"])
        after = [f"sc-{claim}"] if storage_class else []
        out.append(KubeObject(f"pv-{claim}", {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": pv_name}, "spec": spec}, after=after))
        claim_spec = {
            "accessModes": ["ReadWriteMany"],
            "storageClassName": storage_class,
            "volumeName": pv_name,
            "resources": {"requests": {"storage": v["capacity"]}},
        }
        out.append(
            KubeObject(
                f"pvc-{claim}",
                {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": claim, "namespace": namespace}, "spec": claim_spec},
                after=[f"pv-{claim}"],
            )
        )
    return out


def add_data_layer(
    env: ResolvedEnvironment, out: Plan, volumes: Mapping[str, Mapping[str, Any]], storage_addons: list[str], storage_objects: list[dict[str, Any]] | None = None
) -> None:
    """KubeRay, the cloud's storage drivers (a pinned chart or pinned manifests) and the volumes, into the plan."""
    m = env.mlops
    if m.data == "ray":
        out.releases.append(Release(RAY_RELEASE, kuberay_values(m.monitoring), after=["kube-prometheus-stack"] if m.monitoring else []))
    charts = chart_data().charts
    driver_keys = []
    for key in storage_addons:
        if key in charts:
            out.releases.append(Release(key))
            driver_keys.append(key)
        else:
            out.manifests.append(Manifest(key))
    objects = volume_objects(env.namespace, volumes)
    for o in objects:
        if o.kind == "PersistentVolume":
            o.after += driver_keys
    out.objects += objects
    for body in storage_objects or []:
        out.objects.append(KubeObject(f"job-{body['metadata']['name']}", body, after=[o.key for o in objects if o.kind == "PersistentVolumeClaim"]))
