"""Accelerator families and TPU slices, from catalog/data/accelerators.yaml: what a pool of a model needs on
Kubernetes (resource, taint, labels) and how a TPU topology turns into a machine type and a node count.

The resolver calls pool_facts() once per accelerator pool; components and manifests read the result from
ResolvedPool (family, accelerator_resource, accelerator_taint, topology, accelerator_labels)."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.catalog.models import AcceleratorData, AcceleratorFamily, TpuGeneration
    from aiinfra.spec import NodePool

NVIDIA = "nvidia"


@functools.lru_cache(maxsize=1)
def data() -> AcceleratorData:
    from aiinfra.catalog import _read_yaml
    from aiinfra.catalog.models import AcceleratorData

    return AcceleratorData.model_validate(_read_yaml("accelerators.yaml"))


def family_of(model: str | None) -> str | None:
    """The family of a canonical model (None for a CPU pool); a model outside gpus.yaml is taken as NVIDIA."""
    if not model:
        return None
    from aiinfra import catalog

    gpu = catalog.gpus().get(model)
    return gpu.family if gpu else NVIDIA


def family(name: str) -> AcceleratorFamily:
    return data().families[name]  # type: ignore[index]


@dataclass(frozen=True)
class Slice:
    """One TPU slice shape: its topology, the chips of each node (VM) and how many nodes it takes."""

    topology: str
    chips_per_node: int
    nodes: int

    @property
    def multi_host(self) -> bool:
        return self.nodes > 1


def chips_in(topology: str) -> int:
    return math.prod(int(d) for d in topology.split("x"))


def generation(model: str) -> TpuGeneration | None:
    return data().tpu.generations.get(model)


def slices(model: str) -> list[Slice]:
    gen = generation(model)
    if gen is None:
        return []
    out = [Slice(t, chips, 1) for chips, t in sorted(gen.single_host.items())]
    per = gen.multi_host.chips_per_node
    return out + [Slice(t, per, chips_in(t) // per) for t in gen.multi_host.topologies]


def _node_labels(model: str, topology: str) -> dict[str, str]:
    tpu = data().tpu
    gen = tpu.generations[model]
    return {tpu.accelerator_label: gen.accelerator, tpu.topology_label: topology}


def pool_facts(cloud: str, path: str, pool: NodePool, model: str | None, chips: int) -> tuple[dict[str, Any], list[Problem]]:
    """ResolvedPool fields of a pool's accelerator (and its node count where a TPU topology fixes it), with the
    spec's problems: a topology on a pool that is not a TPU, one the generation does not accept, chips per node
    that no slice of that topology has, `nodes:` contradicting the slice."""
    fam_name = family_of(model)
    if fam_name is None or model is None:
        if pool.topology:
            return {}, [Problem(f"{path}.topology", "topology only shapes TPU slices, and this pool has no accelerator", "remove topology, or set accelerator: TPU-v6e:4", pool.topology)]
        return {}, []
    fam = family(fam_name)
    out: dict[str, Any] = {
        "family": fam_name,
        "accelerator_resource": fam.resource,
        "accelerator_taint": fam.taint.on(cloud, fam.source),
    }
    if generation(model) is None:
        if pool.topology:
            return out, [Problem(f"{path}.topology", f"topology only shapes TPU slices, and {model} is not a TPU (family {fam_name})", "remove topology", pool.topology)]
        return out, []
    field = f"{path}.{pool.accelerator_field}"
    shapes = slices(model)
    if not pool.topology:
        single = next((s for s in shapes if s.nodes == 1 and s.chips_per_node == chips), None)
        if single is None:  # the catalog lists no machine type with this many chips: the resolver said so already
            return out, []
        return {**out, "topology": single.topology, "accelerator_labels": _node_labels(model, single.topology)}, []
    same = [s for s in shapes if s.topology == pool.topology]
    if not same:
        valid = ", ".join(dict.fromkeys(s.topology for s in shapes))
        return out, [Problem(f"{path}.topology", f"{model} slices do not come in {pool.topology}", f"valid {model} topologies: {valid}", pool.topology)]
    shape = next((s for s in same if s.chips_per_node == chips), None)
    if shape is None:
        fits = " or ".join(f"{model}:{s.chips_per_node}" for s in same)
        return out, [Problem(field, f"a {pool.topology} slice of {model} has {', '.join(str(s.chips_per_node) for s in same)} chips per node, not {chips}", f"did you mean {fits}?", f"{model}:{chips}")]
    problems = []
    given = "nodes" in pool.model_fields_set
    if given and not (pool.nodes_max == shape.nodes and pool.nodes_min in (0, shape.nodes)):
        problems.append(
            Problem(
                f"{path}.nodes",
                f"topology {shape.topology} is {shape.nodes} node(s) of {shape.chips_per_node} chips, created and scaled as one; nodes says {pool.nodes_min}..{pool.nodes_max}",
                f"remove nodes (it follows from topology), or write nodes: {shape.nodes} (or {{min: 0, max: {shape.nodes}}} to scale the slice from zero)",
                pool.nodes_max,
            )
        )
    out.update(topology=shape.topology, accelerator_labels=_node_labels(model, shape.topology))
    if not given:
        out.update(nodes_min=shape.nodes, nodes_max=shape.nodes)
    return out, problems


def not_offered_hint(model: str) -> str | None:
    """For a model the spec's cloud lacks: the clouds that have it, where its family is not NVIDIA."""
    if family_of(model) in (None, NVIDIA):
        return None
    from aiinfra import catalog

    by_cloud: dict[str, list[str]] = {}
    for o in catalog.offers(gpu=model):
        by_cloud.setdefault(o.cloud, []).append(o.name)
    if not by_cloud:
        return None
    where = "; ".join(f"{c} ({', '.join(names)})" for c, names in by_cloud.items())
    return f"{model} is offered on {where}: set cloud: {next(iter(by_cloud))} and one of its regions"


def pod_facts(pool: Any) -> dict[str, Any]:
    """The pool's accelerator family as a pod sees it: resource, toleration, processes per node, runtime env,
    torch.distributed backend, vendor image, scheduler (the shape of aiinfra.manifests.fabric.nvidia_facts)."""
    from aiinfra.manifests.templates import _render_leaves

    fam = family(pool.family or NVIDIA)
    ranks = fam.ranks_per_node(pool.gpu or "", pool.gpus_per_node) if pool.gpu else 1
    taint = pool.accelerator_taint
    return {
        "family": (pool.family or NVIDIA) if pool.gpu else None,
        "resource": pool.accelerator_resource or fam.resource,
        "toleration": {"key": taint.key, "operator": "Exists", "effect": taint.effect} if taint else {"key": fam.taint.key, "operator": "Exists", "effect": fam.taint.effect},
        "ranks": max(1, ranks),
        "env": _render_leaves(dict(fam.env), {"ranks": ranks}) if pool.gpu else {},
        "backend": fam.backend if pool.gpu else "gloo",
        "image": fam.image if pool.gpu else None,
        "scheduler_name": fam.scheduler_name if pool.gpu else None,
    }
