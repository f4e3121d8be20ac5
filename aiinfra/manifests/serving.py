"""What the serving templates see: the server (the reference server, or vLLM serving workload.serve_model), one device
a replica or one replica across workload.serve_nodes nodes (a LeaderWorkerSet over the pool's fabric), and what scales
and routes to it. The engines and the multi-node layout are data: catalog/data/serving.yaml."""

from __future__ import annotations

import math
import shlex
from typing import Any

from aiinfra.manifests.claims import job_claims
from aiinfra.manifests.fabric import _wrap, pool_facts, security_contexts
from aiinfra.resolve import accelerators
from aiinfra.resolve import serving as serving_rules
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool, WorkloadPlan
from aiinfra.workloads.reference.command import SERVE_COMMAND, SERVE_PORT, serve_args

VLLM_ENTRY = ["python3", "-m", "vllm.entrypoints.openai.api_server"]
# Where vLLM downloads the model: an emptyDir of its own, as large as the node's disk allows (weights are the bulk).
MODEL_CACHE = "/models"
# A Hugging Face token for gated models, from a Secret the user creates (optional: open models need none).
HF_TOKEN_SECRET = "hf-token"
RAY_PORT = 6379


def accelerator_resource(pool: ResolvedPool) -> str:
    return pool.accelerator_resource or "nvidia.com/gpu"


def _probes(health: str, ready: str, port: Any, startup_failures: int = 120, period: int = 5) -> dict[str, Any]:
    return {
        "startupProbe": {"httpGet": {"path": health, "port": port}, "periodSeconds": period, "failureThreshold": startup_failures},
        "livenessProbe": {"httpGet": {"path": health, "port": port}, "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": ready, "port": port}, "periodSeconds": 5, "failureThreshold": 2},
    }


def _worker_probes(command: list[str], startup_seconds: int, period: int = 10) -> dict[str, Any]:
    """A multi-node group's worker: true while its raylet runs (catalog/data/serving.yaml multi_node.worker_probe)."""
    probe = {"exec": {"command": list(command)}, "timeoutSeconds": 5}
    return {
        "startupProbe": {**probe, "periodSeconds": period, "failureThreshold": math.ceil(startup_seconds / period)},
        "livenessProbe": {**probe, "periodSeconds": period, "failureThreshold": 3},
        "readinessProbe": {**probe, "periodSeconds": 5, "failureThreshold": 2},
    }


def _vllm_env() -> list[dict[str, Any]]:
    token = {"secretKeyRef": {"name": HF_TOKEN_SECRET, "key": "token", "optional": True}}
    return [{"name": "HF_HOME", "value": MODEL_CACHE}, {"name": "HF_TOKEN", "valueFrom": token}]


def _vllm_args(model: str, tensor: int, pipeline: int) -> list[str]:
    vllm = serving_rules.data()["engines"]["vllm"]
    args = ["--model", model, "--port", str(vllm["port"]), "--tensor-parallel-size", str(tensor)]
    if pipeline > 1:
        args += ["--pipeline-parallel-size", str(pipeline)]
    return args + list(vllm["args"])


def _per_device_share(facts: dict[str, Any], gpus: int) -> dict[str, str]:
    """A one-GPU vLLM replica's CPU and memory: its GPU's share of what the pool's pods may take of a node."""
    limits = facts["resources"]["limits"]
    cpu = max(1, math.floor(float(limits["cpu"]) / max(1, gpus)))
    memory = max(8, math.floor(float(limits["memory"].removesuffix("Gi")) / max(1, gpus)))
    return {"cpu": str(cpu), "memory": f"{memory}Gi"}


