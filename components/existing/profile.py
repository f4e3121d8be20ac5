"""`cloud: existing`: a Kubernetes cluster aiinfra did not create (on-premises, CoreWeave, Nebius, another team's
EKS/GKE/AKS). The kubeconfig context is the region, the snapshot of its nodes is the catalog, and nothing
cloud-side is ever created: aiinfra installs the platform minus what the cluster already runs."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.clouds import register
from aiinfra.components.base.profile import CloudProfile
from aiinfra.components.existing.facts import ExistingFacts

if TYPE_CHECKING:
    from aiinfra.problems import Problem
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec

HOST_DRIVER_LABEL = "nvidia.com/cuda.driver.major"  # GFD: a driver already runs on the node


def spec_dir(source: str | None) -> Path:
    return Path(source).resolve().parent if source and source != "<spec>" and Path(source).exists() else Path.cwd()


def kube_contexts(path: str) -> list[str] | None:
    """The context names of a kubeconfig file; None where the file is not there (offline commands need only the snapshot)."""
    import yaml

    p = Path(os.path.expanduser(path))
    if not p.is_file():
        return None
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    return [str(c.get("name")) for c in data.get("contexts") or [] if isinstance(c, dict)]


_RESOLVED: dict[str, Path] = {}


def spec_path(written: str, source: str | None) -> Path:
    """A file the spec names (existing.snapshot, existing.kubeconfig): ~ expanded, a relative one in the spec's
    folder. Later calls without the source (the hooks after catalog_for are not given it) get the path resolved
    for the same written value."""
    path = Path(os.path.expanduser(written))
    if path.is_absolute():
        return path
    if source is not None or written not in _RESOLVED:
        _RESOLVED[written] = spec_dir(source) / path
    return _RESOLVED[written]


def kubeconfig_path(spec: EnvironmentSpec, source: str | None = None) -> str:
    """existing.kubeconfig as aiinfra reads it (spec_path)."""
    return str(spec_path(spec.existing.kubeconfig, source))


def provider_kubeconfig(spec: EnvironmentSpec, source: str | None = None) -> str:
    """What the Kubernetes provider and the state get: `~` and `~/...` as written, since the provider expands
    them itself (pulumi-kubernetes provider/pkg/provider/util.go parseKubeconfigString, since v4.8.0), so
    previews and state are the same on every machine. Anything else as kubeconfig_path resolves it: the provider
    expands no `~user` and reads a relative path against its own working directory, not the spec's folder."""
    written = spec.existing.kubeconfig
    return written if written == "~" or written.startswith("~/") else kubeconfig_path(spec, source)


