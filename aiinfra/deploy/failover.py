"""Failover on capacity errors in `up`: when a node pool fails because the cloud is out of that machine (a
stockout, not a quota or a bad input), try the same pool on the next candidate and run `up` again.

Candidates, in order: the other zones of the network that offer the pool's type (only where the failed zone is
known: pinned, or named by the error), then the pool's later `gpu:` alternatives offered in the region. Only that
pool's placement changes between tries; every other pool, the network and the data are the same program, so
Pulumi leaves them as they are. Reserved pools are never moved: their capacity exists in one zone only.
Which error texts count is each cloud's profile's (CapacityErrors), kept as data.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from aiinfra import clouds
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

DEFAULT_LIMIT = 4  # further tries after the first failure


def classify(cloud: str, message: str) -> tuple[str, str] | None:
    """('capacity' | 'quota', the matched text) for a cloud's error message; None for any other failure."""
    errors = clouds.get(cloud).capacity_errors
    for kind, patterns in (("capacity", errors.capacity), ("quota", errors.quota)):
        for pattern in patterns:
            found = re.search(pattern, message)
            if found:
                return kind, found.group(0)
    return None


def pool_of(env: ResolvedEnvironment, urn: str) -> ResolvedPool | None:
    """The worker pool a failed resource belongs to: its URN's name is `<env>-<pool>-...` under a NodePool component."""
    if "NodePool" not in urn.split("::")[2 if urn.count("::") >= 3 else 0]:
        return None
    name = urn.rsplit("::", 1)[-1]
    prefix = f"{env.spec.name}-"
    matches = [p for p in env.worker_pools if name.startswith(f"{prefix}{p.name}-") or name == f"{prefix}{p.name}"]
    return max(matches, key=lambda p: len(p.name), default=None)


def zones_named(env: ResolvedEnvironment, message: str) -> list[str]:
    """The zones an error message says ran out (EC2 and Compute Engine name them; they also suggest others)."""
    found = [m.group(1) for p in clouds.get(env.spec.cloud).capacity_errors.failed_zone for m in re.finditer(p, message)]
    return [z for z in env.region_zones if z in found]


@dataclass(frozen=True)
class Candidate:
    instance_type: str
    zone: str | None
    why: str
    pool: ResolvedPool

    def where(self) -> str:
        return f"{self.instance_type} in {self.zone or 'the region (zone left to the cloud)'}"


def alternatives(env: ResolvedEnvironment, pool: ResolvedPool) -> list[Candidate]:
    """The pool's later gpu: alternatives, each resolved alone (skipped where the region does not offer it)."""
    from aiinfra.resolve.placement import option_pool
    from aiinfra.resolve.resolver import resolve

    options = next(p for p in env.spec.node_pools if p.name == pool.name).gpu_options
    current = next((i for i, g in enumerate(options) if _is(env, g, pool)), len(options))
    out = []
    for gpu in options[current + 1:]:
        found = option_pool(env, pool.name, gpu, resolve)
        if found is not None:
            out.append(Candidate(found.instance_type, None, f"next gpu alternative {gpu}", found))
    return out


def _is(env: ResolvedEnvironment, gpu: str, pool: ResolvedPool) -> bool:
    from aiinfra import catalog
    from aiinfra.spec.gpu import GpuRequest

    request = GpuRequest.parse(gpu)
    return (catalog.canonical_gpu(request.model), request.count) == (pool.gpu, pool.gpus_per_node)


def candidates(env: ResolvedEnvironment, pool: ResolvedPool, failed_zones: list[str]) -> list[Candidate]:
    """Where to try the pool next, in order: other zones offering the type, then the gpu alternatives."""
    if pool.reservation:
        return []
    out = []
    usable = env.region_zones if clouds.get(env.spec.cloud).pool_zones == "region" else env.zones
    if failed_zones:
        for z in pool.zones:
            if z in usable and z not in failed_zones:
                out.append(Candidate(pool.instance_type, z, f"next zone offering {pool.instance_type}", dataclasses.replace(pool, zone=z)))
    return out + alternatives(env, pool)


