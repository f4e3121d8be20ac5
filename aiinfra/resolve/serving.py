"""Scale to zero for the served model, from catalog/data/serving.yaml: what scales it (KEDA with its HTTP
add-on), which object each mlops.serving choice scales, and the spec checks. The resolver records the result in
WorkloadPlan.scale_to_zero; manifests and add-ons read it there."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec


@functools.lru_cache(maxsize=1)
def data() -> dict[str, Any]:
    from aiinfra.catalog import _read_yaml

    return _read_yaml("serving.yaml")


def replicas(spec: EnvironmentSpec, pool: ResolvedPool) -> tuple[int, int]:
    """(min, max) served replicas: workload.replicas, else 1 up to what the serving pool holds."""
    r = spec.workload.replicas
    if r is None:
        return 1, pool_replicas(pool, spec.workload.serve_nodes)
    if isinstance(r, int):
        return r, r
    return r.min, r.max


def pool_replicas(pool: ResolvedPool, serve_nodes: int | None = None) -> int:
    """The most replicas the pool holds at its maximum size: one a GPU (one a node on a CPU pool), or one a group of
    serve_nodes whole nodes; on an NVLink-domain pool one group a domain (the LeaderWorkerSet's exclusive placement,
    aiinfra.manifests.serving), counted in the smallest domain the pool may be made of."""
    if serve_nodes:
        groups = pool.nodes_max // serve_nodes
        if pool.nvlink_domain is not None:
            groups = min(groups, pool.nodes_max // pool.nvlink_domain.unit)
        return max(1, groups)
    return max(1, pool.nodes_max * max(1, pool.gpus_per_node))


def engine(spec: EnvironmentSpec) -> str:
    """vllm where workload.serve_model names a model, else the reference server."""
    return "vllm" if spec.workload.serve_model else "reference"


def multi_node_problems(spec: EnvironmentSpec, pool: ResolvedPool) -> list[Problem]:
    """workload.serve_nodes: a GPU pool of the families vLLM's image runs on, that grows to a whole group, and a model;
    workload.serve_model alone: a pool vLLM's image runs on."""
    n = spec.workload.serve_nodes
    d = data()["multi_node"]
    if n is None:
        if spec.workload.serve_model and (not pool.gpu or pool.family not in d["families"]):
            what = f"{pool.family} accelerators" if pool.gpu else "no GPUs"
            return [Problem("workload.serve_model", f"vLLM serves the model from its CUDA image, and pool {pool.name} has {what}",
                            f"serve on a pool of {', '.join(d['families'])} GPUs (workload.serve_pool), or leave serve_model out for the reference server")]
        return []
    out = []
    if not pool.gpu:
        out.append(Problem("workload.serve_nodes", f"{n} nodes a replica, but pool {pool.name} has no GPUs: tensor and pipeline "
                           "parallelism split a model over GPUs", "serve on a GPU pool (workload.serve_pool), or leave serve_nodes out"))
        return out
    if pool.family not in d["families"]:
        out.append(Problem("workload.serve_nodes", f"pool {pool.name} has {pool.family} accelerators, and the multi-node server "
                           f"runs vLLM's CUDA image ({', '.join(d['families'])} only)", "serve across nodes of an NVIDIA GPU pool"))
    domain = pool.nvlink_domain
    if domain is not None and n > domain.unit and n <= pool.nodes_max:
        sizes = " or ".join(str(x) for x in (domain.sizes or [domain.nodes]))
        out.append(Problem("workload.serve_nodes", f"{n} nodes a replica, but an NVLink domain of {pool.instance_type} is {sizes} "
                           f"nodes: the group's ComputeDomain (IMEX) reaches only inside one, so a larger group would split it",
                           f"set serve_nodes: {domain.unit} or less ({domain.unit * pool.gpus_per_node} GPUs over NVLink)", n))
    if domain is not None and not spec.mlops.gpu_operator:
        out.append(Problem("mlops.gpu_operator", f"each group of {n} nodes goes inside one NVLink domain of pool {pool.name} by the "
                           f"{d['nvlink_topology_key']} node label, which only {d['nvlink_topology_key_from']} sets: with "
                           "mlops.gpu_operator false no node carries it, so the group never schedules",
                           "set mlops.gpu_operator: true, or leave workload.serve_nodes out", False))
    if n > pool.nodes_max:
        out.append(Problem("workload.serve_nodes", f"{n} nodes a replica, but pool {pool.name} grows to {pool.nodes_max}",
                           f"set serve_nodes: {pool.nodes_max} or less, or raise the pool's nodes max to {n}"))
    if not spec.workload.serve_model:
        out.append(Problem("workload.serve_nodes", f"{n} nodes a replica run vLLM, which loads a model by name; the reference "
                           "checkpoint is served one device a replica", f"set workload.serve_model (e.g. {d['example_model']})"))
    if spec.mlops.serving == "none":
        out.append(Problem("workload.serve_nodes", "mlops.serving is none, so nothing is served", "set mlops.serving: kserve (or vllm)"))
    return out


