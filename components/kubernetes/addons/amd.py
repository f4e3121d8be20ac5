"""AMD Instinct on AKS: the AMD GPU operator (device plugin, node labeller, metrics exporter) on the AMD pools only.

Facts: accelerators-capacity-data.md §3.1-§3.2 (ROCm/gpu-operator v1.5.1 values, resource amd.com/gpu)."""

from __future__ import annotations

from typing import Any

from aiinfra.components.kubernetes.addons.model import accelerator_toleration, family_pools, family_selector, taint_tolerations
from aiinfra.components.kubernetes.addons.monitoring import PROMETHEUS_RELEASE
from aiinfra.resolve.result import ResolvedEnvironment

FAMILY = "amd"
RELEASE = "amd-gpu-operator"
# The DeviceConfig selects the node label aiinfra puts on AMD pools (components/base/gpu_pool.py node_labels; on an
# existing cluster the labels the nodes already carry: model.family_selector) instead of NFD's
# feature.node.kubernetes.io/amd-gpu, which matches physical functions only; whether ND MI300X v5 passes PFs
# or SR-IOV VFs to the guest is unverified (accelerators-capacity-data.md §3.2).
NOTE = (
    "AMD GPU operator: deviceConfig.spec.driver.enable stays false (the chart default), so MI300X nodes use the amdgpu "
    "driver of the AKS node image; whether AKS images ship it is unverified. If `kubectl get nodes -o yaml` shows no "
    "amd.com/gpu capacity, enable the operator's KMM driver build with an image repository you own"
)


def amd_operator_values(env: ResolvedEnvironment, monitoring: bool) -> dict[str, Any]:
    """Every DaemonSet of the operator tolerates the AMD taint (and the cloud's capacity taints on the AMD pools); the
    metrics exporter gets a ServiceMonitor where kube-prometheus-stack runs."""
    pools = family_pools(env, FAMILY)
    tolerations = [accelerator_toleration(pools[0]), *taint_tolerations(env, pools)] if pools else []
    nfd_defaults = [
        {"key": "amd-dcm", "operator": "Equal", "value": "up", "effect": "NoExecute"},
        {"key": "amd-gpu-unhealthy", "operator": "Exists", "effect": "NoSchedule"},
    ]
    exporter: dict[str, Any] = {"tolerations": tolerations}
    if monitoring:
        exporter["prometheus"] = {"serviceMonitor": {"enable": True, "labels": {"release": PROMETHEUS_RELEASE}}}
    return {
        "node-feature-discovery": {"worker": {"tolerations": [*nfd_defaults, *tolerations]}},
        "deviceConfig": {
            "spec": {
                # Helm merges maps: null drops the chart's NFD selector key so that only aiinfra's label selects.
                "selector": {"feature.node.kubernetes.io/amd-gpu": None, **family_selector(env, FAMILY)},
                "devicePlugin": {"devicePluginTolerations": tolerations, "nodeLabellerTolerations": tolerations},
                "metricsExporter": exporter,
            }
        },
    }
