"""Rack-scale GPU rules (GB200/GB300 NVL72) and the Kueue topology plan, as the resolver's second pass over the pools.

A pool of an NVLink-domain type (catalog `nvlink_domain`) is a whole number of domains or says it is partial, is
fixed-size, and is bought the only way the type is sold (`sold_as`). DRA needs resource.k8s.io/v1 (Kubernetes 1.34,
k8s-ai-2026.md §5.1). Kueue TAS counts only Ready nodes (§4.2), so every pool under a TAS flavor is fixed-size (§9.3).
"""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Any

from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec

DRA_MIN_KUBERNETES = (1, 34)
HOSTNAME = "kubernetes.io/hostname"


@functools.lru_cache(maxsize=1)
def topology_table() -> dict[str, dict[str, Any]]:
    from aiinfra.catalog import _read_yaml

    data = _read_yaml("topology.yaml")
    assert isinstance(data, dict)
    clouds: dict[str, dict[str, Any]] = data["clouds"]
    for cloud, row in clouds.items():
        levels = row["levels"]
        if levels and (levels[-1] != HOSTNAME or HOSTNAME in levels[:-1] or row.get("preferred") not in levels):
            raise ValueError(f"topology.yaml {cloud}: levels must end with {HOSTNAME} and contain `preferred`")
    return clouds


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def _sold_as(spec: EnvironmentSpec, path: str, pool: ResolvedPool, wanted: Any) -> list[Problem]:
    if wanted.reservation_kind == "capacity-block" and wanted.capacity == "reserved":
        return []
    sizes = " or ".join(f"{n} nodes" for n in (pool.nvlink_domain.sizes or [pool.nvlink_domain.nodes])) if pool.nvlink_domain else "its block size"
    return [
        Problem(
            f"{path}.capacity",
            f"{pool.instance_type} ({pool.gpu}) is sold on {spec.cloud} only through Capacity Blocks, but this pool asks for {wanted.capacity} capacity",
            f"buy a Capacity Block ({sizes}), then set capacity: reserved, zone: <the block's zone>, reservation: {{id: cr-..., kind: capacity-block}}",
            wanted.capacity,
        )
    ]


