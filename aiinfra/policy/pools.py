"""Node pools of any cloud as PoolViews: each cloud's policy module reads its own pool resource type."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Callable

from aiinfra.policy.model import PoolView, Resource


@lru_cache(maxsize=1)
def cloud_modules() -> tuple:
    """aiinfra.policy.<cloud> for every registered cloud that has one (a cloud without rules has none yet)."""
    from aiinfra import clouds

    found = []
    for name in clouds.names():
        try:
            found.append(importlib.import_module(f"aiinfra.policy.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"aiinfra.policy.{name}":
                raise
    return tuple(found)


KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"


def karpenter_pool(r: Resource) -> PoolView:
    """A Karpenter NodePool (EKS Karpenter, AKS NAP): no minimum; its maximum as aiinfra annotates it (else 1)."""
    labels = r.get("spec.template.metadata.labels") or {}
    needs = {q.get("key"): q.get("values") or [] for q in r.get("spec.template.spec.requirements") or [] if isinstance(q, dict)}
    meta = r.get("metadata") or {}
    return PoolView(
        name=labels.get("aiinfra.dev/pool", meta.get("name", r.name)), gpu="aiinfra.dev/gpu" in labels,
        spot=needs.get("karpenter.sh/capacity-type") == ["spot"], nodes_min=0,
        nodes_max=int((meta.get("annotations") or {}).get("aiinfra.dev/nodes-max", 1)),
        taints=tuple(f"{t.get('key')}={t.get('value')}:{t.get('effect')}" if t.get("value") else f"{t.get('key')}:{t.get('effect')}" for t in r.get("spec.template.spec.taints") or []), fabric=labels.get("aiinfra.dev/fabric"),
        placement_domains=len(needs.get("topology.kubernetes.io/zone", [])), labels=labels, needs="karpenter",
    )


def readers() -> dict[str, Callable[[Resource], PoolView]]:
    return {KARPENTER_NODE_POOL: karpenter_pool, **{token: read for m in cloud_modules() for token, read in m.POOLS.items()}}


def pool_types() -> tuple[str, ...]:
    return tuple(readers())


def view(r: Resource) -> PoolView | None:
    read = readers().get(r.type)
    return read(r) if read else None
