"""Turn a cloud-neutral spec into concrete choices on its cloud: instance types, fabric, zone, price.

Every problem is collected with its field path; nothing is created from a spec with problems.
"""

from __future__ import annotations

import dataclasses
from dataclasses import astuple
from pathlib import Path
from typing import Any, Callable

from aiinfra import catalog, clouds
from aiinfra.catalog import carbon
from aiinfra.catalog import kubernetes as kubernetes_versions
from aiinfra.catalog import pool_facts as facts
from aiinfra.components.base.accounts import find_account
from aiinfra.policy import unknown_waivers
from aiinfra.problems import Problem, SpecError, did_you_mean, nearest, shown
from aiinfra.resolve import accelerators, capabilities, data_layer, gpu_shapes, racks
from aiinfra.resolve import workload as workload_plan
from aiinfra.resolve.autoscaling import choose_autoscaler
from aiinfra.resolve.capacity import pool_price, reservation_fields
from aiinfra.resolve.placement import apply as apply_placement
from aiinfra.resolve.result import PoolShape, Recorded, ResolvedEnvironment, ResolvedPool
from aiinfra.resolve.type_choice import choose
from aiinfra.spec import EnvironmentSpec, NodePool, defaults, load_spec
from aiinfra.spec.gpu import GpuRequest
from aiinfra.spec.policy import waived_rules

__all__ = ["load", "resolve"]

DEFAULT_CPU_VCPUS = 4
DEFAULT_CPU_MEMORY_GIB = 16


