"""`aiinfra up`'s failover, and the placement it records in the stack's config so that later runs keep a moved
pool where it runs (aiinfra.resolve.placement); preview and outputs show the record."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

RESET_HELP = "forget the placement failover recorded for this node pool (repeatable); the pool goes back to where the spec puts it"


def reader(reset: Sequence[str] = ()) -> Callable[[str], Any]:
    """What resolve() takes as the placement of environment `name`: the stack's recorded placements, except the pools
    in `reset`. A reset of a pool with no record is a usage error: exit 2, nothing deployed."""

    def read_recorded(name: str):
        from aiinfra.deploy.placement_config import read
        from aiinfra.resolve.placement import from_config

        recorded = from_config(read(name), skip=reset)
        names = {r.pool for r in recorded.records}
        unknown = [p for p in reset if p not in names]
        if unknown:
            from aiinfra.problems import Problem, SpecError

            have = ", ".join(sorted(names)) or "none"
            raise SpecError("--reset-placement", [Problem("--reset-placement", f"pool {p} has no recorded placement", f"recorded: {have}", value=p) for p in unknown])
        return recorded

    return read_recorded


def show(console, env, spec: Any, prefix: str = "placement: ") -> None:
    """The recorded placement resolve() applied to `env`: each record kept or ignored, and how to undo a kept one."""
    from aiinfra.resolve.placement import placement_of

    placed = placement_of(env)
    for line in placed.lines():
        console.print(f"{prefix}{line}", markup=False)
    if placed.used:
        pools = " ".join(f"--reset-placement {r.pool}" for r in placed.used)
        console.print(f"{prefix}`aiinfra up {spec} {pools}` moves it back to where the spec puts it", markup=False)


def json_field(env) -> dict[str, Any]:
    """The recorded placement as `preview --json` and `validate --json` show it: only where the stack's config has one."""
    from aiinfra.resolve.placement import placement_of

    placed = placement_of(env)
    return {"placement": placed.as_dict()} if placed.records or placed.problems else {}


def up_with_failover(t, c, failover: bool, live: Callable[..., Any]):
    """`pulumi up`; after a capacity error on a node pool, again with that pool on its next candidate, printing each
    try. Returns the outcome, the tries and the target of the last run."""
    from aiinfra.deploy import operations
    from aiinfra.deploy.failover import Failover

    tries = Failover(t.env)
    while True:
        with live("up", t, c) as log:
            outcome = operations.up(t, log)
        if outcome.ok or not failover:
            break
        shown = len(tries.lines)
        moved = tries.next(outcome.failures)
        for line in tries.lines[shown:]:
            c.print(f"failover: {line}", markup=False)
        if moved is None:
            break
        t = dataclasses.replace(t, env=moved)
    return outcome, tries, t


def remember(t, c, start, outcome, tries, spec: Any) -> None:
    """Write what the stack's config should now hold. After a successful `up`: the records that held plus one per
    pool failover moved (ignored and reset ones are dropped). After a failed one: only moved pools that did not
    fail again are added, so that a pool already running elsewhere is not moved back by the next run."""
    from aiinfra.catalog.freshness import today
    from aiinfra.deploy.failover import pool_of
    from aiinfra.deploy.placement_config import write
    from aiinfra.resolve.placement import KEY, after_failover, dumps, placement_of

    placed = placement_of(start)
    day = today().isoformat()
    if outcome.ok:
        records = after_failover(start, t.env, tries.was, day)
    else:
        failing = {p.name for urn, _ in outcome.failures if (p := pool_of(t.env, urn)) is not None}
        was = {name: where for name, where in tries.was.items() if name not in failing}
        if not was:
            return
        records = after_failover(start, t.env, was, day, used=tuple(r for r in placed.records if r.pool not in was))
    before = {r.pool: r for r in placed.records}
    current = None if placed.raw is None else "unreadable" if placed.problems else dumps(placed.records)
    if current == (dumps(records) if records else None):
        return
    write(t, records)
    for r in records:
        if before.get(r.pool) != r:
            c.print(f"placement: recorded in the stack's config ({KEY}): {r.describe()}; later runs keep the pool there", markup=False)
    for name in sorted(set(before) - {r.pool for r in records}):
        c.print(f"placement: dropped the record for pool {name} ({before[name].where()}); it follows the spec again", markup=False)
    moved = [r for r in records if before.get(r.pool) != r]
    if moved:
        pools = " ".join(f"--reset-placement {r.pool}" for r in moved)
        c.print(f"placement: `aiinfra up {spec} {pools}` moves it back to where the spec puts it", markup=False)
