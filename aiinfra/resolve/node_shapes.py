"""The node shapes a pool may launch, as the fit check (aiinfra.resolve.fit) and pod sizing (aiinfra.manifests.data) see
them: the labels its nodes carry (aiinfra's, the user's, the cloud's), its taints, and its allocatable resources from
the cloud's reservation formula (components/<cloud>/allocatable.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from aiinfra.resolve.result import POOL_LABEL, ResolvedEnvironment, ResolvedPool

ARCH_LABEL = "kubernetes.io/arch"
KUBE_ARCH = {"x86_64": "amd64", "arm64": "arm64"}  # the catalog's CPU architecture as Go (and so the kubelet) names it


@dataclass(frozen=True)
class TypeFacts:
    """One instance type a pool may launch."""

    instance_type: str
    vcpus: int
    memory_gib: float
    accelerators: int

    @classmethod
    def of(cls, pool: ResolvedPool) -> TypeFacts:
        return cls(pool.instance_type, pool.vcpus, pool.memory_gib, pool.gpus_per_node)


@dataclass(frozen=True)
class NodeShape:
    pool: str
    instance_type: str
    labels: dict[str, frozenset[str]]  # label -> the values nodes of this shape may carry
    taints: tuple[tuple[str, str, str], ...]  # (key, value, effect)
    allocatable: dict[str, float | None]  # cpu in cores, memory in bytes, extended resources in units; None: unknown
    notes: tuple[str, ...] = ()

    def describe(self, resource: str) -> str:
        q = self.allocatable.get(resource)
        return "unknown" if q is None else show(resource, q)


def cloud_facts(cloud: str):
    from aiinfra import clouds

    return clouds.module(cloud, "allocatable")


def show(resource: str, q: float) -> str:
    if resource == "memory":
        return f"{q / 2**30:.2f} GiB"
    if resource == "cpu":
        return f"{q:.3g} CPU" if q >= 1 else f"{round(q * 1000)}m CPU"
    return f"{q:g}"


def node_labels(env: ResolvedEnvironment, pool: ResolvedPool) -> dict[str, str]:
    """The labels aiinfra puts on the pool's nodes (components/<cloud>/gpu_pool.node_labels, cluster system pools);
    none where its pods select labels the nodes already carry (ResolvedPool.node_selector, cloud: existing)."""
    if pool.node_selector:
        return {}
    from aiinfra.components.base.gpu_pool import PoolCommon
    from aiinfra.components.base.gpu_pool import node_labels as common_labels

    facts = cloud_facts(env.spec.cloud)
    common = common_labels(pool.name, PoolCommon.from_resolved(pool), accelerator_label=facts.ACCELERATOR_LABEL_SET)
    if pool.system:
        return {**(common if facts.SYSTEM_COMMON_LABELS else {POOL_LABEL: pool.name}), "aiinfra.dev/role": "system", **pool.labels}
    return {**common, **facts.aiinfra_labels(pool), **pool.labels}


def pool_taints(pool: ResolvedPool) -> tuple[tuple[str, str, str], ...]:
    out = []
    if pool.gpu:
        t = pool.accelerator_taint
        out.append((t.key, t.value, t.effect) if t else ("nvidia.com/gpu", "true", "NoSchedule"))
    return tuple(out + [(t.key, t.value, t.effect) for t in pool.taints])


def shapes(env: ResolvedEnvironment, pool: ResolvedPool, types: Sequence[TypeFacts] | None = None) -> list[NodeShape]:
    """The node shapes a pool may launch: its resolved type, or each of `types` (a provisioner's alternatives)."""
    facts = cloud_facts(env.spec.cloud)
    ours = node_labels(env, pool)
    out = []
    for t in types or [TypeFacts.of(pool)]:
        # The kubelet labels every node with its architecture (Kubernetes well-known label kubernetes.io/arch).
        labels = {ARCH_LABEL: frozenset([KUBE_ARCH.get(pool.architecture, pool.architecture)])}
        labels.update({k: frozenset(v) for k, v in facts.cloud_labels(pool, t.instance_type, env.spec.region).items()})
        labels.update({k: frozenset([v]) for k, v in ours.items()})
        alloc: dict[str, float | None] = {"cpu": None, "memory": None}
        notes: tuple[str, ...] = ()
        if t.vcpus and t.memory_gib:
            r = facts.reserved(t.instance_type, t.vcpus, t.memory_gib)
            alloc = {"cpu": t.vcpus - r.cpu_millicores / 1000, "memory": (t.memory_gib * 1024 - r.memory_mib) * 2**20}
            notes = r.notes
        else:
            notes = (f"{t.instance_type}: vCPUs and memory are not in the catalog",)
        if pool.gpu:
            alloc[pool.accelerator_resource or "nvidia.com/gpu"] = t.accelerators
        alloc.update(facts.extended_resources(env, pool))
        out.append(NodeShape(pool.name, t.instance_type, labels, pool_taints(pool), alloc, notes))
    return out


def all_shapes(env: ResolvedEnvironment) -> list[NodeShape]:
    return [s for p in env.pools for s in shapes(env, p)]
