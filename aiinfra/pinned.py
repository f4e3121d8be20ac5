"""Pinned instance types that aiinfra's catalog lacks: used as written, unpriced, with a warning saying so."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aiinfra import accelerators, catalog, clouds
from aiinfra.capacity import reservation_fields
from aiinfra.problems import Problem, did_you_mean, shown
from aiinfra.resolved import ResolvedPool

if TYPE_CHECKING:
    from aiinfra.resolve import _PoolResolver
    from aiinfra.spec import NodePool


def uncatalogued_pool(r: "_PoolResolver", path: str, pool: "NodePool") -> ResolvedPool | None:
    """The pool on a type outside the catalog, or None with problems: a name the cloud cannot have, GPU
    alternatives aiinfra cannot check, or (GKE) a GPU whose accelerator name aiinfra does not know."""
    name = pool.instance_type or ""
    guess = did_you_mean(name, r.cat.instance_types)
    if not re.match(r.cat.instance_type_pattern, name):
        r.problem(
            f"{path}.instance_type",
            f"{shown(name)} is not in aiinfra's catalog and does not look like a {r.cloud} instance type name (e.g. {r.cat.instance_type_example})",
            guess or "check the name against the cloud's list of instance types",
            name,
        )
        return None
    gpu, count = None, 0
    if pool.gpu:
        if len(pool.gpu_options) > 1:
            r.problem(f"{path}.{pool.accelerator_field}", f"{name} is not in aiinfra's catalog, so aiinfra cannot pick among GPU alternatives for it", "name the one GPU it has, e.g. gpu: H100:8", pool.gpu)
            return None
        raw, count = pool.gpu_requests[0].model, pool.gpu_requests[0].count
        gpu = catalog.canonical_gpu(raw)
        if gpu is None:
            r.problem(f"{path}.{pool.accelerator_field}", f"{shown(raw)} is not a GPU in aiinfra's catalog", f"known GPUs: {', '.join(catalog.gpus())}", pool.gpu)
            return None
        profile = clouds.get(r.cloud)
        if profile.accelerator_type_required and catalog.uncatalogued(r.cloud, name, gpu, count).accelerator_type is None:
            r.problem(
                f"{path}.instance_type",
                f"{profile.kubernetes} needs the accelerator name of {gpu}, and no {profile.display} type in aiinfra's catalog has {gpu} to take it from",
                f"pick a machine type from `aiinfra catalog --cloud {r.cloud}`",
                name,
            )
            return None
    accel, found = accelerators.pool_facts(r.cloud, path, pool, gpu, count)
    if found:
        r.problems += found
        return None
    r.warnings.append(
        Problem(
            f"{path}.instance_type",
            f"{name} is not in aiinfra's catalog: it is used as written, unpriced (cost counts it as unknown, not $0), "
            "and its fabric and regional offer are not checked",
            (f"{guess} Otherwise, c" if guess else "C") + "heck the name against the cloud's list of instance types",
            name,
        )
    )
    return ResolvedPool(
        name=pool.name, instance_type=name, gpu=gpu, gpus_per_node=count,
        nodes_min=accel.pop("nodes_min", pool.nodes_min), nodes_max=accel.pop("nodes_max", pool.nodes_max),
        capacity=pool.capacity, fabric=None, hourly_usd_per_node=None, price_note=f"unpriced: {name} is not in aiinfra's catalog",
        reason="pinned by instance_type (not in aiinfra's catalog)", zone=pool.zone, **reservation_fields(pool),
        disk_gib=pool.disk_gib, labels=dict(pool.labels),
        **{**catalog.pool_facts(r.cat, r.spec.region, name, None, pool.capacity), "accelerator_type": catalog.uncatalogued(r.cloud, name, gpu, count).accelerator_type},  # type: ignore[arg-type]
        **accel,
    )
