"""Energy and carbon of an environment beside its cost: kWh and kgCO2e per pool and in total, per hour and per
month, at minimum and maximum size.

Per node and hour: kWh = (accelerators × board W × u + CPU W + memory W) × PUE / 1000, with CPU W = vCPUs ×
(min + u × (max − min)) and memory W = GiB × W/GiB (data/energy.yaml, after Cloud Carbon Footprint), and
kgCO2e = kWh × the region's grid factor / 1000 (data/carbon.yaml). Location-based: the grid's yearly average where
the region is, not the providers' market-based renewable matching (which is ~0 everywhere and ranks nothing).
An accelerator with no published power, a type with unknown vCPUs or a region with no grid figure leaves the
figures it feeds None, never 0; totals are None while any part is unknown, and `unknown` says why.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator

from aiinfra import catalog
from aiinfra.catalog import carbon

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

BASIS = ("location-based: the region's yearly average grid carbon intensity (Electricity Maps), not the providers' "
         "market-based renewable matching")
EXCLUDES = "the control plane, storage, networking, provisioner fallback types and embodied (manufacturing) carbon"
ATTRIBUTION = "Grid factors: Electricity Maps yearly data (ODbL), aiinfra/catalog/data/carbon.yaml."

_UTILIZATION: ContextVar[float | None] = ContextVar("aiinfra_utilization", default=None)


@contextmanager
def default_utilization(u: float | None) -> Iterator[None]:
    """`--utilization`: the share used by every pool that does not set its own `utilization:`."""
    token = _UTILIZATION.set(u)
    try:
        yield
    finally:
        _UTILIZATION.reset(token)


def utilization_of(env: ResolvedEnvironment, pool: ResolvedPool) -> tuple[float, str]:
    """(share, where it comes from): the pool's own `utilization:`, else `--utilization`, else the data's default."""
    written = next((p.utilization for p in env.spec.node_pools if p.name == pool.name), None)
    if written is not None:
        return written, "pool"
    override = _UTILIZATION.get()
    if override is not None:
        return override, "--utilization"
    return carbon.energy().default_utilization, "default"


@dataclass(frozen=True)
class NodePower:
    """One node's draw at a utilisation; accelerator_w is None where the accelerator's power is unknown."""

    accelerators: int
    accelerator_w_each: float | None
    cpu_w: float | None
    memory_w: float
    utilization: float
    pue: float
    unknown: str | None = None

    @property
    def it_w(self) -> float | None:
        if self.unknown is not None:
            return None
        return (self.accelerators * (self.accelerator_w_each or 0.0) * self.utilization) + (self.cpu_w or 0.0) + self.memory_w

    @property
    def kwh_per_hour(self) -> float | None:
        it = self.it_w
        return None if it is None else it * self.pue / 1000


def node_power(cloud: str, region: str, pool: ResolvedPool, u: float) -> NodePower:
    data = carbon.energy()
    value, _, _ = carbon.pue(cloud, region)
    if value is None:
        return NodePower(0, None, None, 0.0, u, 1.0, f"{pool.name}: no PUE or CPU power figures for {cloud} (aiinfra/catalog/data/energy.yaml)")
    cpu = data.clouds[cloud].cpu_watts_per_vcpu
    count = pool.gpus_per_node if pool.gpu else 0
    each = carbon.accelerator_watts(pool.gpu) if pool.gpu else None
    unknown = None
    if pool.gpu and each is None:
        unknown = f"{pool.name}: no published board power for {pool.gpu} ({carbon.unknown_reason(pool.gpu)})"
    elif not pool.accelerator_known:
        unknown = f"{pool.name}: {pool.instance_type} is outside aiinfra's catalog, so its accelerators are unknown"
    elif not pool.vcpus:
        unknown = f"{pool.name}: the vCPUs of {pool.instance_type} are unknown"
    cpu_w = pool.vcpus * (cpu.min + u * (cpu.max - cpu.min)) if pool.vcpus else None
    return NodePower(count, each, cpu_w, pool.memory_gib * data.memory_watts_per_gib, u, value.pue, unknown)


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def _scaled(per_node: float | None, n: int, digits: int = 4) -> float | None:
    return None if per_node is None else round(per_node * n, digits)


def pool_row(env: ResolvedEnvironment, pool: ResolvedPool, factor: float | None) -> dict[str, Any]:
    u, origin = utilization_of(env, pool)
    power = node_power(env.spec.cloud, env.spec.region, pool, u)
    kwh = power.kwh_per_hour
    kg = None if kwh is None or factor is None else kwh * factor / 1000
    h = catalog.HOURS_PER_MONTH
    return {
        "name": pool.name,
        "utilization": u,
        "utilization_from": origin,
        "accelerators_per_node": power.accelerators,
        "accelerator_watts_each": power.accelerator_w_each,
        "cpu_watts_per_node": _r(power.cpu_w, 1),
        "memory_watts_per_node": round(power.memory_w, 1),
        "it_watts_per_node": _r(power.it_w, 1),
        "nodes_min": pool.nodes_min,
        "nodes_max": pool.nodes_max,
        "kwh_per_node_hour": _r(kwh, 4),
        "kgco2e_per_node_hour": _r(kg, 4),
        "kwh_per_hour_min": _scaled(kwh, pool.nodes_min),
        "kwh_per_hour_max": _scaled(kwh, pool.nodes_max),
        "kgco2e_per_hour_min": _scaled(kg, pool.nodes_min),
        "kgco2e_per_hour_max": _scaled(kg, pool.nodes_max),
        "kgco2e_per_month_min": _scaled(kg, pool.nodes_min * h, 2),
        "kgco2e_per_month_max": _scaled(kg, pool.nodes_max * h, 2),
        "unknown": power.unknown,
        "_kwh": kwh,
        "_kg": kg,
    }


def _total(rows: list[dict[str, Any]], key: str, size: str, hours: int, digits: int) -> float | None:
    values = [r[key] for r in rows]
    if any(v is None for v in values):
        return None
    return round(sum(v * r[f"nodes_{size}"] * hours for v, r in zip(values, rows)), digits)


def summary(env: ResolvedEnvironment) -> dict[str, Any]:
    """The `energy` section of `cost --json` and `preview --json`."""
    cloud, region = env.spec.cloud, env.spec.region
    figure = carbon.grid_factor(cloud, region)
    factor = figure.gco2e_per_kwh if figure else None
    pue, scope, pue_source = carbon.pue(cloud, region)
    rows = [pool_row(env, p, factor) for p in env.pools]
    h = catalog.HOURS_PER_MONTH
    unknown = [r["unknown"] for r in rows if r["unknown"]]
    if figure is None:
        unknown.append(f"{cloud} {region}: {carbon.grid().unknown.get(cloud, {}).get(region, 'no grid carbon figure in aiinfra/catalog/data/carbon.yaml')}")
    data: dict[str, Any] = {
        "basis": BASIS,
        "grid_gco2e_per_kwh": factor,
        "grid_year": figure.year if figure else None,
        "grid_zone": figure.zone if figure else None,
        "grid_source": carbon.grid_source(figure) if figure else None,
        "pue": pue.pue if pue else None,
        "pue_year": pue.year if pue else None,
        "pue_scope": scope,
        "pue_source": pue_source,
    }
    power = carbon.energy().clouds.get(cloud)
    g = carbon.google(region) if power is not None and power.own_grid_figures else None
    if g is not None:
        data.update(google_gco2e_per_kwh=g.gco2e_per_kwh, google_year=g.year, google_cfe_pct=g.cfe_pct, google_source=carbon.energy().google_source)
    for size in ("min", "max"):
        data[f"kwh_per_hour_{size}"] = _total(rows, "_kwh", size, 1, 4)
        data[f"kwh_per_month_{size}"] = _total(rows, "_kwh", size, h, 1)
        data[f"kgco2e_per_hour_{size}"] = _total(rows, "_kg", size, 1, 4)
        data[f"kgco2e_per_month_{size}"] = _total(rows, "_kg", size, h, 2)
    data["kgco2e_per_month_max_known"] = round(sum(r["_kg"] * r["nodes_max"] * h for r in rows if r["_kg"] is not None), 2)
    data["hours_per_month"] = h
    data["pools"] = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    data["unknown"] = unknown
    data["excludes"] = EXCLUDES
    data["attribution"] = ATTRIBUTION
    return data


OFFER_FIELDS = ("kwh_per_hour_max", "kgco2e_per_hour_min", "kgco2e_per_hour_max", "kgco2e_per_month_min", "kgco2e_per_month_max", "grid_gco2e_per_kwh")


def offer_fields(energy: dict[str, Any]) -> dict[str, Any]:
    """The energy columns of one `offers` row."""
    return {k: energy[k] for k in OFFER_FIELDS} | {"co2_unknown": energy["unknown"]}


def _price_there(cloud: str, region: str, pool: ResolvedPool) -> tuple[float | None, bool]:
    """(hourly price, whether it is the region's own figure) of the pool's type where the catalog offers it there."""
    it = catalog.cloud_catalog(cloud).instance_types.get(pool.instance_type)
    here = it.regions.get(region) if it else None
    if here is None:
        return None, False
    capacity = "spot" if pool.capacity == "spot" else "on-demand"
    own = getattr(here, "spot" if capacity == "spot" else "on_demand") is not None
    return catalog.price(cloud, pool.instance_type, region, capacity).hourly_usd, own


def lower_carbon_region(env: ResolvedEnvironment) -> dict[str, Any] | None:
    """The region of the same cloud with the lowest emissions at maximum size that offers every pool's instance
    type at a catalog price, with what the move saves and costs per month; None where none is lower."""
    from aiinfra.resolve.capacity import paid_nodes

    cloud, h = env.spec.cloud, catalog.HOURS_PER_MONTH
    here = summary(env)
    if here["kgco2e_per_month_max"] is None or any(p.hourly_usd_per_node is None for p in env.pools):
        return None
    best: dict[str, Any] | None = None
    for region in catalog.cloud_catalog(cloud).regions:
        figure = carbon.grid_factor(cloud, region)
        if region == env.spec.region or figure is None or figure.gco2e_per_kwh >= (here["grid_gco2e_per_kwh"] or 0):
            continue
        there = [_price_there(cloud, region, p) for p in env.pools]
        prices = [p for p, _ in there]
        if any(p is None for p in prices):
            continue
        kg = usd = 0.0
        for pool, price in zip(env.pools, prices):
            kwh = node_power(cloud, region, pool, utilization_of(env, pool)[0]).kwh_per_hour or 0.0
            kg += kwh * figure.gco2e_per_kwh / 1000 * pool.nodes_max * h
            usd += (price - (pool.hourly_usd_per_node or 0.0)) * paid_nodes(pool.capacity, pool.nodes_min, pool.nodes_max)[1] * h  # type: ignore[operator]
        if best is None or kg < best["kgco2e_per_month_max"]:
            best = {"region": region, "grid_gco2e_per_kwh": figure.gco2e_per_kwh, "kgco2e_per_month_max": round(kg, 2),
                    "kgco2e_per_month_saved": round(here["kgco2e_per_month_max"] - kg, 2), "monthly_usd_difference": round(usd, 2),
                    "priced_elsewhere": [p.name for p, (_, own) in zip(env.pools, there) if not own]}
    return best if best and best["kgco2e_per_month_saved"] > 0 else None


def amount(x: float | None, unit: str = "") -> str:
    """A kWh or kgCO2e figure as tables print it; None is "unknown", never 0."""
    if x is None:
        return "unknown"
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.1f}" if abs(x) >= 10 else f"{x:.2f}" if abs(x) >= 0.1 else f"{x:.3f}"
    return f"{text}{unit}"
