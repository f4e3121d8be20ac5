"""The plan's vocabulary: releases, objects, manifests and the labels and tolerations they share."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Mapping

from aiinfra.components.kubernetes.charts import ChartRef, chart, manifest
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool

GPU_RESOURCE = "nvidia.com/gpu"


GPU_TOLERATION = {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}


CONTROL_PLANE_TOLERATION = {"key": "node-role.kubernetes.io/control-plane", "operator": "Equal", "value": "", "effect": "NoSchedule"}


PRIVILEGED = {"pod-security.kubernetes.io/enforce": "privileged"}


@dataclass
class Release:
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    namespace: str | None = None
    after: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """The chart's static values (charts.yaml) under what the add-on computed for this environment; the computed
        values are laid on as they are (they may hold Pulumi Outputs, which cannot be copied)."""
        if self.ref.values:
            self.values = _overlay(copy.deepcopy(self.ref.values), self.values)

    @property
    def ref(self) -> ChartRef:
        return chart(self.key)

    @property
    def ns(self) -> str:
        ns = self.namespace or self.ref.namespace
        assert ns, self.key
        return ns


@dataclass
class KubeObject:
    """A Kubernetes object the platform applies itself; `after` names releases (or objects) it waits for."""

    key: str
    body: dict[str, Any]
    after: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def api_version(self) -> str:
        return self.body["apiVersion"]


@dataclass
class Manifest:
    key: str
    after: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return manifest(self.key).url


@dataclass
class GpuNetwork:
    """An extra GKE network for GPU NICs (gpu-fabrics.md §1.3): device_mode NetDevice (gVNIC) or RDMA."""

    name: str
    vpc: Any  # the network's name, or the Output of one (components/gcp/network.py)
    subnet: Any
    device_mode: str = "NetDevice"


@dataclass
class Plan:
    releases: list[Release] = field(default_factory=list)
    objects: list[KubeObject] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def release(self, key: str) -> Release:
        return next(r for r in self.releases if r.key == key)

    def has(self, key: str) -> bool:
        return any(r.key == key for r in self.releases)

    def object(self, key: str) -> KubeObject:
        return next(o for o in self.objects if o.key == key)


def _overlay(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    for k, v in over.items():
        base[k] = _overlay(base[k], v) if isinstance(v, Mapping) and isinstance(base.get(k), dict) else v
    return base


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) else copy.deepcopy(v)
    return out


def pool_selector(env: ResolvedEnvironment, pool: ResolvedPool) -> dict[str, str]:
    """The node labels the pool's nodes carry: the spec's pool name (node_labels in each cloud's gpu_pool.py) or, on
    an existing cluster, labels they already have (ResolvedPool.selector); and on GKE the pool's ComputeClass, which
    pending pods must select for GKE to create its fallback node pools."""
    from aiinfra.manifests.fabric import class_selector

    return {**pool.selector, **class_selector(pool)}


def taint_tolerations(env: ResolvedEnvironment, pools: list[ResolvedPool]) -> list[dict[str, str]]:
    """Tolerations for the taints the cloud itself puts on these pools' nodes (AKS spot), as resolved per pool."""
    return env.tolerations(pools)


def fabric_kinds(env: ResolvedEnvironment) -> set[str]:
    return {p.fabric_kind for p in env.gpu_pools if p.fabric_kind}


def family_pools(env: ResolvedEnvironment, family: str) -> list[ResolvedPool]:
    """The accelerator pools of one family (nvidia, tpu, neuron, amd); a pool resolved without a family is NVIDIA."""
    return [p for p in env.gpu_pools if (p.family or "nvidia") == family]


def family_selector(env: ResolvedEnvironment, family: str) -> dict[str, str]:
    """What a DaemonSet on every node of one accelerator family selects: aiinfra's `accelerator` node label, or where
    every pool of the family is selected by labels its nodes already carry (cloud: existing), the labels those
    selectors share (one pool: its selector)."""
    pools = family_pools(env, family)
    if pools and all(p.node_selector for p in pools):
        shared = dict(set.intersection(*(set(p.node_selector.items()) for p in pools)))
        if shared:
            return shared
    return {"accelerator": family}


def accelerator_toleration(pool: ResolvedPool) -> dict[str, str]:
    """Tolerate the pool's accelerator taint whatever its value (GPU_TOLERATION for NVIDIA pools)."""
    t = pool.accelerator_taint
    if t is None:
        return dict(GPU_TOLERATION)
    return {"key": t.key, "operator": "Exists", "effect": t.effect}


def unique_tolerations(items: list[dict[str, str]]) -> list[dict[str, str]]:
    """Tolerations once each, in the order first given (dicts, so no set)."""
    out: list[dict[str, str]] = []
    for i in items:
        if i not in out:
            out.append(i)
    return out
