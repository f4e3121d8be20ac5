"""KServe (with cert-manager) or the vLLM production stack; KEDA and its HTTP add-on where the served model scales to zero."""

from __future__ import annotations

from typing import Any

from aiinfra.components.kubernetes.addons.gpu import NVIDIA_RUNTIME_CLASS, gpu_stack
from aiinfra.resolve.result import ResolvedEnvironment


def vllm_values(env: ResolvedEnvironment) -> dict[str, Any]:
    """Over the chart's static values (charts.yaml: the router only): the `nvidia` RuntimeClass cleared where the
    node image runs GPUs without one."""
    return {} if NVIDIA_RUNTIME_CLASS[gpu_stack(env)] else {"servingEngineSpec": {"runtimeClassName": ""}}


def http_add_on_values(scale: dict[str, Any]) -> dict[str, Any]:
    """The interceptor holds a request from zero until a replica is ready: a GPU node and the model load take minutes."""
    return {"interceptor": {"readinessTimeout": scale["cold_start_timeout"]}}


SYSTEM_AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [{"key": "aiinfra.dev/role", "operator": "In", "values": ["system"]}]}]
        }
    }
}


def router_values(routing: dict[str, Any]) -> dict[str, Any]:
    """The llm-d router's endpoint picker, finding the model servers by the labels aiinfra's InferencePool selects
    (router.inferencePool.create: false: the pool is rendered with the workload), on the system pool."""
    return {
        "router": {
            "modelServers": {"matchLabels": dict(routing["selector"]), "targetPorts": [{"number": routing["port"]}]},
            "inferencePool": {"create": False},
            "epp": {"resources": routing["epp_resources"], "affinity": SYSTEM_AFFINITY},
        },
        "provider": {"name": routing["provider"]},
    }
