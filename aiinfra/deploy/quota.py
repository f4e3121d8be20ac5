"""Quota shortfalls found before `up`: what the node pools need of each quota (at their maximum size) against the
limit the cloud reports, so that `up` does not fail half-way on a quota the user could have raised first.

What a pool counts against (quota names, units) and how to read limits are the cloud's profile's (`quota_needs`,
`quota_lookup`, behind lazy SDK imports); without an SDK or credentials the check is skipped with a note.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Callable, Mapping

from aiinfra import clouds
from aiinfra.components.base.quotas import Limit, Need, QuotaUnavailable

__all__ = ["Limit", "Need", "QuotaUnavailable", "check", "needs", "shortfalls"]

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment


def needs(env: ResolvedEnvironment) -> list[Need]:
    profile = clouds.get(env.spec.cloud)
    return [n for p in env.pools for n in profile.quota_needs(env, p)]


def shortfalls(found: list[Need], limits: Mapping[str, Limit], cloud: str, region: str) -> list[str]:
    """One message per quota whose free amount is below what the pools need together."""
    total: dict[str, float] = defaultdict(float)
    pools: dict[str, list[str]] = defaultdict(list)
    first: dict[str, Need] = {}
    for n in found:
        total[n.quota] += n.amount
        pools[n.quota].append(n.pool)
        first.setdefault(n.quota, n)
    display = clouds.get(cloud).display
    out = []
    for code, need in total.items():
        lim = limits.get(code)
        if lim is None:
            continue
        free = lim.limit - (lim.used or 0)
        if need <= free:
            continue
        n = first[code]
        used = f", {lim.used:g} in use" if lim.used else ""
        want = need + (lim.used or 0)
        out.append(
            f"{display} quota {n.title!r} ({code}) in {region}: pool(s) {', '.join(pools[code])} need {need:g} {n.unit} at their maximum size; "
            f"the limit is {lim.limit:g}{used}. Request {want:g}: {n.how_to_raise.format(code=code, value=f'{want:g}', region=region)}"
        )
    return out


def check(env: ResolvedEnvironment, lookup: Callable[[ResolvedEnvironment, list[str]], Mapping[str, Limit]] | None = None) -> tuple[list[str], str | None]:
    """(shortfall messages, a note when the check was skipped)."""
    found = needs(env)
    if not found:
        return [], None
    read = lookup or clouds.get(env.spec.cloud).quota_lookup
    try:
        limits = read(env, sorted({n.quota for n in found}))
    except QuotaUnavailable as why:
        return [], f"quota check skipped: {why}"
    return shortfalls(found, limits, env.spec.cloud, env.spec.region), None
