"""KServe (with cert-manager) or the vLLM production stack; KEDA and its HTTP add-on where the served model scales to zero."""

from __future__ import annotations

from typing import Any

from aiinfra.components.kubernetes.addons.gpu import NVIDIA_RUNTIME_CLASS, gpu_stack
from aiinfra.resolve.result import ResolvedEnvironment


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


def istiod_values() -> dict[str, Any]:
    """Istio's Gateway reads InferencePools only with its inference extension on (off by default)."""
    return {"env": {"ENABLE_GATEWAY_API_INFERENCE_EXTENSION": "true"}}


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
