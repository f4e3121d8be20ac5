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
from dataclasses import dataclass, field
from typing import Any

from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

KEY = "aiinfra:placement"


@dataclass(frozen=True)
class Record:
    pool: str
    instance_type: str
    zone: str | None
    chosen: str  # the UTC day failover chose it, YYYY-MM-DD
    was: str  # where the pool failed: "<instance type> in <zone>"
    pinned_zone: str | None = None  # the pool's zone: and instance_type: as written when it was chosen
    pinned_type: str | None = None

    def where(self) -> str:
        return f"{self.instance_type} in zone {self.zone}" if self.zone else f"{self.instance_type} (zone left to the cloud)"

    def describe(self) -> str:
        return f"pool {self.pool}: {self.where()}, chosen by failover on {self.chosen} (instead of {self.was})"

    def as_dict(self) -> dict[str, Any]:
        return {"instance_type": self.instance_type, "zone": self.zone, "chosen": self.chosen, "was": self.was,
                "spec": {"zone": self.pinned_zone, "instance_type": self.pinned_type}}


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


def dumps(records: list[Record]) -> str:
    return json.dumps({r.pool: r.as_dict() for r in sorted(records, key=lambda r: r.pool)}, sort_keys=True)


def option_pool(env: ResolvedEnvironment, name: str, gpu: str) -> ResolvedPool | None:
    """Pool `name` resolved with `gpu` as its only accelerator and no zone pin; None where the region lacks it."""
    from aiinfra.problems import SpecError
    from aiinfra.resolve.resolver import resolve

    index = next(i for i, p in enumerate(env.spec.node_pools) if p.name == name)
    pools = list(env.spec.node_pools)
    pools[index] = pools[index].model_copy(update={"gpu": gpu, "zone": None})
    try:
        other = resolve(env.spec.model_copy(update={"node_pools": pools}))
    except SpecError:
        return None
    return next(p for p in other.worker_pools if p.name == name)


@dataclass
class Placed:
    """The environment with the records that hold applied; `used` and `ignored` (with why) say which."""

    env: ResolvedEnvironment
    spec_env: ResolvedEnvironment  # as the spec alone places every pool
    used: list[Record] = field(default_factory=list)
    ignored: list[tuple[Record, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)  # every record read, applied or not
    raw: Any = None  # the config value as read

    def kept(self) -> list[str]:
        return [f"{r.describe()}; kept from the stack's config" for r in self.used]

    def warnings(self) -> list[str]:
        return [f"pool {r.pool}: recorded {r.where()} ignored: {why}; the next successful `up` drops it" for r, why in self.ignored] + self.problems

    def lines(self) -> list[str]:
        return self.kept() + self.warnings()

    def as_dict(self) -> dict[str, Any]:
        return {"used": {r.pool: r.as_dict() for r in self.used},
                "ignored": {r.pool: {**r.as_dict(), "why": why} for r, why in self.ignored}, "problems": self.problems}


def _placed_pool(env: ResolvedEnvironment, record: Record) -> ResolvedPool | str:
    """The pool as the record places it, or why the spec no longer allows it."""
    from aiinfra import clouds

    pool = next((p for p in env.worker_pools if p.name == record.pool), None)
    written = next((p for p in env.spec.node_pools if p.name == record.pool), None)
    if pool is None or written is None:
        return "the spec has no such node pool any more"
    if (written.zone, written.instance_type) != (record.pinned_zone, record.pinned_type):
        now = ", ".join(f"{k}: {v}" for k, v in (("zone", written.zone), ("instance_type", written.instance_type)) if v) or "no pin"
        return f"the pool's zone/instance_type in the spec changed since (now {now}); the spec wins"
    if pool.reservation:
        return f"the pool now uses reservation {pool.reservation}, which decides where it runs"
    base = pool if pool.instance_type == record.instance_type else None
    for gpu in written.gpu_options if base is None else []:
        found = option_pool(env, record.pool, gpu)
        if found is not None and found.instance_type == record.instance_type:
            base = found
            break
    if base is None:
        return f"{record.instance_type} is no longer one of the pool's gpu: options offered in {env.spec.region}"
    usable = env.region_zones if clouds.get(env.spec.cloud).pool_zones == "region" else env.zones
    if record.zone is not None and (record.zone not in base.zones or record.zone not in usable):
        return f"zone {record.zone} does not offer {record.instance_type} to this environment's network"
    return dataclasses.replace(base, zone=record.zone)


def apply(env: ResolvedEnvironment, records: list[Record], problems: list[str] | None = None, skip: Any = ()) -> Placed:
    """The environment (as resolved from the spec) with each record that still holds applied to its pool; the
    pools in `skip` keep the spec's placement."""
    placed = Placed(env, env, problems=list(problems or []), records=list(records))
    pools = {p.name: p for p in env.pools}
    for record in records:
        if record.pool in skip:
            continue
        result = _placed_pool(env, record)
        if isinstance(result, str):
            placed.ignored.append((record, result))
            continue
        pools[record.pool] = result
        placed.used.append(record)
    if placed.used:
        placed.env = dataclasses.replace(env, pools=[pools[p.name] for p in env.pools])
    return placed


def from_config(env: ResolvedEnvironment, value: Any) -> Placed:
    records, problems = parse(value)
    placed = apply(env, records, problems)
    placed.raw = value
    return placed


def after_failover(placed: Placed, final: ResolvedEnvironment, was: dict[str, str], today: str) -> list[Record]:
    """The records to keep after a successful `up`: those that held, and a new one for each pool failover moved
    (`was`: where each moved pool first failed); a pool back at the spec's own placement needs none."""
    out = {r.pool: r for r in placed.used}
    start = {p.name: p for p in placed.env.pools}
    spec_own = {p.name: p for p in placed.spec_env.pools}
    for pool in final.pools:
        if pool.name in was and pool != start.get(pool.name):
            written = next(p for p in final.spec.node_pools if p.name == pool.name)
            out[pool.name] = Record(pool.name, pool.instance_type, pool.zone, today, was[pool.name], written.zone, written.instance_type)
        if pool == spec_own.get(pool.name):
            out.pop(pool.name, None)
    return list(out.values())