def routing_problems(spec: EnvironmentSpec) -> list[Problem]:
    """mlops.routing: cache-aware scores vLLM's prefix cache, behind a Gateway that sends requests straight to the pods."""
    if spec.mlops.routing != "cache-aware":
        return []
    out = []
    if spec.mlops.serving == "none":
        out.append(Problem("mlops.routing", "cache-aware routing needs served replicas, and mlops.serving is none", "set mlops.serving: kserve (or vllm)"))
    if spec.workload.serve_model is None:
        out.append(Problem("mlops.routing", "cache-aware routing picks among vLLM replicas by their prefix cache and vLLM's "
                           "queue metrics, and the reference server is not vLLM", "set workload.serve_model, or mlops.routing: round-robin"))
    r = spec.workload.replicas
    if r is not None and not isinstance(r, int) and r.min == 0:
        out.append(Problem("workload.replicas.min", "min 0 (scale to zero) with cache-aware routing: the Gateway sends each "
                           "request straight to a pod of the InferencePool, never through KEDA's interceptor, so at zero replicas "
                           "nothing holds the first request or wakes a replica (the Gateway answers 503)",
                           "set replicas: {min: 1, ...}, or mlops.routing: round-robin to scale to zero"))
    return out


def problems(spec: EnvironmentSpec, pool: ResolvedPool | None, autoscaler: str | None) -> list[Problem]:
    out = routing_problems(spec) + (multi_node_problems(spec, pool) if pool is not None else [])
    r = spec.workload.replicas
    if r is None or pool is None:
        return out
    lo, hi = replicas(spec, pool)
    n = spec.workload.serve_nodes
    most = pool_replicas(pool, n)
    if hi > most and not (n and n > pool.nodes_max):
        each = (f"{n} nodes each, one group an NVLink domain" if pool.nvlink_domain is not None else f"{n} nodes each") if n else "one a GPU"
        out.append(Problem("workload.replicas", f"{hi} replicas, but pool {pool.name} holds {most} ({each}, "
                           f"{pool.nodes_max} nodes at most)", f"lower the max to {most} or raise the pool's nodes max"))
    if lo > 0:
        return out
    stack = data()["stacks"][spec.mlops.serving if spec.mlops.serving in data()["stacks"] else "deployment"]
    if "unsupported" in stack:
        out.append(Problem("workload.replicas.min", f"min 0 (scale to zero) needs a serving stack: {stack['unsupported']}", stack["hint"]))
    if not spec.mlops.monitoring:
        out.append(Problem("workload.replicas.min", "min 0 scales on the server's queue depth in Prometheus, and mlops.monitoring is off",
                           "set mlops.monitoring: true, or replicas: {min: 1, ...}"))
    if pool.nodes_min > 0:
        out.append(Problem("workload.replicas.min", f"min 0 (scale to zero), but pool {pool.name} keeps {pool.nodes_min} node(s) "
                           "(nodes.min), so an idle model still pays for them", f"set the pool's nodes: {{min: 0, max: {pool.nodes_max}}}"))
    elif autoscaler == "none" and pool.nodes_max > 0:
        out.append(Problem("workload.replicas.min", f"pool {pool.name} starts at 0 nodes and cluster.autoscaling is none: "
                           "a replica scaled up from zero would find no node", "set cluster.autoscaling: auto"))
    return out


