"""Where failover put a node pool, remembered in the stack's config (`aiinfra:placement`), so that every later run
of the program (`aiinfra up`, `pulumi up -s`, `aiinfra preview`) builds the pool there again instead of moving it
back to where the cloud was out of capacity, which would replace a working node pool.

A record holds while the spec still allows it: the pool exists, its `zone:` / `instance_type:` are still the ones
the failover moved away from (a pin written or changed since wins), the instance type is one of its `gpu:` options
offered in the region, and the zone offers that type. Otherwise it is ignored, with the reason, and the next
successful `up` drops it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

from aiinfra.resolve.result import Placement, Record, Recorded, ResolvedEnvironment, ResolvedPool

if TYPE_CHECKING:
    from aiinfra.spec import EnvironmentSpec

KEY = "aiinfra:placement"


def parse(value: Any) -> tuple[list[Record], list[str]]:
    """The records of a config value (JSON text or the object itself); what is not in this shape is reported, not fatal."""
    if value in (None, ""):
        return [], []
    try:
        data = json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError as exc:
        return [], [f"{KEY} is not JSON ({exc.msg}); ignored"]
    if not isinstance(data, dict):
        return [], [f"{KEY} should map pool names to placements; ignored"]
    records, problems = [], []
    for pool, item in data.items():
        try:
            spec = item.get("spec") or {}
            records.append(Record(str(pool), str(item["instance_type"]), item.get("zone"), str(item.get("chosen", "?")),
                                  str(item.get("was", "?")), spec.get("zone"), spec.get("instance_type")))
        except (AttributeError, KeyError, TypeError):
            problems.append(f"{KEY}: the entry for pool {pool} has no instance_type; ignored")
    return records, problems


def from_config(value: Any, skip: Any = ()) -> Recorded:
    """The stack config's value as resolve() takes it; the pools in `skip` keep the spec's placement."""
    records, problems = parse(value)
    return Recorded(tuple(records), tuple(problems), value, frozenset(skip))


def dumps(records: Sequence[Record]) -> str:
    return json.dumps({r.pool: r.as_dict() for r in sorted(records, key=lambda r: r.pool)}, sort_keys=True)


Resolve = Callable[["EnvironmentSpec"], ResolvedEnvironment]


def option_pool(env: ResolvedEnvironment, name: str, gpu: str, resolve: Resolve) -> ResolvedPool | None:
    """Pool `name` resolved (by `resolve`, the resolver's, passed in so that this module stays below it) with `gpu`
    as its only accelerator and no zone pin; None where the region lacks it."""
    return _option_pool(env.spec, name, gpu, resolve)


def _option_pool(spec: EnvironmentSpec, name: str, gpu: str, resolve: Resolve) -> ResolvedPool | None:
    from aiinfra.problems import SpecError

    index = next(i for i, p in enumerate(spec.node_pools) if p.name == name)
    pools = list(spec.node_pools)
    pools[index] = pools[index].model_copy(update={"gpu": gpu, "zone": None})
    try:
        other = resolve(spec.model_copy(update={"node_pools": pools}))
    except SpecError:
        return None
    return next(p for p in other.worker_pools if p.name == name)


def placement_of(env: ResolvedEnvironment) -> Placement:
    """The placement `resolve()` applied to `env`; an environment resolved without a record has none."""
    found = env.placement
    return found if isinstance(found, Placement) else Placement(Recorded(), spec_pools=tuple(env.pools))


@dataclass(frozen=True)
class _Where:
    """What a record is checked against: the spec, its pools as the spec places them, and the zones they may use."""

    spec: EnvironmentSpec
    pools: list[ResolvedPool]
    zones: list[str]  # the network's
    region_zones: list[str]
    resolve: Resolve


def _placed_pool(at: _Where, record: Record) -> ResolvedPool | str:
    """The pool as the record places it, or why the spec no longer allows it."""
    from aiinfra import clouds

    pool = next((p for p in at.pools if p.name == record.pool and not p.system), None)
    written = next((p for p in at.spec.node_pools if p.name == record.pool), None)
    if pool is None or written is None:
        return "the spec has no such node pool any more"
    if (written.zone, written.instance_type) != (record.pinned_zone, record.pinned_type):
        now = ", ".join(f"{k}: {v}" for k, v in (("zone", written.zone), ("instance_type", written.instance_type)) if v) or "no pin"
        return f"the pool's zone/instance_type in the spec changed since (now {now}); the spec wins"
    if pool.reservation:
        return f"the pool now uses reservation {pool.reservation}, which decides where it runs"
    base = pool if pool.instance_type == record.instance_type else None
    for gpu in written.gpu_options if base is None else []:
        found = _option_pool(at.spec, record.pool, gpu, at.resolve)
        if found is not None and found.instance_type == record.instance_type:
            base = found
            break
    if base is None:
        return f"{record.instance_type} is no longer one of the pool's gpu: options offered in {at.spec.region}"
    usable = at.region_zones if clouds.get(at.spec.cloud).pool_zones == "region" else at.zones
    if record.zone is not None and (record.zone not in base.zones or record.zone not in usable):
        return f"zone {record.zone} does not offer {record.instance_type} to this environment's network"
    return dataclasses.replace(base, zone=record.zone)


def apply(spec: EnvironmentSpec, pools: list[ResolvedPool], zones: list[str], region_zones: list[str],
          recorded: Recorded | None, resolve: Resolve) -> tuple[list[ResolvedPool], Placement | None]:
    """The pools (as resolved from the spec) with each record that still holds applied, and how; the pools in
    `recorded.skip` keep the spec's placement. resolve() calls it before it plans anything on the pools (the
    workload, the driver, the components' checks), so that they see the pools where they run."""
    if recorded is None:
        return pools, None
    at = _Where(spec, pools, zones, region_zones, resolve)
    placed = {p.name: p for p in pools}
    used: list[Record] = []
    ignored: list[tuple[Record, str]] = []
    for record in recorded.records:
        if record.pool in recorded.skip:
            continue
        result = _placed_pool(at, record)
        if isinstance(result, str):
            ignored.append((record, result))
            continue
        placed[record.pool] = result
        used.append(record)
    return [placed[p.name] for p in pools], Placement(recorded, tuple(used), tuple(ignored), tuple(pools))


def after_failover(start: ResolvedEnvironment, final: ResolvedEnvironment, was: dict[str, str], today: str,
                   used: tuple[Record, ...] | None = None) -> list[Record]:
    """The records to keep after a successful `up` of `start` (as resolve() placed it): those that held (or `used`),
    and a new one for each pool failover moved (`was`: where each moved pool first failed); a pool back at the
    spec's own placement needs none."""
    placed = placement_of(start)
    out = {r.pool: r for r in (placed.used if used is None else used)}
    begin = {p.name: p for p in start.pools}
    spec_own = {p.name: p for p in placed.spec_pools}
    for pool in final.pools:
        if pool.name in was and pool != begin.get(pool.name):
            written = next(p for p in final.spec.node_pools if p.name == pool.name)
            out[pool.name] = Record(pool.name, pool.instance_type, pool.zone, today, was[pool.name], written.zone, written.instance_type)
        if pool == spec_own.get(pool.name):
            out.pop(pool.name, None)
    return list(out.values())
