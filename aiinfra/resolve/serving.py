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
    """(min, max) served replicas: workload.replicas, else 1 up to one a device of the serving pool."""
    r = spec.workload.replicas
    if r is None:
        return 1, pool_replicas(pool)
    if isinstance(r, int):
        return r, r
    return r.min, r.max


def pool_replicas(pool: ResolvedPool) -> int:
    """The most replicas the pool holds: one a GPU (one a node on a CPU pool), at its maximum size."""
    return max(1, pool.nodes_max * max(1, pool.gpus_per_node))


def problems(spec: EnvironmentSpec, pool: ResolvedPool | None, autoscaler: str | None) -> list[Problem]:
    r = spec.workload.replicas
    if r is None or pool is None:
        return []
    lo, hi = replicas(spec, pool)
    out = []
    if hi > pool_replicas(pool):
        out.append(Problem("workload.replicas", f"{hi} replicas, but pool {pool.name} holds {pool_replicas(pool)} (one a GPU, "
                           f"{pool.nodes_max} nodes at most)", f"lower the max to {pool_replicas(pool)} or raise the pool's nodes max"))
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


def target(kind: str, name: str) -> dict[str, Any]:
    """The Deployment KEDA scales for the server `name` rendered as `kind` (deployment, kserve), and the annotations
    that hand it to KEDA."""
    stack = data()["stacks"].get(kind, data()["stacks"]["deployment"])
    return {"target": stack["target"].format(name=name), "annotations": dict(stack.get("annotations", {}))}


def plan(spec: EnvironmentSpec, name: str) -> dict[str, Any] | None:
    """What scales the server named `name` from zero (None unless replicas.min is 0): the target, the
    interceptor's and scalers' addresses, the target concurrency and idle time."""
    r = spec.workload.replicas
    if r is None or isinstance(r, int) or r.min > 0:
        return None
    d = data()
    return {
        **target(spec.mlops.serving, name),
        "charts": list(d["charts"]),
        "interceptor": d["interceptor"],
        "external_scaler": d["external_scaler"],
        "prometheus": d["prometheus"],
        "target_concurrency": d["target_concurrency"],
        "idle_seconds": d["idle_seconds"],
        "cold_start_timeout": d["cold_start_timeout"],
        "keda_on": d["clouds"][spec.cloud],
    }
