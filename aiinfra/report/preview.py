"""Offline preview: what an environment would create and what it would cost, with no credentials."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiinfra import catalog, clouds, program
from aiinfra.catalog import freshness
from aiinfra.catalog import kubernetes as kubernetes_versions
from aiinfra.program import SECRET_OUTPUTS
from aiinfra.report import energy
from aiinfra.resolve.capacity import paid_nodes
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedFileSystem, ResolvedPool

if TYPE_CHECKING:  # the engine (asyncio, mocks) only for `preview`, not for `cost` and `validate`
    from aiinfra.program import engine



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


def pool_cost(pool: ResolvedPool) -> CostItem:
    """A reserved pool is billed for all its nodes whether they run or not (aiinfra.resolve.capacity.paid_nodes)."""
    kind = "capacity block" if pool.reservation_kind == "capacity-block" else pool.capacity
    label = f"pool {pool.name} ({pool.instance_type}, {kind})"
    lo, hi = paid_nodes(pool.capacity, pool.nodes_min, pool.nodes_max)
    origin = pool.price_origin
    return CostItem(label, lo, hi, pool.hourly_usd_per_node, pool.price_note, origin.as_dict() if origin else None)


def fallback_costs(env: ResolvedEnvironment, pool: ResolvedPool) -> list[CostItem]:
    """Where the provisioner may start a pool's gpu: alternatives (GKE ComputeClass, AKS NAP), its maximum is priced at
    the dearest of them: one item with what that type costs above the chosen one, up to the pool's maximum."""
    from aiinfra.components.kubernetes.addons.scheduling import provisioned_shapes

    chosen = pool.hourly_usd_per_node
    known = [a for a in provisioned_shapes(env, pool)[1:] if a.hourly_usd_per_node is not None]
    dearest = max(known, key=lambda a: a.hourly_usd_per_node or 0.0, default=None)
    if chosen is None or dearest is None or (dearest.hourly_usd_per_node or 0.0) <= chosen:
        return []
    extra = round((dearest.hourly_usd_per_node or 0.0) - chosen, 4)
    label = f"pool {pool.name} on its fallback {dearest.instance_type} ({pool.capacity}), above {pool.instance_type}"
    return [CostItem(label, 0, pool.nodes_max, extra, "only while the provisioner runs the pool on its fallback type")]


def filesystem_cost(fs: ResolvedFileSystem) -> CostItem:
    """Capacity and throughput are billed together (per GB-month at the tier's rate), so one item per file system."""
    label = f"file system {fs.name} ({fs.service}, {fs.size_tib:g} TiB at {fs.throughput} MB/s/TiB)"
    hourly = None if fs.monthly_usd is None else round(fs.monthly_usd / catalog.HOURS_PER_MONTH, 4)
    return CostItem(label, 1, 1, hourly, fs.price_note)


def filesystem_rows(env: ResolvedEnvironment, built: dict[str, Any]) -> list[dict[str, Any]]:
    """Each file system as resolved, with the mount the program reports (preview) where there is one."""
    return [
        {
            "name": f.name,
            "service": f.service,
            "size_tib": f.size_tib,
            "throughput_mbps_per_tib": f.throughput,
            "tier": f.tier or f.deployment_type,
            "zone": f.zone,
            "import_from": f.import_from,
            "claim": f"{env.spec.identity.namespace}/{f.claim_name}",
            "path": f.mount_path,
            "mount": (built.get(f.name) or {}).get("mount"),
            "monthly_usd": f.monthly_usd,
            "price_note": f.price_note,
        }
        for f in env.filesystems
    ]


def cost_items(env: ResolvedEnvironment, resources: list[engine.CapturedResource] | None = None) -> list[CostItem]:
    """Node pools from the resolved spec; fixed costs by counting the resources the program really creates
    or, with no resources (`cost`, which runs no program), the counts the spec implies."""
    items = [item for p in env.pools for item in (pool_cost(p), *fallback_costs(env, p))] + [filesystem_cost(f) for f in env.filesystems]
    if resources is None:
        from aiinfra.report.fixed_costs import resource_counts

        counts = Counter(resource_counts(env))
    else:
        counts = Counter(r.type for r in resources)
    extended = kubernetes_versions.control_plane_price(env.spec.cloud, env.spec.cluster.kubernetes_version)
    for key, fixed in catalog.cloud_catalog(env.spec.cloud).fixed_costs.items():
        n = counts.get(fixed.resource_type, 0)
        if not n:
            continue
        label, hourly, source, verified = fixed.label, fixed.hourly_usd, fixed.source, fixed.verified
        if key == "control_plane" and extended:
            # A version past standard support is billed at the extended / long-term support price (aiinfra.catalog.kubernetes).
            label, hourly = f"{label} ({extended['name']}, Kubernetes {env.spec.cluster.kubernetes_version})", extended["hourly_usd"]
            source, verified = f"{extended['source']} (aiinfra/catalog/data/kubernetes.yaml)", bool(extended.get("verified"))
        origin = {"kind": "fixed", "source": source, "as_of": None}
        items.append(CostItem(label, n, n, hourly, fixed.note or (None if verified else "list price, unverified"), origin))
    return items