def _domain_size(path: str, pool: ResolvedPool, wanted: Any) -> list[Problem]:
    d = pool.nvlink_domain
    problems = []
    if pool.nodes_min != pool.nodes_max:
        problems.append(
            Problem(
                f"{path}.nodes",
                f"an NVLink-domain pool ({pool.instance_type}) is fixed-size: its racks are reserved whole and Kueue places gangs only on Ready nodes; nodes says {pool.nodes_min}..{pool.nodes_max}",
                f"write nodes: {pool.nodes_max}",
                pool.nodes_max,
            )
        )
    elif wanted.nvlink_domains == "whole" and pool.nodes_max % d.unit:
        sizes = " or ".join(str(n) for n in (d.sizes or [d.nodes]))
        up = -(-pool.nodes_max // d.unit) * d.unit
        problems.append(
            Problem(
                f"{path}.nodes",
                f"{pool.nodes_max} nodes of {pool.instance_type} split an NVLink domain: one domain is {sizes} nodes ({d.nodes} nodes x {pool.gpus_per_node} GPUs = NVL{d.nodes * pool.gpus_per_node}), so a pool is a multiple of {d.unit}",
                f"set nodes: {up}, or nvlink_domains: partial for a pool that is part of a domain",
                pool.nodes_max,
            )
        )
    return problems


def _topology(spec: EnvironmentSpec, pools: list[ResolvedPool], index: dict[str, int]) -> tuple[tuple[str, tuple[str, ...]] | None, dict[str, tuple[str, str]], list[Problem], list[Problem]]:
    """The Topology to create and each training pool's request, with the problems and notes."""
    row = topology_table().get(spec.cloud, {"levels": [], "why": "no topology labels are known", "source": ""})
    want = spec.mlops.topology_aware
    nvlink = [p for p in pools if p.nvlink_domain is not None]
    problems: list[Problem] = []
    notes: list[Problem] = []
    if want and not row["levels"]:
        problems.append(
            Problem("mlops.topology_aware", f"Kueue topology-aware scheduling is not offered on {spec.cloud}: {row['why']}", "remove mlops.topology_aware (or set it false), or train on GKE or EKS", True)
        )
    if want and not spec.mlops.queueing:
        problems.append(Problem("mlops.topology_aware", "topology-aware scheduling is a Kueue feature, and mlops.queueing is off", "set mlops.queueing: true, or remove mlops.topology_aware", True))
    if want is False or not spec.mlops.queueing or not row["levels"]:
        if nvlink and want is None and spec.mlops.queueing and not row["levels"]:
            notes.append(Problem("mlops.topology_aware", f"no Kueue topology-aware scheduling on {spec.cloud} ({row['why']}): NVLink pools' jobs rely on their ComputeDomain alone"))
        return None, {}, problems, notes
    chosen = [p for p in pools if p.gpu and p.multi_node] if want else nvlink
    if not chosen:
        return None, {}, problems, notes
    requests = {}
    for p in chosen:
        level = p.nvlink_domain.tas_level if p.nvlink_domain is not None else None
        requests[p.name] = ("required", level) if level else ("preferred", row["preferred"])
        if p.nodes_min != p.nodes_max and p.nvlink_domain is None:
            problems.append(
                Problem(
                    f"node_pools[{index[p.name]}].nodes",
                    f"Kueue topology-aware scheduling counts only Ready nodes, so a pool under it must be fixed-size; nodes says {p.nodes_min}..{p.nodes_max}",
                    f"write nodes: {p.nodes_max}, or set mlops.topology_aware: false",
                    p.nodes_max,
                )
            )
    return (row["name"], tuple(row["levels"])), requests, problems, notes


def check(spec: EnvironmentSpec, pools: list[ResolvedPool]) -> tuple[list[ResolvedPool], tuple[str, tuple[str, ...]] | None, list[Problem], list[Problem]]:
    """(pools with their TAS requests, the Topology, problems, notes)."""
    from aiinfra import catalog

    cat = catalog.cloud_catalog(spec.cloud)
    index = {p.name: i for i, p in enumerate(spec.node_pools)}
    problems: list[Problem] = []
    for p in pools:
        if p.name not in index or p.system:
            continue
        path, wanted = f"node_pools[{index[p.name]}]", spec.node_pools[index[p.name]]
        it = cat.instance_types.get(p.instance_type)
        if it is not None and it.sold_as == "capacity-block":
            problems += _sold_as(spec, path, p, wanted)
        if p.nvlink_domain is not None:
            problems += _domain_size(path, p, wanted)
        elif wanted.nvlink_domains != "whole":
            problems.append(Problem(f"{path}.nvlink_domains", f"nvlink_domains is for GB200/GB300 rack pools, and {p.instance_type} is not one", "remove nvlink_domains", wanted.nvlink_domains))
        if p.dra and p.family != "nvidia":
            problems.append(Problem(f"{path}.dra", f"dra allocates NVIDIA GPUs (the NVIDIA DRA driver); this pool has {p.gpu or 'no GPU'}", "remove dra", True))
    dra = [p.name for p in pools if p.dra_driver]
    if dra and _version(spec.cluster.kubernetes_version) < DRA_MIN_KUBERNETES:
        problems.append(
            Problem(
                "cluster.kubernetes_version",
                f"Kubernetes {spec.cluster.kubernetes_version} has no resource.k8s.io/v1, which DRA needs (GA in 1.34); pools using the NVIDIA DRA driver: {', '.join(dra)}",
                'set cluster.kubernetes_version: "1.34" or later, or remove dra from the pools',
                spec.cluster.kubernetes_version,
            )
        )
    topology, requests, found, notes = _topology(spec, [p for p in pools if not p.system], index)
    problems += found
    pools = [dataclasses.replace(p, topology_request=requests[p.name]) if p.name in requests else p for p in pools]
    return pools, topology, problems, notes
