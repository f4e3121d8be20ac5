"""Offline preview: what an environment would create and what it would cost, with no credentials."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiinfra import catalog, program
from aiinfra.capacity import paid_nodes
from aiinfra.catalog import freshness
from aiinfra.program import SECRET_OUTPUTS, mock_settings, offered_zones  # noqa: F401  (mock_settings, offered_zones: old home)
from aiinfra.resolved import ResolvedEnvironment, ResolvedPool

if TYPE_CHECKING:  # the engine (asyncio, mocks) only for `preview`, not for `cost` and `validate`
    from aiinfra import engine
    from aiinfra.catalog.freshness import Origin



@dataclass(frozen=True)
class CostItem:
    item: str
    quantity_min: int
    quantity_max: int
    hourly_usd_each: float | None
    note: str | None = None
    origin: dict[str, Any] | None = None  # where the price came from (catalog.freshness.Origin.as_dict)

    @property
    def hourly_usd_min(self) -> float:
        return (self.hourly_usd_each or 0.0) * self.quantity_min

    @property
    def hourly_usd_max(self) -> float:
        return (self.hourly_usd_each or 0.0) * self.quantity_max

    def as_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "quantity_min": self.quantity_min,
            "quantity_max": self.quantity_max,
            "hourly_usd_each": self.hourly_usd_each,
            "hourly_usd_min": None if self.hourly_usd_each is None else round(self.hourly_usd_min, 4),
            "hourly_usd_max": None if self.hourly_usd_each is None else round(self.hourly_usd_max, 4),
            "note": self.note,
            "price_origin": self.origin,
        }


def price_origin(env: ResolvedEnvironment, pool: ResolvedPool) -> "Origin | None":
    """Where the pool's price came from (refreshed, snapshot or the spec), None for a type outside the catalog."""
    return pool.price_origin


def pool_cost(pool: ResolvedPool, origin: "Origin | None" = None) -> CostItem:
    """A reserved pool is billed for all its nodes whether they run or not (aiinfra.capacity.paid_nodes)."""
    kind = "capacity block" if pool.reservation_kind == "capacity-block" else pool.capacity
    label = f"pool {pool.name} ({pool.instance_type}, {kind})"
    lo, hi = paid_nodes(pool.capacity, pool.nodes_min, pool.nodes_max)
    return CostItem(label, lo, hi, pool.hourly_usd_per_node, pool.price_note, origin.as_dict() if origin else None)


def cost_items(env: ResolvedEnvironment, resources: list[engine.CapturedResource] | None = None) -> list[CostItem]:
    """Node pools from the resolved spec; fixed costs by counting the resources the program really creates
    or, with no resources (`cost`, which runs no program), the counts the spec implies."""
    items = [pool_cost(p, price_origin(env, p)) for p in env.pools]
    if resources is None:
        from aiinfra.fixed_costs import resource_counts

        counts = Counter(resource_counts(env))
    else:
        counts = Counter(r.type for r in resources)
    for fixed in catalog.cloud_catalog(env.spec.cloud).fixed_costs.values():
        n = counts.get(fixed.resource_type, 0)
        if n:
            origin = {"kind": "fixed", "source": fixed.source, "as_of": None}
            items.append(CostItem(fixed.label, n, n, fixed.hourly_usd, None if fixed.verified else "list price, unverified", origin))
    return items


def cost_summary(env: ResolvedEnvironment, items: list[CostItem]) -> dict[str, Any]:
    lo = sum(i.hourly_usd_min for i in items)
    hi = sum(i.hourly_usd_max for i in items)
    unpriced = [i.item for i in items if i.hourly_usd_each is None]
    excludes = "data transfer, storage volume, API requests, support plans, taxes"
    return {
        "hourly_usd_min": round(lo, 4),
        "hourly_usd_max": round(hi, 4),
        "monthly_usd_min": round(lo * catalog.HOURS_PER_MONTH, 2),
        "monthly_usd_max": round(hi * catalog.HOURS_PER_MONTH, 2),
        "hours_per_month": catalog.HOURS_PER_MONTH,
        "items": [i.as_dict() for i in items],
        "prices_as_of": catalog.prices_as_of(env.spec.cloud, [p.instance_type for p in env.pools]),
        "excludes": excludes + (f"; and the unpriced {', '.join(unpriced)}" if unpriced else ""),
        "unpriced": unpriced,
        "freshness": freshness.summary((p.name, price_origin(env, p)) for p in env.pools),
    }


def pool_dict(pool: ResolvedPool) -> dict[str, Any]:
    return {
        "name": pool.name,
        "instance_type": pool.instance_type,
        "gpu": pool.gpu,
        "gpus_per_node": pool.gpus_per_node,
        "nodes_min": pool.nodes_min,
        "nodes_max": pool.nodes_max,
        "capacity": pool.capacity,
        "fabric": pool.fabric.model_dump(include={"kind", "interfaces", "gbps", "verified"}) if pool.fabric else None,
        "hourly_usd_per_node": pool.hourly_usd_per_node,
        "price_note": pool.price_note,
        "reason": pool.reason,
        "system": pool.system,
        "vcpus": pool.vcpus,
        "memory_gib": pool.memory_gib,
        "notes": list(pool.fabric.notes) if pool.fabric else [],
    }


def run_offline(env: ResolvedEnvironment) -> engine.RunResult:
    """The environment's one program (aiinfra.program) under mocks."""
    return program.run_offline(env)


def _report(env: ResolvedEnvironment, items: list[CostItem], result: "engine.RunResult | None" = None) -> dict[str, Any]:
    """One shape for `cost` and `preview`; a program run adds its resources and outputs."""
    data: dict[str, Any] = {"environment": env.spec.name, "cloud": env.spec.cloud, "region": env.spec.region, "zones": env.zones}
    if result is not None:
        data["resources"] = [r.as_dict() for r in result.resources]
    data["node_pools"] = [{**pool_dict(p), "price_origin": (o.as_dict() if (o := price_origin(env, p)) else None)} for p in env.pools]
    data["cost"] = cost_summary(env, items)
    data["warnings"] = [w.as_dict() for w in env.warnings]
    if result is not None:
        data["outputs"] = {k: ("[secret]" if k in SECRET_OUTPUTS | result.secret_outputs else v) for k, v in result.outputs.items()}
    return data


def estimate(env: ResolvedEnvironment) -> dict[str, Any]:
    """What `cost` prints, from the resolved spec and the catalog alone: no Pulumi, no SDK imports."""
    return _report(env, cost_items(env))


def build(env: ResolvedEnvironment) -> dict[str, Any]:
    result = run_offline(env)
    return _report(env, cost_items(env, result.resources), result)