class _PoolResolver:
    def __init__(self, spec: EnvironmentSpec):
        self.spec = spec
        self.cloud = spec.cloud
        self.cat = catalog.cloud_catalog(spec.cloud)
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def problem(self, path: str, message: str, hint: str | None = None, value: object = None) -> None:
        self.problems.append(Problem(path, message, hint, value))

    def _by_distance(self, regions: list[str]) -> list[str]:
        from aiinfra.catalog.regions import nearest as nearest_regions

        ordered = [p.region for p in nearest_regions(self.cloud, self.spec.region, regions)]
        return ordered + [r for r in regions if r not in ordered]

    def _pinned(self, path: str, pool: NodePool) -> str | None:
        name = pool.instance_type
        assert name is not None
        it = self.cat.instance_types[name]
        if pool.gpu:
            wanted = {(catalog.canonical_gpu(g.model), g.count) for g in pool.gpu_requests}
            if (it.gpu, it.gpu_count) not in wanted:
                have = str(GpuRequest(it.gpu, it.gpu_count)) if it.gpu else "no GPU"
                asked = ", ".join(pool.gpu_options)
                self.problem(f"{path}.instance_type", f"{name} has {have}, but gpu: asks for {asked}", f"drop one of them, or set gpu: {have}", name)
                return None
        if self.spec.region not in it.regions:
            self.problem(
                f"{path}.instance_type", f"aiinfra's catalog does not list {name} in {self.spec.region}", f"listed in: {', '.join(self._by_distance(list(it.regions)))}", name
            )
            return None
        return name

    def _gpu_candidates(self, path: str, pool: NodePool) -> tuple[list[str], str] | None:
        """The first alternative offered here wins; if none is, every alternative's problem is reported."""
        options = pool.gpu_options
        field = pool.accelerator_field
        if isinstance(pool.gpu, str):
            return self._candidates_for(f"{path}.{field}", options[0])
        kept = self.problems
        rejected: list[Problem] = []
        for i, request in enumerate(options):
            self.problems = []
            found = self._candidates_for(f"{path}.{field}[{i}]", request)
            rejected += self.problems
            if found:
                self.problems = kept
                names, what = found
                if i:
                    what += f" (first offered alternative; {', '.join(options[:i])} not offered)"
                return names, what
        self.problems = kept + rejected
        return None

    def _candidates_for(self, path: str, request: str) -> tuple[list[str], str] | None:
        raw_name, count = astuple(GpuRequest.parse(request))
        gpu = catalog.canonical_gpu(raw_name)
        if gpu is None:
            guess = nearest(raw_name, catalog.gpu_spellings(), model=True)
            self.problem(
                path,
                f"{shown(raw_name)} is not a GPU in aiinfra's catalog",
                f"did you mean {catalog.canonical_gpu(guess[0])}:{count}?" if guess else f"known GPUs: {', '.join(catalog.gpus())}; or pin instance_type to use a type aiinfra does not list",
                request,
            )
            return None
        if count < 1:
            self.problem(path, "the GPU count must be at least 1", f"e.g. {gpu}:1", request)
            return None
        on_cloud = [o.name for o in catalog.offers(self.cloud, gpu)]
        lacking = clouds.get(self.cloud).unmatched(self.spec, gpu, count)
        if lacking:
            self.problem(path, lacking[0], lacking[1], request)
            return None
        if not on_cloud:
            elsewhere = sorted({f"{o.cloud} ({o.name})" for o in catalog.offers(gpu=gpu)})
            instead = []
            for g in catalog.nearest_gpus(self.cloud, gpu):
                sizes = {o.spec.gpu_count for o in catalog.offers(self.cloud, g)}
                instead.append(f"{g}:{min(sizes, key=lambda c: (abs(c - count), -c))}")
            elsewhere_hint = accelerators.not_offered_hint(gpu)
            hints = [elsewhere_hint] if elsewhere_hint else [f"nearest {self.cloud} GPUs: {', '.join(instead)}"] if instead else []
            hints += [f"aiinfra's catalog lists {gpu} on: {', '.join(elsewhere)}"] if elsewhere and not elsewhere_hint else []
            self.problem(path, f"aiinfra's catalog has no {self.cloud} instance type with {gpu}", "; ".join(hints) or None, request)
            return None
        counts = sorted({self.cat.instance_types[n].gpu_count for n in on_cloud})
        with_count = [n for n in on_cloud if self.cat.instance_types[n].gpu_count == count]
        if not with_count:
            closest = min(counts, key=lambda c: (abs(c - count), -c))
            self.problem(
                path,
                f"aiinfra's catalog has no {self.cloud} instance type with {count} × {gpu} per node (counts listed: {', '.join(map(str, counts))})",
                f"did you mean {gpu}:{closest}?",
                request,
            )
            return None
        in_region = [n for n in with_count if self.spec.region in self.cat.instance_types[n].regions]
        if not in_region:
            regions = sorted({r for n in with_count for r in self.cat.instance_types[n].regions})
            self.problem(
                path,
                f"aiinfra's catalog has no {gpu}:{count} type in {self.spec.region} on {self.cloud}",
                f"listed in (nearest first): {', '.join(self._by_distance(regions))}",
                request,
            )
            return None
        return in_region, f"{count} × {gpu}"

    def _cpu_candidates(self, path: str, pool: NodePool) -> tuple[list[str], str] | None:
        vcpus = pool.cpus or DEFAULT_CPU_VCPUS
        mem = pool.memory_gib or DEFAULT_CPU_MEMORY_GIB
        names = [
            n
            for n, it in self.cat.instance_types.items()
            if it.gpu is None and it.vcpus >= vcpus and it.memory_gib >= mem and self.spec.region in it.regions
        ]
        if not names:
            self.problem(
                f"{path}.cpus", f"aiinfra's {self.cloud} catalog has no CPU type in {self.spec.region} with ≥ {vcpus} vCPUs and ≥ {mem:g} GiB", "lower cpus/memory_gib or pin instance_type", pool.cpus
            )
            return None
        return names, f"≥ {vcpus} vCPUs and ≥ {mem:g} GiB"

    def pool(self, index: int, pool: NodePool) -> ResolvedPool | None:
        path = f"node_pools[{index}]"
        before = len(self.problems)
        if pool.nodes_max == 0:
            self.problem(f"{path}.nodes", "a pool of 0 nodes creates nothing", "write nodes: {min: 0, max: N} to scale from zero", 0)
        if pool.zone and pool.zone not in self.cat.regions.get(self.spec.region, []):
            zones = self.cat.regions.get(self.spec.region, [])
            self.problem(f"{path}.zone", f"{shown(pool.zone)} is not a zone of {self.spec.region}", did_you_mean(pool.zone, zones) or f"zones: {', '.join(zones)}", pool.zone)
        if pool.instance_type and pool.instance_type not in self.cat.instance_types:
            from aiinfra.resolve.pinned import uncatalogued_pool

            resolved = uncatalogued_pool(self, path, pool)
            return resolved if len(self.problems) == before else None
        if pool.instance_type:
            name = self._pinned(path, pool)
            reason = "pinned by instance_type"
        else:
            found = self._gpu_candidates(path, pool) if pool.gpu else self._cpu_candidates(path, pool)
            name, reason = choose(self.cloud, self.spec.region, pool, *found) if found else (None, "")
        if name is None or len(self.problems) > before:
            return None
        it = self.cat.instance_types[name]
        offered_here = it.zones.get(self.spec.region)
        if pool.zone and offered_here and pool.zone not in offered_here:
            self.problem(f"{path}.zone", f"aiinfra's catalog does not list {name} in {pool.zone}", f"listed in: {', '.join(offered_here)}", pool.zone)
            return None
        p = pool_price(self.cloud, name, self.spec.region, pool)
        alternatives = () if pool.instance_type else self._alternatives(path, pool, name)
        accel, unfit = accelerators.pool_facts(self.cloud, path, pool, it.gpu, it.gpu_count)
        if unfit:
            self.problems += unfit
            return None
        return self._with_alternatives(index, pool, ResolvedPool(
            name=pool.name,
            instance_type=name,
            gpu=it.gpu,
            gpus_per_node=it.gpu_count,
            nodes_min=accel.pop("nodes_min", pool.nodes_min),
            nodes_max=accel.pop("nodes_max", pool.nodes_max),
            capacity=pool.capacity,
            fabric=it.fabric,
            hourly_usd_per_node=p.hourly_usd,
            price_note=p.note,
            price_origin=p.origin,
            reason=reason,
            zone=pool.zone,
            disk_gib=pool.disk_gib,
            labels=dict(pool.labels),
            vcpus=it.vcpus,
            memory_gib=it.memory_gib,
            alternatives=alternatives,
            nvlink_domain=it.nvlink_domain,
            dra=bool(pool.dra),
            **reservation_fields(pool),
            **facts(self.cat, self.spec.region, name, it, "queued" if pool.queued else pool.capacity),  # type: ignore[arg-type]
            **accel,
        ))

    def _with_alternatives(self, index: int, pool: NodePool, chosen: ResolvedPool) -> ResolvedPool:
        """The gpu: alternatives after the chosen one that are offered here too, each resolved as if alone: what a
        provisioner may fall back to (GKE ComputeClass priorities, Karpenter and NAP instance types)."""
        if pool.instance_type or len(pool.gpu_options) < 2:
            return chosen
        asked = [(catalog.canonical_gpu(g.model), g.count) for g in pool.gpu_requests]
        first = asked.index((chosen.gpu, chosen.gpus_per_node)) if (chosen.gpu, chosen.gpus_per_node) in asked else 0
        later = pool.gpu_options[first + 1 :]
        found = []
        for request in later:
            sub = _PoolResolver(self.spec)
            alt = sub.pool(index, pool.model_copy(update={"gpu": request, "accelerator": None}))
            if alt is not None and not sub.problems and alt.instance_type != chosen.instance_type:
                found.append(alt)
        return dataclasses.replace(chosen, fallbacks=tuple(found)) if found else chosen

    def _alternatives(self, path: str, pool: NodePool, chosen: str) -> tuple[PoolShape, ...]:
        """The cheapest offered type of each other `gpu:` alternative of the chosen type's accelerator family (a
        provisioner may launch any of them); alternatives not offered here are left out, without a problem."""
        if len(pool.gpu_options) < 2:
            return ()
        family = accelerators.family_of(self.cat.instance_types[chosen].gpu)
        kept, shapes = self.problems, list[PoolShape]()
        for i, request in enumerate(pool.gpu_options):
            self.problems = []
            found = self._candidates_for(f"{path}.gpu[{i}]", request)
            self.problems = kept
            if not found:
                continue
            name = choose(self.cloud, self.spec.region, pool, *found)[0]
            it = self.cat.instance_types[name]
            if name != chosen and accelerators.family_of(it.gpu) == family and name not in {s.instance_type for s in shapes}:
                shapes.append(PoolShape(name, it.gpu, it.gpu_count, it.vcpus, it.memory_gib))
        return tuple(shapes)

    def system_pool(self) -> ResolvedPool:
        name = str(self.cat.system_pool["instance_type"])
        nodes = int(self.cat.system_pool["nodes"])
        it = self.cat.instance_types[name]
        p = catalog.price(self.cloud, name, self.spec.region, "on-demand")
        return ResolvedPool(
            name="system",
            instance_type=name,
            gpu=None,
            gpus_per_node=0,
            nodes_min=nodes,
            nodes_max=nodes,
            capacity="on-demand",
            fabric=None,
            hourly_usd_per_node=p.hourly_usd,
            price_note=p.note,
            price_origin=p.origin,
            reason="added by aiinfra for cluster add-ons (CoreDNS, operators, monitoring)",
            disk_gib=defaults.SYSTEM_DISK_GIB,
            system=True,
            vcpus=it.vcpus,
            memory_gib=it.memory_gib,
            **facts(self.cat, self.spec.region, name, it, "on-demand"),  # type: ignore[arg-type]
        )


