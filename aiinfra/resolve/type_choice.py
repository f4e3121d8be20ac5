"""How the resolver picks one of several offered instance types for a pool, and the reason preview shows."""

from __future__ import annotations

from aiinfra import catalog
from aiinfra.resolve.capacity import money, pool_price
from aiinfra.spec import NodePool


def _price_key(cloud: str, region: str, capacity: str, name: str) -> tuple[int, float]:
    p = catalog.price(cloud, name, region, capacity)
    return (0, p.hourly_usd) if p.known and p.hourly_usd is not None else (1, 0.0)


def _fmt_price(p: catalog.Price, capacity: str) -> str:
    """A price as `cost` shows it: the capacity it is the rate of, and the spec's own figure said so."""
    if not p.known:
        return f"no {capacity} price"
    own = " from the spec" if p.origin and p.origin.kind == "spec" else ""
    return f"{money(p.hourly_usd)}/h {p.basis or capacity}{own}"


def choose(cloud: str, region: str, pool: NodePool, names: list[str], what: str) -> tuple[str, str]:
    """Pick one of several offered types and say why."""
    cat = catalog.cloud_catalog(cloud)
    cap = pool.capacity

    def fabric_gbps(n: str) -> int:
        f = cat.instance_types[n].fabric
        return f.gbps if f else 0

    gpu_count = cat.instance_types[names[0]].gpu_count
    wants_fabric = gpu_count == 8 and pool.nodes_max > 1
    if wants_fabric:
        ranked = sorted(names, key=lambda n: (-fabric_gbps(n), _price_key(cloud, region, cap, n), n))
    else:
        ranked = sorted(names, key=lambda n: (_price_key(cloud, region, cap, n), n))
    best = ranked[0]
    best_price = pool_price(cloud, best, region, pool)  # the figure `cost` uses
    if len(ranked) == 1:
        return best, f"the only {cloud} type with {what} in {region} ({_fmt_price(best_price, cap)})"
    runner = ranked[1]
    runner_price = catalog.price(cloud, runner, region, cap)
    if wants_fabric and fabric_gbps(best) > fabric_gbps(runner):
        f = cat.instance_types[best].fabric
        assert f is not None
        return best, (
            f"best fabric for a multi-node 8-GPU pool: {f.kind.upper()} {f.gbps} Gbps over {f.interfaces} interfaces "
            f"(next: {runner}, {fabric_gbps(runner)} Gbps)"
        )
    return best, (
        f"cheapest of {len(ranked)} {cloud} types with {what} in {region}: {_fmt_price(best_price, cap)} "
        f"(next: {runner} at {_fmt_price(runner_price, cap)})"
    )
