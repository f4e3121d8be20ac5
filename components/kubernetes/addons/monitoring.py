"""kube-prometheus-stack and the GPU dashboard."""

from __future__ import annotations

from importlib import resources

from aiinfra.components.kubernetes.addons.model import KubeObject
from aiinfra.components.kubernetes.charts import chart

PROMETHEUS_RELEASE = "kube-prometheus-stack"


GRAFANA_DASHBOARD_LABEL = ("grafana_dashboard", "1")  # kube-prometheus-stack grafana.sidecar.dashboards defaults


def dashboard_json() -> str:
    return resources.files("aiinfra.components.kubernetes").joinpath("gpu-dashboard.json").read_text(encoding="utf-8")


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
