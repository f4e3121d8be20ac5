"""`aiinfra offers`: one environment priced on every cloud and region that can serve all its pools, cheapest first.

It runs offline from the catalog: each cloud/region is the spec with only `cloud` and `region` changed, resolved by
the same resolver as `validate` and priced by the same estimate as `cost`, so the spec's own row equals `cost`.

Pins are cloud- or region-specific, so on other clouds and regions they are translated, with a note saying so:
a zone (and a reservation, which lives in one zone) holds only where it was written; there the pool is priced
on-demand, which is what reserved capacity is billed at. On other clouds a pinned instance type becomes what it
has (its GPUs, or its vCPUs and memory) and each cloud's catalog picks the type; a pinned type aiinfra's catalog
does not list cannot be translated, so those clouds are reported as unserved with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

from aiinfra import catalog, clouds
from aiinfra.catalog import families
from aiinfra.problems import Problem, SpecError, did_you_mean
from aiinfra.resolve import ranking
from aiinfra.spec.gpu import GpuRequest

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment
    from aiinfra.spec import EnvironmentSpec, NodePool

POOL_FIELDS = ("name", "instance_type", "gpu", "gpus_per_node", "fabric", "nodes_min", "nodes_max", "capacity", "hourly_usd_per_node", "price_note", "price_origin")


def check_clouds(names: Iterable[str]) -> tuple[list[str], list[Problem]]:
    """The clouds asked for, in registry order, or problems naming the unknown ones with a did-you-mean."""
    known = clouds.names()
    asked = [n.strip() for n in names if n.strip()]
    problems = [
        Problem("--clouds", f"unknown cloud {n!r}", did_you_mean(n, known) or f"clouds: {clouds.choices()}", n) for n in asked if n not in known
    ]
    return [c for c in known if c in asked], problems


def _moved_pool(spec: EnvironmentSpec, i: int, pool: NodePool, cloud: str, region: str) -> tuple[NodePool | None, list[str], list[Problem]]:
    """The pool as it moves to cloud/region: pins that cannot hold there dropped (with notes), or a problem."""
    notes: list[str] = []
    update: dict[str, Any] = {}
    if pool.zone and (cloud, region) != (spec.cloud, spec.region):
        update["zone"] = None
        notes.append(f"{pool.name}: zone {pool.zone} holds in {spec.cloud} {spec.region} only; elsewhere the pool is not pinned to a zone")
    if pool.reservation and (cloud, region) != (spec.cloud, spec.region):
        update.update(reservation=None, capacity="on-demand")
        notes.append(f"{pool.name}: reservation {pool.reservation_id} is in {spec.cloud} {spec.region}; elsewhere priced on-demand (what reserved capacity is billed at)")
    if pool.capacity == "flex-start" and cloud != spec.cloud and not clouds.get(cloud).capabilities["flex_start"].supported:
        update.update(capacity="on-demand", queued=False)
        notes.append(f"{pool.name}: {clouds.get(cloud).display} has no flex-start capacity; priced on-demand there")
    if pool.instance_type and cloud != spec.cloud:
        it = catalog.cloud_catalog(spec.cloud).instance_types.get(pool.instance_type)
        family = families.lookup(spec.cloud, pool.instance_type) if it is None else None
        if family and family.count and not pool.gpu:
            update["gpu"] = str(GpuRequest(family.accelerator, family.count))
        elif it is None and not pool.gpu:
            problem = Problem(
                f"node_pools[{i}].instance_type",
                f"{pool.name} pins {pool.instance_type}, which aiinfra's {spec.cloud} catalog does not list, so its {cloud} equivalent is unknown",
                "also set gpu: (or cpus: and memory_gib:) so that offers can find the equivalent",
                pool.instance_type,
            )
            return None, notes, [problem]
        update.update(instance_type=None, price_per_hour=None)
        if pool.price_per_hour is not None:
            notes.append(f"{pool.name}: price_per_hour is the price of {pool.instance_type}; other clouds use their catalog's")
        if it is not None and not pool.gpu:
            if it.gpu:
                update["gpu"] = str(GpuRequest(it.gpu, it.gpu_count))
            else:
                update.update(cpus=pool.cpus or it.vcpus, memory_gib=pool.memory_gib or it.memory_gib)
        what = update.get("gpu") or ", ".join(pool.gpu_options) or f"≥ {update.get('cpus', pool.cpus)} vCPUs"
        notes.append(f"{pool.name}: instance_type {pool.instance_type} is a {spec.cloud} type; other clouds pick their own type with {what}")
    return (pool.model_copy(update=update) if update else pool), notes, []


def moved(spec: EnvironmentSpec, cloud: str, region: str) -> tuple[EnvironmentSpec | None, list[str], list[Problem]]:
    """The spec with only cloud and region changed (and pins translated); None with problems where a pin cannot move.
    Cloud sections (`gcp:`, `azure:`) stay as written: an account placeholder is fine offline."""
    pools, notes, problems = [], [], []
    for i, pool in enumerate(spec.node_pools):
        p, n, found = _moved_pool(spec, i, pool, cloud, region)
        notes += n
        problems += found
        pools.append(p)
    if problems:
        return None, notes, problems
    return spec.model_copy(update={"cloud": cloud, "region": region, "node_pools": pools}), notes, []


def _regional(cloud: str, region: str, p: dict[str, Any]) -> bool:
    """Whether the catalog has this region's own figure for the pool (else `catalog.price` used another region's)."""
    it = catalog.cloud_catalog(cloud).instance_types.get(p["instance_type"])
    here = it.regions.get(region) if it else None
    return here is not None and getattr(here, "spot" if p["capacity"] == "spot" else "on_demand") is not None


def _origin_kind(p: dict[str, Any]) -> str | None:
    origin = p["price_origin"]
    return origin.get("kind") if isinstance(origin, dict) else getattr(origin, "kind", None)


def _alternative(pool: NodePool | None, p: dict[str, Any]) -> int | None:
    """Which of the pool's `gpu:` alternatives (0 = the first) the resolved type serves, or which of a `total:`
    request's models; None for a CPU pool."""
    if pool is not None and pool.gpu_query is not None and p["gpu"]:
        from aiinfra.resolve import gpu_shapes

        names = gpu_shapes.models(pool.gpu_query)[0]
        return names.index(p["gpu"]) if p["gpu"] in names else 0
    if pool is None or not pool.gpu_options or not p["gpu"]:
        return None
    asked = [(catalog.canonical_gpu(g.model), g.count) for g in pool.gpu_requests]
    return asked.index((p["gpu"], p["gpus_per_node"])) if (p["gpu"], p["gpus_per_node"]) in asked else 0