def target(kind: str, name: str, multi_node: bool = False) -> dict[str, Any]:
    """What KEDA scales for the server `name` rendered as `kind` (deployment, kserve): a Deployment, or the
    LeaderWorkerSet of a multi-node server; and the annotations that hand it to KEDA."""
    if multi_node:
        d = data()["multi_node"]
        return {"target": name, "target_ref": {"apiVersion": d["api_version"], "kind": d["kind"], "name": name}, "annotations": {}}
    stack = data()["stacks"].get(kind, data()["stacks"]["deployment"])
    target = stack["target"].format(name=name)
    return {"target": target, "target_ref": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target}, "annotations": dict(stack.get("annotations", {}))}


def plan(spec: EnvironmentSpec, name: str) -> dict[str, Any] | None:
    """What scales the server named `name` from zero (None unless replicas.min is 0): the target, the
    interceptor's and scalers' addresses, the target concurrency and idle time."""
    r = spec.workload.replicas
    if r is None or isinstance(r, int) or r.min > 0:
        return None
    d = data()
    return {
        **target(spec.mlops.serving, name, bool(spec.workload.serve_nodes)),
        "queue_metrics": list(d["engines"][engine(spec)]["queue_metrics"]),
        "charts": list(d["charts"]),
        "interceptor": d["interceptor"],
        "external_scaler": d["external_scaler"],
        "prometheus": d["prometheus"],
        "target_concurrency": d["target_concurrency"],
        "idle_seconds": d["idle_seconds"],
        "cold_start_timeout": d["cold_start_timeout"],
        "keda_on": d["clouds"][spec.cloud],
    }


def routing_plan(spec: EnvironmentSpec) -> dict[str, Any] | None:
    """What cache-aware routing installs and renders (None for round-robin): the cloud's own Gateway where its facts
    name one (components/<cloud>/facts.py inference_gateway), else the upstream one from serving.yaml."""
    if spec.mlops.routing != "cache-aware":
        return None
    from aiinfra import clouds

    d = {**data()["routing"], "engines": data()["engines"]}
    gateway = dict(clouds.facts(spec.cloud).inference_gateway or d["upstream"])
    minor = int(spec.cluster.kubernetes_version.split(".")[1])
    builtin = gateway.get("crd_builtin_from")
    manifests = [m for m in gateway["manifests"] if not (m == "inference-extension-crds" and builtin and minor >= int(builtin.split(".")[1]))]
    release = d["router"]
    name = f"{spec.name}-serve"
    # The replicas' pod labels (manifests.serving.serve_context's pod_selector): KServe's predictor pods carry its own.
    kserve = spec.mlops.serving == "kserve" and not spec.workload.serve_nodes
    selector = {"serving.kserve.io/inferenceservice": name} if kserve else {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "serving"}
    return {
        "selector": selector,
        "port": d["engines"]["vllm"]["port"],
        "release": release,
        "pool": release,
        "epp": f"{release}-epp",
        "epp_port": d["epp_port"],
        "failure_mode": d["failure_mode"],
        "gateway": d["gateway"],
        "listener_port": d["listener_port"],
        "request_timeout": d["request_timeout"] if gateway["request_timeout"] else None,
        "epp_resources": d["epp_resources"],
        "gateway_class": gateway["gateway_class"],
        "provider": gateway["provider"],
        "charts": list(gateway["charts"]),
        "manifests": manifests,
        "annotations": dict(gateway["annotations"]),
        "why": gateway["why"],
    }
