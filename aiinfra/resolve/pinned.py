"""Pinned instance types that aiinfra's catalog lacks: used as written, with the accelerator, count and CPU
architecture their family says (catalog/data/instance_families.yaml), unpriced unless the spec gives the price."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Protocol

from aiinfra import catalog, clouds
from aiinfra.catalog import families
from aiinfra.problems import Problem, did_you_mean, shown
from aiinfra.resolve import accelerators
from aiinfra.resolve.capacity import pool_price, reservation_fields
from aiinfra.resolve.result import ResolvedPool
from aiinfra.spec.gpu import GpuRequest

if TYPE_CHECKING:
    from aiinfra.spec import EnvironmentSpec, NodePool


class Resolving(Protocol):
    """What this module reads and writes of the resolver working on one spec (aiinfra.resolve.resolver), stated
    here so that the two modules do not import each other."""

    spec: EnvironmentSpec
    cloud: str
    cat: Any
    problems: list[Problem]
    warnings: list[Problem]

    def problem(self, path: str, message: str, hint: str | None = None, value: object = None) -> None: ...


def _accelerator(r: Resolving, path: str, pool: NodePool, family: families.Match | None, guess: str | None) -> tuple[str | None, int] | None:
    """The pool's accelerator and count per node: the spec's gpu: (checked against the family), else the family's;
    None with a problem where they disagree or the family does not tell the count."""
    name = pool.instance_type or ""
    if pool.gpu:
        if len(pool.gpu_options) > 1:
            r.problem(f"{path}.{pool.accelerator_field}", f"{name} is not in aiinfra's catalog, so aiinfra cannot pick among GPU alternatives for it", "name the one GPU it has, e.g. gpu: H100:8", pool.gpu)
            return None
        raw, count = pool.gpu_requests[0].model, pool.gpu_requests[0].count
        gpu = catalog.canonical_gpu(raw)
        if gpu is None:
            r.problem(f"{path}.{pool.accelerator_field}", f"{shown(raw)} is not a GPU in aiinfra's catalog", f"known GPUs: {', '.join(catalog.gpus())}", pool.gpu)
            return None
        if family and (family.accelerator != gpu or family.count not in (None, count)):
            has = str(GpuRequest(family.accelerator, family.count)) if family.count else family.accelerator
            r.problem(f"{path}.instance_type", f"{name} has {has} ({family.cited}), but {pool.accelerator_field}: asks for {pool.gpu}",
                      f"drop {pool.accelerator_field}:, or set it to {has if family.count else has + ':N'}", name)
            return None
        return gpu, count
    if family is None:
        return None, 0
    if family.count is None:
        r.problem(f"{path}.instance_type", f"{name} is a {family.family} type ({family.accelerator}), but aiinfra's instance family table does not list this size, so its accelerator count is unknown",
                  (f"{guess} Or a" if guess else "A") + f"dd {pool.accelerator_field}: {family.accelerator}:N (the accelerators per node)", name)
        return None
    return family.accelerator, family.count


def _warning(path: str, pool: NodePool, family: families.Match | None, gpu: str | None, count: int, guess: str | None) -> Problem:
    name = pool.instance_type or ""
    priced = "priced from the spec (price_per_hour)" if pool.price_per_hour is not None else "unpriced (cost counts it as unknown, not $0; set price_per_hour)"
    if gpu is None:
        what = "its family is not in aiinfra's instance family table either, so it is treated as a CPU pool; add `gpu: MODEL:N` if it has accelerators"
    elif family is not None and not pool.gpu:
        arch = ", arm64 host" if family.architecture == families.ARM else ""
        what = f"its accelerators ({count} × {gpu}{arch}) come from {family.cited} (catalog/data/instance_families.yaml)" + (f"; {family.note}" if family.note else "")
    else:
        what = f"its {count} × {gpu} are as the spec says"
    hint = (f"{guess} Otherwise, c" if guess else "C") + "heck the name against the cloud's list of instance types"
    return Problem(f"{path}.instance_type", f"{name} is not in aiinfra's catalog: it is used as written, {priced}; {what}; its fabric and regional offer are not checked", hint, name)


def uncatalogued_pool(r: Resolving, path: str, pool: NodePool) -> ResolvedPool | None:
    """The pool on a type outside the catalog, or None with problems: a name the cloud cannot have, GPU
    alternatives aiinfra cannot check, a gpu: its family contradicts, or (GKE) an accelerator name aiinfra lacks."""
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
    family = families.lookup(r.cloud, name)
    found_gpu = _accelerator(r, path, pool, family, guess)
    if found_gpu is None:
        return None
    gpu, count = found_gpu
    accelerator_type = (family.accelerator_type if family else None) or catalog.uncatalogued(r.cloud, name, gpu, count).accelerator_type
    profile = clouds.get(r.cloud)
    if gpu and profile.accelerator_type_required and accelerator_type is None:
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
    r.warnings.append(_warning(path, pool, family, gpu, count, guess))
    p = pool_price(r.cloud, name, r.spec.region, pool)
    told = "as the spec says" if pool.gpu else f"from {family.cited}" if family else "accelerator unknown"
    return ResolvedPool(
        name=pool.name, instance_type=name, gpu=gpu, gpus_per_node=count,
        nodes_min=accel.pop("nodes_min", pool.nodes_min), nodes_max=accel.pop("nodes_max", pool.nodes_max),
        capacity=pool.capacity, fabric=None, hourly_usd_per_node=p.hourly_usd, price_origin=p.origin,
        price_note=p.note if p.known else f"unpriced: {name} is not in aiinfra's catalog; set price_per_hour",
        reason=f"pinned by instance_type (not in aiinfra's catalog; {told})", zone=pool.zone, **reservation_fields(pool),
        disk_gib=pool.disk_gib, labels=dict(pool.labels), accelerator_known=bool(gpu or family), dra=bool(pool.dra),
        **{**catalog.pool_facts(r.cat, r.spec.region, name, None, pool.capacity), "accelerator_type": accelerator_type},  # type: ignore[arg-type]
        **accel,
    )