@dataclass
class Failover:
    """The tries of one `up`: feed each failed outcome's failures to `next`, which says what to try instead."""

    env: ResolvedEnvironment
    limit: int = DEFAULT_LIMIT
    tried: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    queue: dict[str, list[Candidate]] = field(default_factory=dict)
    failed_zones: dict[str, list[str]] = field(default_factory=dict)
    was: dict[str, str] = field(default_factory=dict)  # where each retried pool first failed

    def next(self, failures: list[tuple[str, str]]) -> ResolvedEnvironment | None:
        """The environment with the failed pool moved to its next candidate; None when there is nothing to retry
        (no capacity error, a reserved pool, candidates or tries used up). Each decision is added to `lines`."""
        cloud = self.env.spec.cloud
        for urn, message in failures:
            kind = classify(cloud, message)
            pool = pool_of(self.env, urn)
            if kind is None or pool is None:
                continue
            if kind[0] == "quota":
                self.lines.append(f"pool {pool.name}: {kind[1]} is a quota limit, not a stockout: not retried (raise the quota)")
                return None
            return self._move(pool, kind[1], message)
        return None

    def _move(self, pool: ResolvedPool, code: str, message: str) -> ResolvedEnvironment | None:
        here = f"{pool.instance_type} in {pool.zone or ', '.join(zones_named(self.env, message)) or 'the region'}"
        if not self.tried:
            self.tried.append(here)
        self.was.setdefault(pool.name, here)
        self.lines.append(f"pool {pool.name}: try {len(self.tried)} ({here}) failed: {code}")
        if pool.reservation:
            self.lines.append(f"pool {pool.name}: not retried: its reservation {pool.reservation} holds capacity in one zone only")
            return None
        failed = self.failed_zones.setdefault(pool.name, [])
        failed += [z for z in ([pool.zone] if pool.zone else zones_named(self.env, message)) if z not in failed]
        if pool.name not in self.queue:
            self.queue[pool.name] = candidates(self.env, pool, failed)
        queue = [c for c in self.queue[pool.name] if c.zone not in failed or c.instance_type != pool.instance_type]
        self.queue[pool.name] = queue
        if len(self.tried) > self.limit or not queue:
            why = f"after {len(self.tried)} tries (limit {self.limit + 1})" if queue else "no other zone or gpu alternative offers it"
            self.lines.append(f"pool {pool.name}: giving up {why}; tried: {'; '.join(self.tried)}")
            return None
        nxt = queue.pop(0)
        self.tried.append(nxt.where())
        self.lines.append(f"pool {pool.name}: try {len(self.tried)}: {nxt.where()} ({nxt.why}); no other pool or data is changed")
        self.env = self._placed(pool, nxt)
        return self.env

    def _placed(self, pool: ResolvedPool, nxt: Candidate) -> ResolvedEnvironment:
        """The environment resolved again with the pool at the candidate, through the same placement input as a
        recorded failover (aiinfra.resolve.placement), so that what is planned on the pools (the workload's pods,
        the GPU driver, the components' checks) follows the pool to its new machine."""
        from aiinfra.catalog.freshness import today
        from aiinfra.resolve.placement import placement_of
        from aiinfra.resolve.resolver import resolve
        from aiinfra.resolve.result import Record, Recorded

        written = next(p for p in self.env.spec.node_pools if p.name == pool.name)
        kept = tuple(r for r in placement_of(self.env).used if r.pool != pool.name)
        record = Record(pool.name, nxt.instance_type, nxt.zone, today().isoformat(), self.was[pool.name], written.zone, written.instance_type)
        moved = resolve(self.env.written_spec or self.env.spec, placement=Recorded(kept + (record,)))
        assert [p for p in moved.pools if p.name == pool.name] == [nxt.pool], f"placement refused a failover candidate: {placement_of(moved).lines()}"
        return moved
