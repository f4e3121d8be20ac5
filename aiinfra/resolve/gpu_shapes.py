"""`gpu: {total: 16, models: [A100-80GB, H100]}` and `gpu: {per_node: 8, min_memory_gib: 80}`: the shape a region
offers for a request by what the GPUs add up to, chosen before the pool is resolved like any `MODEL:COUNT` pool.

The models are tried in the order written (without `models:`, every NVIDIA model with enough memory, smallest
memory first, so the least GPU that fits is preferred); the first model offered here wins, and among its shapes
(per-node counts the region's catalog types have that divide the total) the cheapest pool here wins, fewer nodes
on a tie. The choice and what it beat are said in the pool's reason, as for `gpu:` lists.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aiinfra import catalog
from aiinfra.problems import Problem, did_you_mean

if TYPE_CHECKING:
    from aiinfra.spec import EnvironmentSpec, NodePool


def models(query: Any) -> tuple[list[str], list[tuple[int, str]]]:
    """(the canonical models in order of preference, [(index, name)] of the names written that are no GPU)."""
    if query.models:
        found, unknown = [], []
        for i, name in enumerate(query.models):
            gpu = catalog.canonical_gpu(name)
            if gpu is None:
                unknown.append((i, name))
            elif gpu not in found and (query.min_memory_gib is None or catalog.gpus()[gpu].memory_gib >= query.min_memory_gib):
                found.append(gpu)
        return found, unknown
    fits = [g for g in catalog.gpus().values() if g.family == "nvidia" and g.memory_gib >= (query.min_memory_gib or 0)]
    return [g.name for g in sorted(fits, key=lambda g: (g.memory_gib, g.bf16_tflops or 0, g.name))], []


def _cheapest(cloud: str, region: str, gpu: str, count: int, capacity: str) -> float:
    cat = catalog.cloud_catalog(cloud)
    prices = [catalog.price(cloud, n, region, capacity).hourly_usd for n, it in cat.instance_types.items() if it.gpu == gpu and it.gpu_count == count and region in it.regions]
    known = [p for p in prices if p is not None]
    return min(known) if known else math.inf


def shape(cloud: str, region: str, pool: NodePool) -> tuple[int, str, int, int | None, str] | None:
    """(model index, model, GPUs per node, nodes or None to keep the pool's, why) of the shape chosen here, or None."""
    q = pool.gpu_query
    if q is None:
        return None
    names, _ = models(q)
    cat = catalog.cloud_catalog(cloud)
    for i, gpu in enumerate(names):
        counts = sorted({it.gpu_count for it in cat.instance_types.values() if it.gpu == gpu and region in it.regions}, reverse=True)
        counts = [c for c in counts if (q.per_node is None or c == q.per_node) and (q.total is None or q.total % c == 0)]
        if not counts:
            continue
        options = [(c, q.total // c if q.total else None) for c in counts]
        priced = sorted(options, key=lambda o: (_cheapest(cloud, region, gpu, o[0], pool.capacity) * (o[1] or pool.nodes_max), o[1] or 0))
        count, nodes = priced[0]
        why = f"gpu: {q} → {f'{nodes} × ' if nodes else ''}{gpu}:{count}"
        if i:
            why += f" ({', '.join(names[:i])} not offered here)"
        if len(priced) > 1:
            why += "; cheapest of the shapes here: " + ", ".join(f"{n} × {gpu}:{c}" for c, n in priced)
        return i, gpu, count, nodes, why
    return None


def concretize(spec: EnvironmentSpec) -> tuple[EnvironmentSpec, dict[str, str], list[Problem]]:
    """The spec with each `total:`/`per_node:` pool turned into the MODEL:COUNT (and nodes) its region offers,
    the reasons by pool name, and a problem for each such pool no shape here serves."""
    reasons: dict[str, str] = {}
    problems: list[Problem] = []
    pools = []
    for i, pool in enumerate(spec.node_pools):
        q = pool.gpu_query
        if q is None:
            pools.append(pool)
            continue
        path = f"node_pools[{i}].{pool.accelerator_field}"
        names, unknown = models(q)
        for j, name in unknown:
            problems.append(Problem(f"{path}.models[{j}]", f"{name!r} is not a GPU in aiinfra's catalog", did_you_mean(name, catalog.gpu_spellings()) or f"known GPUs: {', '.join(catalog.gpus())}", name))
        found = shape(spec.cloud, spec.region, pool) if not unknown else None
        if found is None:
            if not unknown:
                searched = ", ".join(names) or "no model"
                problems.append(Problem(path, f"no shape of gpu: {q} is offered in {spec.region} on {spec.cloud} (models searched: {searched})",
                                        "`aiinfra offers` lists the regions that have one; or widen models:, total: or min_memory_gib:", str(q)))
            pools.append(pool)
            continue
        _, gpu, count, nodes, why = found
        update: dict[str, Any] = {"gpu": f"{gpu}:{count}", "accelerator": None}
        if nodes is not None:
            update["nodes"] = nodes
        pools.append(pool.model_copy(update=update))
        reasons[pool.name] = why
    return (spec.model_copy(update={"node_pools": pools}) if reasons else spec), reasons, problems
