"""What a node of a pool offers pods: the cloud's labels and taints and its allocatable resources, computed from
each cloud's kubelet reservation formula (components/<cloud>/allocatable.py, data with sources).

allocatable = capacity - kube-reserved - system-reserved - the hard eviction threshold (Kubernetes "Reserve
Compute Resources for System Daemons"). Capacity is the type's nominal vCPUs and memory: the few percent the
kernel keeps for itself before kubelet reports capacity are not modelled, so a fit within that margin can still
fail on a real node."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

MIB = 1024 * 1024


def tiered(total: float, tiers: Sequence[tuple[float | None, float]]) -> float:
    """Reserve a fraction of each successive band of `total` (band width None: the rest), as GKE and EKS do."""
    reserved, start = 0.0, 0.0
    for width, fraction in tiers:
        end = total if width is None else min(total, start + width)
        if end > start:
            reserved += (end - start) * fraction
        start += width or 0
        if width is None or start >= total:
            break
    return reserved


@dataclass(frozen=True)
class Reserved:
    """What the cloud's kubelet configuration keeps from pods on one node; `notes` say what is assumed."""

    cpu_millicores: int
    memory_mib: int  # kube-reserved + system-reserved + the memory.available eviction threshold
    max_pods: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