@register
class ExistingProfile(ExistingFacts, CloudProfile):
    """The hooks of an existing cluster: the snapshot is the catalog, pools select its nodes."""

    def snapshot(self, spec: EnvironmentSpec, source: str | None = None) -> Any:
        """The spec's snapshot (spec_path: relative to the spec's folder)."""
        from aiinfra.catalog.snapshot import load

        return load(spec_path(str(spec.existing.snapshot), source))

    def live_check(self, env: Any, source: str | None, offline: bool) -> tuple[list[Problem], str | None]:
        """The cluster's nodes now against the snapshot (components/existing/drift.py)."""
        from aiinfra.catalog.snapshot import read_node, rules
        from aiinfra.components.existing import drift

        live = drift.check(env, kubeconfig_path(env.spec, source), self.snapshot(env.spec), offline, read_node, rules()["selector"]["volatile"])
        return live.problems, live.note

    def catalog_for(self, spec: EnvironmentSpec, source: str | None = None) -> dict[str, Any]:
        """The snapshot as this cloud's catalog; SpecError naming existing.snapshot / region where it cannot be."""
        from aiinfra import catalog
        from aiinfra.catalog.snapshot import SnapshotError, catalog_data
        from aiinfra.problems import Problem, SpecError

        where = source or "<spec>"
        if not spec.existing.snapshot:
            raise SpecError(where, [Problem("existing.snapshot", "cloud: existing needs the cluster's snapshot", "run `aiinfra discover --context <context> -o cluster.json` and set existing.snapshot: cluster.json")])
        contexts = kube_contexts(kubeconfig_path(spec, source))
        if contexts is not None and spec.region not in contexts:
            raise SpecError(where, [Problem("region", f"context {spec.region!r} is not in {spec.existing.kubeconfig} (contexts: {', '.join(contexts) or 'none'})",
                                            "set region: to one of its contexts (kubectl config get-contexts)", spec.region)])
        try:
            snap = self.snapshot(spec, source)
        except SnapshotError as err:
            raise SpecError(where, err.problems) from None
        if snap.context and snap.context != spec.region:
            raise SpecError(where, [Problem("region", f"{snap.path} was discovered from context {snap.context!r}, not {spec.region!r}",
                                            f"set region: {snap.context}, or discover --context {spec.region}", spec.region)])
        prices = {catalog.canonical_gpu(k) or k: v for k, v in spec.existing.prices.items()}
        return catalog_data(self.name, snap, spec.region, prices, f"snapshot {Path(snap.path).name}")

    def unmatched(self, spec: EnvironmentSpec, gpu: str, count: int) -> tuple[str, str] | None:
        snap = self.snapshot(spec)
        have = sorted({(n.gpu, n.count) for n in snap.nodes if n.gpu})
        if (gpu, count) in have:
            return None
        same = [c for g, c in have if g == gpu]
        hint = f"did you mean {gpu}:{same[0]}?" if same else (f"e.g. gpu: {have[0][0]}:{have[0][1]}" if have else "remove gpu: (the cluster has CPU nodes only)")
        return f"the cluster has no node with {count} × {gpu} (it has {snap.summary()})", hint

    def check(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> list[Problem]:
        """Prices name catalog accelerators; credentials that cannot install cluster-wide objects cannot install the platform."""
        from aiinfra import catalog
        from aiinfra.catalog.snapshot import CPU_PRICE_KEY
        from aiinfra.problems import Problem, did_you_mean

        problems = []
        for key, value in spec.existing.prices.items():
            if key != CPU_PRICE_KEY and catalog.canonical_gpu(key) is None:
                problems.append(Problem(f"existing.prices.{key}", f"{key!r} is not a GPU in aiinfra's catalog", did_you_mean(key, catalog.gpu_spellings()) or f"use catalog names (H100) or {CPU_PRICE_KEY}", key))
            if value < 0:
                problems.append(Problem(f"existing.prices.{key}", "a price cannot be negative", "USD per accelerator-hour, e.g. 2.5", value))
        images = spec.workload.images
        if spec.workload.enabled and not (images.train and images.serve):
            problems.append(Problem("workload.images", "aiinfra creates no registry on an existing cluster, so the reference workload's images must be named",
                                    "set workload.images: {train: REGISTRY/aiinfra-train:0.1.0, serve: REGISTRY/aiinfra-serve:0.1.0} (built from workloads/reference/Dockerfile.train and .serve)"))
        snap = self.snapshot(spec)
        if snap.cluster_wide is False and (spec.mlops.any_on):
            problems.append(Problem("region", f"the credentials of context {spec.region!r} may not create cluster-wide objects (namespaces, CRDs, ClusterRoles), which the platform installs",
                                    "use a cluster-admin context, or turn the mlops services off (mlops: {...: false})", spec.region))
        return problems

    def provisioning(self, spec: EnvironmentSpec, pools: list[ResolvedPool], autoscaler: str) -> tuple[list[ResolvedPool], list[Problem], list[Problem]]:
        """Each pool takes its nodes from the snapshot, in spec order, never one node twice; asking for more is an error."""
        from aiinfra.catalog.snapshot import tolerated
        from aiinfra.problems import Problem

        snap = self.snapshot(spec)
        taken: set[str] = set()
        problems = []
        shapes = snap.shapes()
        free = {shape: [n.name for n in nodes if n.usable(tolerated())] for shape, nodes in shapes.items()}
        done: dict[str, ResolvedPool] = {}
        warnings: list[Problem] = []
        for pool in sorted(pools, key=lambda p: p.system):  # the spec's pools first; the system pool takes the CPU nodes left
            names = [n for n in free.get(pool.instance_type, []) if n not in taken][: pool.nodes_max] if not pool.system else free.get(pool.instance_type, [])
            if not pool.system and len(names) < pool.nodes_max:
                i = next(i for i, p in enumerate(spec.node_pools) if p.name == pool.name)
                what = f"{pool.gpus_per_node} × {pool.gpu}" if pool.gpu else f"shape {pool.instance_type}"
                problems.append(Problem(f"node_pools[{i}].nodes", f"asks for {pool.nodes_max} nodes with {what}, but {len(names)} schedulable ones are left (the cluster has {snap.summary()})",
                                        f"set nodes: {len(names)}" if names else "select other nodes", pool.nodes_max))
            if pool.system:
                names = [n for n in names if n not in taken]
            taken.update(names)
            nodes = [n for n in shapes.get(pool.instance_type, []) if n.name in names]
            carried = dict(set.intersection(*(set(n.labels.items()) for n in nodes))) if nodes else {}
            chosen = dataclasses.replace(pool, nodes_min=len(names), nodes_max=len(names), selected_nodes=tuple(names), carried_labels=carried)
            if names:
                chosen, warning = self._select(spec, snap, chosen)
                warnings += [warning] if warning else []
            done[pool.name] = chosen if names else pool
        return [done[p.name] for p in pools], problems, warnings

    def _select(self, spec: EnvironmentSpec, snap: Any, pool: ResolvedPool) -> tuple[ResolvedPool, Problem | None]:
        """Pods select the pool's nodes by labels they already carry (components/existing/selector.py); where none
        selects exactly them, or the pool needs labels of aiinfra's on its nodes, a warning says why they get aiinfra's."""
        from aiinfra.catalog.snapshot import rules
        from aiinfra.components.existing import selector
        from aiinfra.problems import Problem

        choice = selector.choose({n.name: n.labels for n in snap.nodes}, pool.selected_nodes, rules()["selector"])
        missing = {k: v for k, v in pool.labels.items() if pool.carried_labels.get(k) != v}
        relabel = "label exactly those nodes yourself (kubectl label nodes NODE... KEY=VALUE) and discover again"
        why, hint = (("dra: true and NVLink racks need aiinfra.dev/dra on the nodes (the DRA driver's kubelet plugin selects it)", "nothing to do, or turn dra off") if pool.dra_driver
                     else (f"labels: {selector.text(missing)} are not on the nodes", f"nothing to do, or remove labels:, or {relabel}") if missing
                     else (choice.why_not and f"no label selects exactly them ({choice.why_not})", relabel))
        accel = {k: pool.carried_labels[k] for k in pool.accelerator_labels if k in pool.carried_labels}  # GKE TPU labels, as the nodes carry them
        pool = dataclasses.replace(pool, accelerator_labels=accel)
        if not why:
            return dataclasses.replace(pool, node_selector=choice.labels), None
        i = next((i for i, p in enumerate(spec.node_pools) if p.name == pool.name), None)
        n = len(pool.selected_nodes)
        names = ", ".join(pool.selected_nodes[:3]) + (", ..." if n > 3 else "")
        return pool, Problem(
            f"node_pools[{i}]" if i is not None else f"node_pools.{pool.name}",  # the system pool by name, as the fit check does
            f"pool {pool.name}'s pods cannot select its {n} node{'s' * (n != 1)} ({names}) by labels they carry: {why}; "
            f"aiinfra labels them aiinfra.dev/pool={pool.name} (one NodePatch per node, which `down` removes)",
            hint + (", or let the pool take every node of its shape (nodes:)" if i is not None and hint == relabel else ""),
        )

    def provisioned_as(self, env: Any, pool: Any) -> str | None:
        if not pool.selected_nodes:
            return None
        from aiinfra.components.existing import selector

        how = f"selected by {selector.text(pool.node_selector)}, labels they carry" if pool.node_selector else f"labelled aiinfra.dev/pool={pool.name} by aiinfra, a NodePatch each (the warnings say why)"
        return f"nodes {', '.join(pool.selected_nodes)}: {how}"

    def gpu_driver(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> str | None:
        snap = self.snapshot(spec)
        chosen = {n for p in pools for n in getattr(p, "selected_nodes", ())}
        nodes = [n for n in snap.nodes if n.name in chosen and n.gpu]
        return "host" if nodes and all(HOST_DRIVER_LABEL in n.labels for n in nodes) else None

    def gpu_stack(self, gpu_driver: str | None) -> str:
        return "existing-host-driver" if gpu_driver == "host" else "existing"

    def preinstalled(self, spec: EnvironmentSpec) -> frozenset[str]:
        """charts.yaml keys the cluster already runs (Helm releases, advertised device resources): not installed again."""
        from aiinfra.catalog.snapshot import rules

        snap = self.snapshot(spec)
        charts = snap.installed_charts()
        resources = {k for n in snap.nodes for k in n.advertised}
        return frozenset(key for key, rule in rules()["preinstalled"].items() if charts & set(rule["charts"]) or resources & set(rule.get("resources", [])))

    def credential_source(self, environ: Mapping[str, str], home: Path) -> str | None:
        if environ.get("KUBECONFIG") and any(Path(p).is_file() for p in environ["KUBECONFIG"].split(os.pathsep)):
            return "KUBECONFIG"
        default = home / ".kube" / "config"
        if default.is_file():
            return str(default)
        token = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
        return str(token) if token.is_file() else None

    def credentials_for(self, env: Any, environ: Mapping[str, str], home: Path) -> tuple[str | None, tuple[str, ...]]:
        """The spec's kubeconfig (not $KUBECONFIG or ~/.kube/config: existing-coreweave.yaml names ~/.kube/cw-prod.yaml),
        verified on the spec's context, which need not be the kubeconfig's current one."""
        path = kubeconfig_path(env.spec)
        found = path if Path(path).is_file() else None
        return found, (*self.verify_command, "--kubeconfig", path, "--context", env.spec.region)

    def stack_config(self, env: Any) -> dict[str, str]:
        return {}

    def mlflow_env(self, spec: EnvironmentSpec) -> dict[str, str] | None:
        store = spec.existing.object_store
        return {"MLFLOW_S3_ENDPOINT_URL": store.endpoint} if store else None

    def artifact_root(self, bucket: str, account: str | None, path: str) -> dict[str, Any]:
        return {"s3": {"enabled": True, "bucket": bucket, "path": path}}

    def fixed_resources(self, env: Any) -> dict[str, int]:
        return {}