def resolve(spec: EnvironmentSpec, source: str = "<spec>", placement: Recorded | None = None) -> ResolvedEnvironment:
    """The spec's decisions; with `placement` (the stack's record of failover), moved pools stay where it put them."""
    own = clouds.get(spec.cloud).catalog_for(spec, source)
    cat = catalog.install(spec.cloud, own) if own is not None else catalog.cloud_catalog(spec.cloud)
    if spec.region not in cat.regions:
        from aiinfra.catalog.regions import unknown_region

        message, hint = unknown_region(spec.cloud, spec.region, list(cat.regions))
        raise SpecError(source, [Problem("region", message, hint, spec.region)])
    written = spec
    spec, shaped, shape_problems = gpu_shapes.concretize(spec)
    account = find_account(spec)
    r = _PoolResolver(spec)
    r.problems += carbon.budget_problems(spec) + shape_problems + unknown_waivers(w.rule for w in spec.policy.waive)
    if account and account.placeholder:
        r.warnings.append(account.note())
    if any(p.name == "system" for p in spec.node_pools):
        r.problem("node_pools", "the pool name 'system' is reserved for the pool aiinfra adds itself", "rename the pool")
    pools = [r.system_pool()]
    for i, pool in enumerate(spec.node_pools):
        resolved = r.pool(i, pool) if pool.gpu_query is None else None
        if resolved:
            pools.append(dataclasses.replace(resolved, reason=f"{shaped[pool.name]}; {resolved.reason}") if pool.name in shaped else resolved)
    # The cloud's own rules and its decisions (the Azure GPU driver), kept beside the spec, never written into it.
    profile = clouds.get(spec.cloud)
    r.problems += capabilities.unsupported(spec) + profile.check(spec, pools) + profile.pool_size_problems(spec)
    found, warned = kubernetes_versions.check(spec.cloud, spec.cluster.kubernetes_version)
    r.problems += found
    r.warnings += warned
    autoscaler, found = choose_autoscaler(spec)
    r.problems += found
    pools, found, noted = profile.provisioning(spec, pools, autoscaler)
    r.problems += found
    r.warnings += noted
    pools, topology, found, noted = racks.check(spec, pools)
    r.problems += found
    r.warnings += noted
    zones, region_zones = cat.regions[spec.region][: spec.network.zones], list(cat.regions[spec.region])
    pools, placed = apply_placement(spec, pools, zones, region_zones, None if r.problems else placement, resolve)
    plan, found = workload_plan.decide(spec, pools, autoscaler)
    r.problems += found
    filesystems, found = data_layer.resolve_filesystems(spec, pools, zones)
    r.problems += found + data_layer.check(spec)
    env = ResolvedEnvironment(
        spec=spec,
        pools=pools,
        zones=zones,
        region_zones=region_zones,
        warnings=r.warnings,
        account=account,
        gpu_driver=profile.gpu_driver(spec, pools),
        account_id=profile.account_value(spec, account),
        workload=plan,
        filesystems=tuple(filesystems),
        autoscaler=autoscaler,
        autoscaler_words=profile.autoscalers.get(autoscaler),
        kubernetes_extended=kubernetes_versions.extended(spec.cloud, spec.cluster.kubernetes_version),
        preinstalled=profile.preinstalled(spec),
        written_spec=written if written is not spec else None,
        topology=topology,
        placement=placed,
    )
    from aiinfra.components.base.preflight import problems as component_problems

    # A pool or field the spec rules already reported keeps their wording; the components' checks add the rest.
    reported = {_subject(p.path) for p in r.problems}
    r.problems += [p for p in component_problems(env, partial=bool(r.problems)) if _subject(p.path) not in reported]
    if r.problems:
        raise SpecError(source, r.problems)
    return env


