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