def multi_node(env: ResolvedEnvironment, wp: WorkloadPlan, facts: dict[str, Any], extra_env: list[dict[str, Any]]) -> dict[str, Any]:
    """The LeaderWorkerSet's two pods: each takes a whole node (its GPUs and fabric devices, as the training pods do),
    the leader runs the Ray head and vLLM's OpenAI server (tensor parallel = GPUs a node, pipeline parallel = nodes),
    each worker joins the head."""
    d = serving_rules.data()
    vllm, layout = d["engines"]["vllm"], d["multi_node"]
    assert wp.serve_nodes and env.spec.workload.serve_model
    args = _vllm_args(env.spec.workload.serve_model, wp.serve_pool.gpus_per_node, wp.serve_nodes)
    leader_sh = (f'bash {layout["script"]} leader --ray_cluster_size="$LWS_GROUP_SIZE" && '
                 f"exec {shlex.join(VLLM_ENTRY + args)}")
    worker_sh = f'exec bash {layout["script"]} worker --ray_address="$LWS_LEADER_ADDRESS"'
    env_vars = facts["env"] + extra_env + _vllm_env()
    volumes = [*facts["volumes"], {"name": "model-cache", "emptyDir": {}}]
    mounts = [*facts["mounts"], {"name": "model-cache", "mountPath": MODEL_CACHE}]

    def pod(role: str, script: str, probes: dict[str, Any]) -> dict[str, Any]:
        return {
            "component": "serving" if role == "leader" else "serving-worker",
            "command": _wrap(["/bin/sh", "-c", script], facts["env_script"]),
            "ports": [{"name": "http", "containerPort": vllm["port"], "protocol": "TCP"}] if role == "leader" else [],
            "probes": probes,
            "env": env_vars,
            "volumes": volumes,
            "mounts": mounts,
        }

    # A model of hundreds of GB loads for many minutes before /health answers: up to 30 minutes here.
    leader = pod("leader", leader_sh, _probes(vllm["health"], vllm["health"], "http", startup_failures=180, period=10))
    worker = pod("worker", worker_sh, _worker_probes(layout["worker_probe"], layout["worker_startup_seconds"]))
    pool = wp.serve_pool
    # The group's ComputeDomain and its IMEX channel on an NVLink pool, its GPU claims on a dra pool: as a training job's.
    claims = job_claims(f"{env.spec.name}-serve", pool)
    annotations = {}
    if pool.nvlink_domain is not None:
        annotations[layout["exclusive_topology_annotation"]] = layout["nvlink_topology_key"]
    return {
        **claims,
        "annotations": annotations,
        "size": wp.serve_nodes,
        "restart_policy": layout["restart_policy"],
        "api_version": layout["api_version"],
        "kind": layout["kind"],
        "tensor_parallel": wp.serve_pool.gpus_per_node,
        "pipeline_parallel": wp.serve_nodes,
        "ray_port": RAY_PORT,
        "leader": leader,
        "worker": worker,
    }


def serve_context(
    env: ResolvedEnvironment, wp: WorkloadPlan, serving: str, serve_image: str, checkpoint_url: str, extra_env: list[dict[str, Any]]
) -> dict[str, Any]:
    """The `serve` section of the render context."""
    spec = env.spec
    name = f"{spec.name}-serve"
    facts = pool_facts(spec.cloud, wp.serve_pool, accelerators.pod_facts(wp.serve_pool))
    pod_security, container_security = security_contexts()
    limits: dict[str, str] = {"cpu": "2", "memory": "8Gi"}
    vllm = wp.engine == "vllm"
    if vllm and wp.serve_pool.gpu:
        limits = _per_device_share(facts, wp.serve_pool.gpus_per_node)
    if wp.serve_pool.gpu:
        # One device, except where one process drives a whole node (TPU: all chips of the VM).
        whole = facts["procs_per_node"] == 1 and facts["family"] == "tpu"
        limits[accelerator_resource(wp.serve_pool)] = str(wp.serve_pool.gpus_per_node) if whole else "1"
    low, high = wp.replicas or (1, serving_rules.pool_replicas(wp.serve_pool, wp.serve_nodes))
    group = multi_node(env, wp, facts, extra_env) if wp.serve_nodes else None
    kserve = serving == "kserve" and group is None
    engine = serving_rules.data()["engines"]["vllm"]
    scale = wp.scale_to_zero
    return {
        "name": name,
        "engine": wp.engine,
        "image": engine["image"] if vllm else serve_image,
        "pool": facts,
        "command": list(VLLM_ENTRY if vllm else SERVE_COMMAND),
        "args": _vllm_args(spec.workload.serve_model or "", 1, 1) if vllm else serve_args(checkpoint_url),
        "extra_env": _vllm_env() if vllm else [],
        "port": engine["port"] if vllm else SERVE_PORT,
        "health_path": engine["health"] if vllm else "/healthz",
        "ready_path": engine["health"] if vllm else "/readyz",
        "resources": {"requests": dict(limits), "limits": dict(limits)},
        "min_replicas": low,
        "max_replicas": high,
        "scale_to_zero": {**scale, **serving_rules.target(serving, name, group is not None)} if scale else None,
        "multi_node": group,
        "routing": wp.routing,
        "workload_ref": {"apiVersion": group["api_version"], "kind": group["kind"], "name": name} if group
        else {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        # KServe names the predictor's Service and pods after the InferenceService (Standard mode).
        "service": f"{name}-predictor" if kserve else name,
        "pod_selector": {"serving.kserve.io/inferenceservice": name} if kserve
        else {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "serving"},
        # What the PodDisruptionBudget counts: a multi-node group's workers too (serving.yaml multi_node.pdb_selector_label).
        "pdb_selector": {serving_rules.data()["multi_node"]["pdb_selector_label"]: name} if group
        else {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "serving"},
        "port_name": "http1" if kserve else "http",
        "cpu_utilization": 70,
        "pod_security": pod_security,
        "container_security": container_security,
        "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "10Gi"}}] + ([{"name": "model-cache", "emptyDir": {}}] if vllm else []),
        "mounts": [{"name": "tmp", "mountPath": "/tmp"}] + ([{"name": "model-cache", "mountPath": MODEL_CACHE}] if vllm else []),
    }