def serving_cost(env: ResolvedEnvironment, idle_hourly: float) -> dict[str, Any] | None:
    """For a model that scales to zero: what stays when nothing is served (every item at its minimum: no replica, the
    serving pool's GPU nodes gone) beside what it costs busy (that plus the nodes its most replicas fill)."""
    wp = env.workload
    if wp is None or wp.scale_to_zero is None or wp.replicas is None:
        return None
    pool = wp.serve_pool
    # A multi-node replica fills serve_nodes whole nodes; otherwise replicas pack one a GPU.
    nodes = min(pool.nodes_max, wp.replicas[1] * wp.serve_nodes if wp.serve_nodes else -(-wp.replicas[1] // max(1, pool.gpus_per_node)))
    busy = idle_hourly + max(0, nodes - pool.nodes_min) * (pool.hourly_usd_per_node or 0.0)
    return {
        "pool": pool.name,
        "replicas_min": wp.replicas[0],
        "replicas_max": wp.replicas[1],
        "busy_nodes": nodes,
        "idle_hourly_usd": round(idle_hourly, 4),
        "busy_hourly_usd": round(busy, 4),
        "idle_monthly_usd": round(idle_hourly * catalog.HOURS_PER_MONTH, 2),
        "busy_monthly_usd": round(busy * catalog.HOURS_PER_MONTH, 2),
    }


def cost_summary(env: ResolvedEnvironment, items: list[CostItem]) -> dict[str, Any]:
    lo = sum(i.hourly_usd_min for i in items)
    hi = sum(i.hourly_usd_max for i in items)
    serving = serving_cost(env, lo)
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
        "freshness": freshness.summary((p.name, p.price_origin) for p in env.pools),
        **({"serving": serving} if serving else {}),
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


def _report(env: ResolvedEnvironment, items: list[CostItem], result: engine.RunResult | None = None) -> dict[str, Any]:
    """One shape for `cost` and `preview`; a program run adds its resources and outputs."""
    data: dict[str, Any] = {"environment": env.spec.name, "cloud": env.spec.cloud, "region": env.spec.region, "zones": env.zones}
    if result is not None:
        data["resources"] = [r.as_dict() for r in result.resources]
    profile = clouds.get(env.spec.cloud)
    data["node_pools"] = [
        {**pool_dict(p), "price_origin": p.price_origin.as_dict() if p.price_origin else None, "scaled_by": env.scaled_by(p), "provisioning": profile.provisioned_as(env, p)}
        for p in env.pools
    ]
    if env.filesystems:
        data["filesystems"] = filesystem_rows(env, result.outputs.get("filesystems", {}) if result is not None else {})
    data["cost"] = cost_summary(env, items)
    data["energy"] = energy.summary(env)
    data["warnings"] = [w.as_dict() for w in env.warnings]
    if result is not None:
        data["outputs"] = {k: ("[secret]" if k in SECRET_OUTPUTS | result.secret_outputs else v) for k, v in result.outputs.items()}
    return data


def estimate(env: ResolvedEnvironment) -> dict[str, Any]:
    """What `cost` prints, from the resolved spec and the catalog alone: no Pulumi, no SDK imports."""
    return _report(env, cost_items(env))


def policy_report(env: ResolvedEnvironment, data: dict[str, Any]) -> dict[str, Any]:
    """Every policy rule over the previewed resources, with the spec's budgets (at maximum size) and waivers."""
    from aiinfra import policy

    return policy.evaluate(data["resources"], policy.facts_from(env, data["cost"], data.get("energy")), policy.waivers_of(env.spec))


def build(env: ResolvedEnvironment, check_policy: bool = True) -> dict[str, Any]:
    result = run_offline(env)
    data = _report(env, cost_items(env, result.resources), result)
    if check_policy:
        data["policy"] = policy_report(env, data)
    return data
