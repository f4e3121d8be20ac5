"""Which pools the reference workload runs on, and the checks on the spec's `workload:` section.

Rule: training runs on `workload.train_pool`, else on the GPU pool with the fastest fabric (then the
most GPUs per node); serving runs on `workload.serve_pool`, else on the GPU pool with the fewest GPUs
per node; without GPU pools both fall back to the first CPU pool. A fabric acceptance job is rendered
for the training pool and for every other pool that has a GPU fabric, so each fabric is proven once.
resolve() runs `decide()` once per spec and keeps the plan in ResolvedEnvironment.workload; nothing runs the
checks again. Kept free of heavy imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiinfra.problems import Problem, SpecError, did_you_mean
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool, WorkloadPlan

if TYPE_CHECKING:
    from aiinfra.spec import EnvironmentSpec

__all__ = ["WorkloadPlan", "checkpoint_bucket", "decide", "default_serve_pool", "default_train_pool", "plan", "problems", "train_model"]

DEFAULT_TRAIN_NODES = 2
CHECKPOINTS_BUCKET = "checkpoints"
CPU_MODEL = "tiny"  # the trainer's preset without an accelerator family's `train_model` (catalog/data/accelerators.yaml)


def _user_pools(pools: list[ResolvedPool]) -> list[ResolvedPool]:
    return [p for p in pools if not p.system]


def default_train_pool(pools: list[ResolvedPool]) -> ResolvedPool | None:
    gpu = [p for p in _user_pools(pools) if p.gpu]
    if gpu:
        return max(gpu, key=lambda p: (p.fabric.gbps if p.fabric else 0, p.gpus_per_node, -gpu.index(p)))
    cpu = _user_pools(pools)
    return cpu[0] if cpu else None


def default_serve_pool(pools: list[ResolvedPool]) -> ResolvedPool | None:
    gpu = [p for p in _user_pools(pools) if p.gpu]
    if gpu:
        return min(gpu, key=lambda p: (p.gpus_per_node, p.hourly_usd_per_node or 0.0, gpu.index(p)))
    cpu = _user_pools(pools)
    return cpu[0] if cpu else None


def problems(spec: EnvironmentSpec, pools: list[ResolvedPool]) -> list[Problem]:
    """Bad references in `workload:` are reported whether or not it is enabled; missing pieces only when enabled."""
    w = spec.workload
    out: list[Problem] = []
    names = [p.name for p in _user_pools(pools)]
    spec_names = [p.name for p in spec.node_pools]
    for field in ("train_pool", "serve_pool"):
        value = getattr(w, field)
        if value is not None and value not in spec_names:
            out.append(Problem(f"workload.{field}", f"no node pool named {value!r}", did_you_mean(value, spec_names) or f"pools: {', '.join(spec_names) or '(none)'}"))
    if w.checkpoint_bucket is not None and w.checkpoint_bucket not in spec.storage.buckets:
        out.append(
            Problem(
                "workload.checkpoint_bucket",
                f"{w.checkpoint_bucket!r} is not one of storage.buckets",
                did_you_mean(w.checkpoint_bucket, spec.storage.buckets) or "add it to storage.buckets",
            )
        )
    if w.checkpoint_every > w.steps:
        out.append(Problem("workload.checkpoint_every", f"checkpoint_every ({w.checkpoint_every}) is more than steps ({w.steps})", "no checkpoint would be written; lower it"))
    by_name = {p.name: p for p in pools}
    train = by_name.get(w.train_pool) if w.train_pool else default_train_pool(pools)
    if w.nodes is not None and train is not None and w.nodes > train.nodes_max:
        out.append(Problem("workload.nodes", f"{w.nodes} training nodes, but pool {train.name} grows to {train.nodes_max}", f"raise the pool's nodes max or set nodes: {train.nodes_max}"))
    if w.enabled:
        if not spec.storage.buckets:
            out.append(Problem("workload.enabled", "the workload needs a bucket for checkpoints", "add one under storage.buckets, e.g. [checkpoints]"))
        if not names and not spec_names:
            out.append(Problem("workload.enabled", "the workload needs a node pool to run on", "add a GPU pool under node_pools"))
        if spec.mlops.training == "none":
            out.append(Problem("mlops.training", "the workload's training job needs a training operator, and mlops.training is none", "set mlops.training: trainer (or jobset)"))
    return out


def _missing(spec: EnvironmentSpec, train: ResolvedPool | None, serve: ResolvedPool | None, found: list[Problem]) -> list[Problem]:
    """What a plan needs beyond valid references: a bucket and a pool (reported once, whether or not enabled)."""
    out = []
    if not spec.storage.buckets and not any(p.path == "workload.enabled" for p in found):
        out.append(Problem("storage.buckets", "the workload needs a bucket for checkpoints", "add one under storage.buckets, e.g. [checkpoints]"))
    if (train is None or serve is None) and not found and not out:
        out.append(Problem("node_pools", "the workload needs a node pool to run on", "add a GPU pool under node_pools"))
    return out


def decide(spec: EnvironmentSpec, pools: list[ResolvedPool], autoscaler: str | None = None) -> tuple[WorkloadPlan | None, list[Problem]]:
    """The spec's workload problems and, where the spec can carry one, its plan: run once, by resolve()
    (which passes the cluster's autoscaler, so a serving pool at zero nodes is checked to grow)."""
    from aiinfra.resolve import serving

    found = problems(spec, pools)
    w = spec.workload
    by_name = {p.name: p for p in pools}
    train = by_name.get(w.train_pool) if w.train_pool else default_train_pool(pools)
    serve = by_name.get(w.serve_pool) if w.serve_pool else default_serve_pool(pools)
    found += serving.problems(spec, serve, autoscaler)
    if found or _missing(spec, train, serve, found):
        return None, found
    assert train is not None and serve is not None
    # A multi-host TPU slice trains on all its hosts or not at all.
    nodes = w.nodes or (train.nodes_max if train.multi_host_slice else min(DEFAULT_TRAIN_NODES, max(1, train.nodes_max)))
    fabric_pools = [train] + [p for p in _user_pools(pools) if p.fabric and p is not train]
    replicas = serving.replicas(spec, serve) if w.replicas is not None else None
    scale = serving.plan(spec, f"{spec.name}-serve")
    return WorkloadPlan(
        train, serve, nodes, fabric_pools, checkpoint_bucket(spec), train_model(spec, train), replicas, scale,
        serve_nodes=w.serve_nodes, routing=serving.routing_plan(spec), engine=serving.engine(spec),
    ), found


def checkpoint_bucket(spec: EnvironmentSpec) -> str:
    """workload.checkpoint_bucket, else the bucket named `checkpoints`, else the first."""
    buckets = spec.storage.buckets
    return spec.workload.checkpoint_bucket or (CHECKPOINTS_BUCKET if CHECKPOINTS_BUCKET in buckets else buckets[0])


def train_model(spec: EnvironmentSpec, pool: ResolvedPool) -> str:
    """workload.model, else the preset the training pool's accelerator family trains (tiny on CPU pools)."""
    if spec.workload.model:
        return spec.workload.model
    if not pool.gpu or not pool.family:
        return CPU_MODEL
    from aiinfra.resolve import accelerators

    return accelerators.family(pool.family).train_model or CPU_MODEL


def plan(env: ResolvedEnvironment) -> WorkloadPlan:
    """The plan resolve() made. An environment without one (no bucket or pool, or one written by hand) is
    decided here; where none can be made, SpecError says what is missing."""
    if env.workload is not None:
        return env.workload
    wp, found = decide(env.spec, env.pools, env.autoscaler)
    if wp is not None:
        return wp
    w = env.spec.workload
    by_name = {p.name: p for p in env.pools}
    train = by_name.get(w.train_pool) if w.train_pool else default_train_pool(env.pools)
    serve = by_name.get(w.serve_pool) if w.serve_pool else default_serve_pool(env.pools)
    found = [Problem(p.path, p.message, p.hint) for p in found]
    raise SpecError(env.spec.name, found + _missing(env.spec, train, serve, found))