def _alternatives_count(pool: NodePool | None) -> int:
    if pool is None:
        return 0
    if pool.gpu_query is not None:
        from aiinfra.resolve import gpu_shapes

        return len(gpu_shapes.models(pool.gpu_query)[0])
    return len(pool.gpu_options)


def _spot_per_node(cloud: str, region: str, p: dict[str, Any]) -> float | None:
    """The pool's node price on spot here; None where the catalog has no spot figure (or the type is not listed)."""
    if p["instance_type"] not in catalog.cloud_catalog(cloud).instance_types:
        return None
    spot = catalog.price(cloud, p["instance_type"], region, "spot")
    return spot.hourly_usd if spot.known and spot.basis is None else None


def _pool(cloud: str, region: str, p: dict[str, Any], written: NodePool | None = None) -> dict[str, Any]:
    """One pool of an offer: what the estimate says, plus which alternative it uses, its accelerators and memory."""
    it = catalog.cloud_catalog(cloud).instance_types.get(p["instance_type"])
    per_gpu = (it.gpu_memory_gib if it and it.gpu_memory_gib else catalog.gpus()[p["gpu"]].memory_gib) if p["gpu"] else None
    gpus_total = p["gpus_per_node"] * p["nodes_max"]
    return {
        **{k: p[k] for k in POOL_FIELDS},
        "regional_price": _regional(cloud, region, p),
        "alternative": _alternative(written, p),
        "alternatives": _alternatives_count(written),
        "shape": {"gpu": f"{p['gpu']}:{p['gpus_per_node']}", "nodes": p["nodes_max"]} if written is not None and written.gpu_query is not None and p["gpu"] else None,
        "gpus_total": gpus_total,
        "gpu_memory_gib": per_gpu,
        "accelerator_memory_gib_total": per_gpu * gpus_total if per_gpu else 0,
        "hourly_usd_spot_per_node": _spot_per_node(cloud, region, p) if p["name"] != "system" else None,
    }


def _spot_totals(cost: dict[str, Any], pools: list[dict[str, Any]]) -> dict[str, float]:
    """The totals with every pool the user wrote on spot where the catalog has a spot price (the system pool stays on-demand)."""
    lo, hi = cost["hourly_usd_min"], cost["hourly_usd_max"]
    for p in pools:
        spot, now = p["hourly_usd_spot_per_node"], p["hourly_usd_per_node"]
        if p["name"] == "system" or spot is None or now is None:
            continue
        lo += (spot - now) * p["nodes_min"]
        hi += (spot - now) * p["nodes_max"]
    return {
        "hourly_usd_spot_min": round(lo, 4),
        "hourly_usd_spot_max": round(hi, 4),
        "monthly_usd_spot_min": round(lo * catalog.HOURS_PER_MONTH, 2),
        "monthly_usd_spot_max": round(hi * catalog.HOURS_PER_MONTH, 2),
    }