def _subject(path: str) -> str:
    """What a problem is about: its node pool (node_pools[1]) or else its field."""
    return path.split(".", 1)[0] if path.startswith("node_pools[") else path


def load(path: str | Path, placement: Callable[[str], Recorded] | None = None) -> ResolvedEnvironment:
    """Parse and resolve a spec file, or raise SpecError with every problem: the schema's with the catalog's of
    the pools that parsed. `placement(name)` reads the stack's recorded placement."""
    try:
        spec = load_spec(path)
    except SpecError as err:
        if err.unparsed:
            known = {p.path for p in err.problems}
            waived = [p for p in unknown_waivers(waived_rules(err.unparsed[0])) if p.path not in known]
            raise SpecError(err.source, err.problems + waived + parsed_pool_problems(*err.unparsed)) from None
        raise
    return resolve(spec, str(path), placement(spec.name) if placement is not None else None)


def parsed_pool_problems(data: Any, exc: Any) -> list[Problem]:
    """Each pool without a schema error, resolved against the catalog of the spec's cloud and region (when
    those two parsed): the problems the resolver would report once the schema errors are fixed."""
    from pydantic import ValidationError

    errors = [e["loc"] for e in exc.errors()]
    if any(loc[:1] in (("cloud",), ("region",)) for loc in errors) or not isinstance(data.get("node_pools"), list):
        return []
    failed = {loc[1] for loc in errors if len(loc) > 1 and loc[0] == "node_pools"}
    try:
        stub = EnvironmentSpec.model_validate({"name": "partial", "cloud": data.get("cloud"), "region": data.get("region")})
    except ValidationError:
        return []
    if stub.region not in catalog.cloud_catalog(stub.cloud).regions:
        return []
    resolver = _PoolResolver(stub)
    for i, raw in enumerate(data["node_pools"]):
        if i in failed:
            continue
        try:
            pool = NodePool.model_validate(raw)
        except ValidationError:
            continue
        resolver.pool(i, pool)
    return resolver.problems

