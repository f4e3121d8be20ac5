"""AWS Neuron (Trainium, Inferentia) on EKS: the Neuron device plugin and scheduler extension from the Neuron Helm
chart, and a neuron-monitor DaemonSet that Prometheus scrapes. Only where a pool has Neuron devices.

Facts: accelerators-capacity-data.md §2.2-§2.5 (chart defaults, ai-on-eks values, resource names)."""

from __future__ import annotations

from typing import Any

from aiinfra.components.kubernetes.addons.model import KubeObject, accelerator_toleration, family_pools, family_selector, taint_tolerations
from aiinfra.components.kubernetes.addons.monitoring import PROMETHEUS_RELEASE
from aiinfra.resolve.result import ResolvedEnvironment

FAMILY = "neuron"
RELEASE = "neuron-helm-chart"
MONITOR_PORT = 8000
MONITOR_NAMESPACE = "kube-system"


def neuron_values(env: ResolvedEnvironment) -> dict[str, Any]:
    """Over the chart's static values (charts.yaml): the chart's device plugin already tolerates
    aws.amazon.com/neuron; the cloud's capacity taints on the Neuron pools are added to its list."""
    values: dict[str, Any] = {}
    extra = taint_tolerations(env, family_pools(env, FAMILY))
    if extra:
        chart_defaults = [
            {"key": "CriticalAddonsOnly", "operator": "Exists"},
            {"key": "aws.amazon.com/neuron", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "sagemaker.amazonaws.com/node-health-status", "operator": "Equal", "value": "Unschedulable", "effect": "NoSchedule"},
        ]
        values["devicePlugin"] = {"tolerations": [*chart_defaults, *extra]}
    return values


def monitor_objects(env: ResolvedEnvironment, image: str, monitoring: bool) -> list[KubeObject]:
    """neuron-monitor piped into its Prometheus exporter on every Neuron node (Neuron tools in the Neuron DLC image;
    the pipeline is the Neuron docs' neuron-monitor-prometheus.py usage, unverified on EKS here), and a PodMonitor."""
    pools = family_pools(env, FAMILY)
    if not pools or not monitoring:
        return []
    labels = {"app.kubernetes.io/name": "neuron-monitor", "app.kubernetes.io/part-of": "aiinfra"}
    tolerations = [accelerator_toleration(pools[0]), *taint_tolerations(env, pools)]
    daemonset = {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "neuron-monitor", "namespace": MONITOR_NAMESPACE, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "nodeSelector": family_selector(env, FAMILY),
                    "tolerations": tolerations,
                    "containers": [
                        {
                            "name": "neuron-monitor",
                            "image": image,
                            "command": ["/bin/sh", "-c", f"neuron-monitor | neuron-monitor-prometheus.py --port {MONITOR_PORT}"],
                            "ports": [{"name": "metrics", "containerPort": MONITOR_PORT}],
                            # Reads every Neuron device of the node.
                            "securityContext": {"privileged": True},
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}},
                        }
                    ],
                },
            },
        },
    }
    pod_monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "neuron-monitor", "namespace": MONITOR_NAMESPACE, "labels": {"release": PROMETHEUS_RELEASE}},
        "spec": {"selector": {"matchLabels": labels}, "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}]},
    }
    return [KubeObject("neuron-monitor", daemonset, [RELEASE]), KubeObject("neuron-monitor-scrape", pod_monitor, ["kube-prometheus-stack", "neuron-monitor"])]
