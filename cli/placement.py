"""`aiinfra up`'s failover, and the placement it records in the stack's config so that later runs keep a moved
pool where it runs (aiinfra.resolve.placement); preview and outputs show the record."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

RESET_HELP = "forget the placement failover recorded for this node pool (repeatable); the pool goes back to where the spec puts it"


def recorded(env, reset: Sequence[str] = ()):
    """The environment with the stack's recorded placements applied (except the pools in `reset`). A reset of a
    pool with no record is a usage error: exit 2, nothing deployed."""
    from aiinfra.deploy.placement_config import read
    from aiinfra.resolve.placement import apply, parse

    raw = read(env.spec.name)
    records, problems = parse(raw)
    names = {r.pool for r in records}
    unknown = [p for p in reset if p not in names]
    if unknown:
        from aiinfra.cli.common import fail
        from aiinfra.problems import Problem

        have = ", ".join(sorted(names)) or "none"
        fail("--reset-placement", [Problem("--reset-placement", f"pool {p} has no recorded placement", f"recorded: {have}", value=p) for p in unknown])
    placed = apply(env, records, problems, skip=set(reset))
    placed.raw = raw
    return placed


def show(console, placed, spec: Any, prefix: str = "placement: ") -> None:
    for line in placed.lines():
        console.print(f"{prefix}{line}", markup=False)
    if placed.used:
        pools = " ".join(f"--reset-placement {r.pool}" for r in placed.used)
        console.print(f"{prefix}`aiinfra up {spec} {pools}` moves it back to where the spec puts it", markup=False)


def up_with_failover(t, c, failover: bool, live: Callable[..., Any]):
    """`pulumi up`; after a capacity error on a node pool, again with that pool on its next candidate, printing each
    try. Returns the outcome, the tries and the target of the last run."""
    from aiinfra import deploy
    from aiinfra.deploy.failover import Failover

    tries = Failover(t.env)
    while True:
        with live("up", t, c) as log:
            outcome = deploy.up(t, log)
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


def remember(t, c, placed, outcome, tries, spec: Any) -> None:
    """Write what the stack's config should now hold. After a successful `up`: the records that held plus one per
    pool failover moved (ignored and reset ones are dropped). After a failed one: only moved pools that did not
    fail again are added, so that a pool already running elsewhere is not moved back by the next run."""
    from aiinfra.catalog.freshness import today
    from aiinfra.deploy.failover import pool_of
    from aiinfra.deploy.placement_config import write
    from aiinfra.resolve.placement import KEY, after_failover, dumps

    day = today().isoformat()
    if outcome.ok:
        records = after_failover(placed, t.env, tries.was, day)
    else:
        failing = {p.name for urn, _ in outcome.failures if (p := pool_of(t.env, urn)) is not None}
        was = {name: where for name, where in tries.was.items() if name not in failing}
        if not was:
            return
        kept = dataclasses.replace(placed, used=[r for r in placed.records if r.pool not in was])
        records = after_failover(kept, t.env, was, day)
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