def _pool_of(spec: EnvironmentSpec, path: str) -> str | None:
    """The name of the pool a problem's path is in (node_pools[1].gpu -> its name), None for the rest of the spec."""
    import re

    m = re.match(r"node_pools\[(\d+)\]", path)
    return spec.node_pools[int(m[1])].name if m and int(m[1]) < len(spec.node_pools) else None


def offer(env: ResolvedEnvironment, chosen: bool, notes: Sequence[str] = ()) -> dict[str, Any]:
    """One row: the environment on env's cloud and region, totals exactly as `cost` prints them."""
    from aiinfra.report.energy import offer_fields
    from aiinfra.report.preview import estimate

    data = estimate(env)
    cost = data["cost"]
    written = {p.name: p for p in (env.written_spec or env.spec).node_pools}
    pools = [_pool(env.spec.cloud, env.spec.region, p, written.get(p["name"])) for p in data["node_pools"]]
    reference = catalog.cloud_catalog(env.spec.cloud).reference_region
    priced_as = {
        p["name"]: reference for p in pools if p["name"] != "system" and p["hourly_usd_per_node"] is not None and not p["regional_price"] and _origin_kind(p) != "spec"
    }
    return {
        "cloud": env.spec.cloud,
        "region": env.spec.region,
        "hourly_usd_min": cost["hourly_usd_min"],
        "hourly_usd_max": cost["hourly_usd_max"],
        "monthly_usd_min": cost["monthly_usd_min"],
        "monthly_usd_max": cost["monthly_usd_max"],
        **_spot_totals(cost, pools),
        "preference": [p["alternative"] or 0 for p in pools if p["alternative"] is not None],
        "gpus_total": sum(p["gpus_total"] for p in pools),
        "pools": pools,
        "priced_elsewhere": [p["name"] for p in pools if p["hourly_usd_per_node"] is not None and not p["regional_price"] and _origin_kind(p) != "spec"],
        "priced_as": priced_as,
        "borrowed": bool(priced_as),
        "chosen": chosen,
        "unpriced": cost["unpriced"],
        "prices_as_of": cost["prices_as_of"],
        "freshness": cost["freshness"],
        "notes": list(notes),
        **offer_fields(data["energy"]),
    }


def offers(
    env: ResolvedEnvironment, only: Sequence[str] | None = None, source: str = "<spec>", sort: str = ranking.DEFAULT_SORT, include_borrowed: bool = False
) -> dict[str, Any]:
    """Every registered cloud's regions (or those of `only`), each served or not. `env` is the spec as written,
    already resolved (a spec that is not valid where it stands is the user's to fix first). `offers` is ranked by
    `sort` (ranking.SORT_KEYS); rows priced as another region are in `borrowed`, unranked, unless include_borrowed."""
    from aiinfra.resolve.resolver import resolve

    spec = env.written_spec or env.spec
    rows, unserved = [], []
    order: dict[tuple[str, str], int] = {}
    for cloud in only if only is not None else clouds.names():
        for region in catalog.cloud_catalog(cloud).regions:
            order[(cloud, region)] = len(order)
            if (cloud, region) == (spec.cloud, spec.region):
                rows.append(offer(env, True))
                continue
            there, notes, problems = moved(spec, cloud, region)
            if there is not None:
                try:
                    rows.append(offer(resolve(there, source), False, notes))
                    continue
                except SpecError as err:
                    problems = err.problems
            unserved.append({"cloud": cloud, "region": region, "problems": [{**p.as_dict(), "pool": _pool_of(spec, p.path)} for p in problems]})
    ranked, apart = ranking.split_borrowed(ranking.rank(rows, order, sort), include_borrowed)
    for n, row in enumerate(ranked + apart, 1):
        row["rank"] = n
    return {
        "environment": spec.name,
        "cloud": spec.cloud,
        "region": spec.region,
        "clouds": list(only if only is not None else clouds.names()),
        "hours_per_month": catalog.HOURS_PER_MONTH,
        "sort": sort,
        "offers": ranked,
        "borrowed": apart,
        "unserved": unserved,
        "warnings": [w.as_dict() for w in env.warnings],
    }
