"""The policy contract: each components/<cloud>/policy.py declares `RULES` (aiinfra.policy.model.Rule over its
resource types) and `POOLS` (type token -> PoolView reader of its node-pool resource); node pools of any cloud are
read here as PoolViews."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from aiinfra.policy.model import PoolView, Resource


@lru_cache(maxsize=1)
def cloud_modules() -> tuple:
    """components/<cloud>/policy.py of every registered cloud: its RULES and its POOLS readers (every cloud has
    one; tests/components/test_cloud_folders.py holds each cloud folder to the base's file set)."""
    from aiinfra import clouds

    return tuple(clouds.module(name, "policy") for name in clouds.names())


KARPENTER_NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"


def karpenter_pool(r: Resource) -> PoolView:
    """A Karpenter NodePool (EKS Karpenter, AKS NAP): no minimum, since nodes come only for pending pods. Its
    maximum is aiinfra's `aiinfra.dev/nodes-max` annotation (AKS), else the accelerator limit over the per-node
    count (EKS), else 1; its zones are the zone requirement."""
    spec = r.get("spec") or {}
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels") or {}
    needs = {q.get("key"): q.get("values") or [] for q in (template.get("spec") or {}).get("requirements") or [] if isinstance(q, dict)}
    meta = r.get("metadata") or {}
    per_node = int(labels.get("aiinfra.dev/gpu-count") or 0)
    gpus = next((int(v) for k, v in (spec.get("limits") or {}).items() if k not in ("cpu", "memory")), 0)
    annotated = (meta.get("annotations") or {}).get("aiinfra.dev/nodes-max")
    nodes_max = int(annotated) if annotated is not None else (gpus // per_node if per_node and gpus else 1)
    taints = tuple(f"{t.get('key')}={t.get('value')}:{t.get('effect')}" if t.get("value") else f"{t.get('key')}:{t.get('effect')}"
                   for t in (template.get("spec") or {}).get("taints") or [])
    return PoolView(
        # A NodePool whose types differ in GPU drops aiinfra.dev/gpu but keeps the accelerator label (components/aws/karpenter_plan.py).
        name=labels.get("aiinfra.dev/pool", meta.get("name", r.name)), gpu="accelerator" in labels or "aiinfra.dev/gpu" in labels,
        spot=needs.get("karpenter.sh/capacity-type") == ["spot"], nodes_min=0, nodes_max=nodes_max, taints=taints,
        fabric=labels.get("aiinfra.dev/fabric"), placement_domains=len(needs.get("topology.kubernetes.io/zone", [])), labels=labels, needs="karpenter",
    )


def readers() -> dict[str, Callable[[Resource], PoolView]]:
    return {KARPENTER_NODE_POOL: karpenter_pool, **{token: read for m in cloud_modules() for token, read in m.POOLS.items()}}


def pool_types() -> tuple[str, ...]:
    return tuple(readers())


def view(r: Resource) -> PoolView | None:
    read = readers().get(r.type)
    return read(r) if read else None
