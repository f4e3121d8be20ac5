"""A cluster snapshot (`kubectl get nodes -o json`, a v1 NodeList, or what `aiinfra discover` writes) read as a
cloud catalog: one instance type per distinct node shape, the kubeconfig context as the one region. The catalog of
a cluster aiinfra did not create (components/existing/profile.py catalog_for).

Which accelerator a node carries is data (data/node_labels.yaml: label order, count resources, name normalisation),
read by the one parser here; names are the catalog's (data/gpus.yaml)."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiinfra.problems import Problem

ZONE_LABEL = "topology.kubernetes.io/zone"
TYPE_LABEL = "node.kubernetes.io/instance-type"
HARD = ("NoSchedule", "NoExecute")
CPU_PRICE_KEY = "CPU"  # existing.prices key of a CPU-only node's hourly price


class SnapshotError(Exception):
    """The snapshot file cannot be used: `problems` say why, with the spec path existing.snapshot."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


@functools.lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    from aiinfra.catalog import _read_yaml

    return _read_yaml("node_labels.yaml")


def normalise(value: str) -> str | None:
    """A label value as the catalog's GPU name (NVIDIA-H100-80GB-HBM3 -> H100); None: not an accelerator it knows."""
    from aiinfra import catalog

    r = rules()
    text = re.sub(r"[_\s]+", "-", value.strip().lower())
    if any(m in f"-{text}-" for m in r["partial_markers"]):
        return None
    words = [w for w in text.split("-") if w]
    while words and words[0] in r["drop_leading"]:
        words.pop(0)
    for end in range(len(words), 0, -1):
        found = catalog.canonical_gpu("-".join(words[:end]))
        if found:
            return found
    return None


def _instance_type_gpu(value: str) -> tuple[str, int] | None:
    known = rules()["instance_types"].get(value)
    if known:
        return known["gpu"], int(known["count"])
    from aiinfra import catalog, clouds

    for cloud in clouds.names():  # the shipped files: never a catalog a snapshot installed
        it = catalog._cloud_catalog(cloud, catalog.overlay.stamp()).instance_types.get(value)
        if it is not None and it.gpu:
            return it.gpu, it.gpu_count
    return None


def quantity(text: Any) -> float:
    """A Kubernetes quantity (500m, 16Gi, 1.5e3, 8) as a number."""
    s = str(text).strip()
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
    for suffix in sorted(units, key=len, reverse=True):
        if s.endswith(suffix) and s[: -len(suffix)]:
            return float(s[: -len(suffix)]) * units[suffix]
    return float(s)


@dataclass(frozen=True)
class Node:
    name: str
    labels: dict[str, str]
    gpu: str | None  # catalog name, None for a CPU node (or an accelerator of unknown model)
    count: int
    resource: str | None  # the extended resource that counts them
    vcpus: float  # allocatable
    memory_gib: float  # allocatable
    taints: tuple[tuple[str, str, str], ...]
    schedulable: bool
    unknown_accelerator: str | None = None  # why a node with accelerators has no model
    advertised: frozenset[str] = frozenset()  # extended resources the node offers (rdma/ib, nvidia.com/gpu, ...)

    @property
    def shape(self) -> str:
        """The instance type this node counts as: its instance-type label, else a synthesised name."""
        if self.labels.get(TYPE_LABEL):
            return self.labels[TYPE_LABEL]
        head = f"{self.gpu.lower()}x{self.count}-" if self.gpu else "cpu-"
        return f"{head}{int(self.vcpus)}c-{int(self.memory_gib)}g"

    def usable(self, tolerated: set[str]) -> bool:
        """Schedulable, and every hard taint is one aiinfra's pods tolerate (the accelerator's own)."""
        return self.schedulable and all(effect not in HARD or key in tolerated for key, _, effect in self.taints)


def read_node(item: dict[str, Any]) -> Node:
    meta = item.get("metadata") or {}
    status = item.get("status") or {}
    spec = item.get("spec") or {}
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    alloc = status.get("allocatable") or status.get("capacity") or {}
    r = rules()
    resource = next((k for k in r["count_resources"] if quantity(alloc.get(k, 0)) > 0), None)
    count = int(quantity(alloc[resource])) if resource else next((int(labels[k]) for k in r["count_labels"] if labels.get(k, "").isdigit()), 0)
    gpu = None
    for entry in r["type_labels"]:
        value = labels.get(entry["label"])
        if not value:
            continue
        if entry.get("via") == "instance_type":
            hit = _instance_type_gpu(value)
            gpu, count = (hit[0], count or hit[1]) if hit else (None, count)
        else:
            gpu = normalise(value)
        if gpu:
            break
    unknown = None
    if gpu is None and (count or any(labels.get(k) == "true" for k in r["presence_labels"])):
        unknown = "accelerators present, model not labelled: no " + ", ".join(e["label"] for e in r["type_labels"][:2]) + " label"
        count = 0
    taints = tuple((str(t.get("key")), str(t.get("value") or ""), str(t.get("effect"))) for t in spec.get("taints") or [])
    return Node(
        name=str(meta.get("name")), labels=labels, gpu=gpu, count=count if gpu else 0, resource=resource if gpu else None,
        vcpus=quantity(alloc.get("cpu", 0)), memory_gib=quantity(alloc.get("memory", 0)) / 2**30, taints=taints,
        schedulable=not spec.get("unschedulable"), unknown_accelerator=unknown,
        advertised=frozenset(k for k, v in alloc.items() if "/" in k and quantity(v) > 0),
    )


@dataclass
class Snapshot:
    path: str
    nodes: list[Node]
    context: str | None = None
    releases: list[dict[str, str]] = field(default_factory=list)  # {name, namespace, chart, version}
    cluster_wide: bool | None = None  # may the credentials install cluster-wide objects (None: not checked)
    cluster_uid: str | None = None

    def shapes(self) -> dict[str, list[Node]]:
        out: dict[str, list[Node]] = {}
        for node in sorted(self.nodes, key=lambda n: n.name):
            out.setdefault(node.shape, []).append(node)
        return out

    def summary(self) -> str:
        """What the cluster has, per accelerator and count: '2 nodes with 8 × H100, 3 CPU nodes'."""
        groups: dict[str, int] = {}
        for n in self.nodes:
            key = f"{n.count} × {n.gpu}" if n.gpu else "CPU"
            groups[key] = groups.get(key, 0) + 1
        parts = [f"{c} node{'s' * (c != 1)} with {k}" for k, c in groups.items() if k != "CPU"]
        if "CPU" in groups:
            parts.append(f"{groups['CPU']} CPU node{'s' * (groups['CPU'] != 1)}")
        return ", ".join(parts) or "no nodes"

    def installed_charts(self) -> set[str]:
        return {str(r.get("chart", "")) for r in self.releases}


def parse(data: Any, path: str) -> Snapshot:
    """A v1 NodeList (kind NodeList, or the List `kubectl get nodes -o json` prints) with aiinfra's extras."""
    where = "existing.snapshot"
    kind = data.get("kind") if isinstance(data, dict) else None
    items = data.get("items") if isinstance(data, dict) else None
    if kind not in ("NodeList", "List") or not isinstance(items, list):
        got = f"kind {kind!r}" if kind else type(data).__name__
        raise SnapshotError([Problem(where, f"{path} is not a v1 NodeList (got {got})", "write it with `kubectl get nodes -o json > FILE` or `aiinfra discover --context C -o FILE`", path)])
    others = sorted({str(i.get("kind")) for i in items if not isinstance(i, dict) or i.get("kind", "Node") != "Node"})
    if others:
        raise SnapshotError([Problem(where, f"{path} lists {', '.join(others)}, not only Nodes", "write it with `kubectl get nodes -o json`", path)])
    if not items:
        raise SnapshotError([Problem(where, f"{path} lists no nodes", "discover a cluster that has nodes", path)])
    extra = data.get("aiinfra") or {}
    return Snapshot(path, [read_node(i) for i in items], extra.get("context"), list(extra.get("helm_releases") or []), extra.get("cluster_wide"), extra.get("cluster_uid"))


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> Snapshot:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SnapshotError([Problem("existing.snapshot", f"cannot read {path}: {err.__class__.__name__}", "write it with `aiinfra discover --context C -o FILE`", path)]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SnapshotError([Problem("existing.snapshot", f"{path} is not JSON (line {err.lineno}: {err.msg})", "write it with `kubectl get nodes -o json`", path)]) from None
    return parse(data, path)


def load(path: str | Path) -> Snapshot:
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        raise SnapshotError([Problem("existing.snapshot", f"{path} does not exist", "write it with `aiinfra discover --context C -o FILE`", str(path))]) from None
    return _load(str(p), mtime)


def catalog_data(cloud: str, snap: Snapshot, region: str, prices: dict[str, float], as_of: str) -> dict[str, Any]:
    """The snapshot as a catalog file's data (aiinfra.catalog.models.CloudCatalog): its shapes are the instance types."""
    from aiinfra import catalog

    allowed = tolerated()
    zones = sorted({n.labels[ZONE_LABEL] for n in snap.nodes if n.labels.get(ZONE_LABEL)})
    types: dict[str, Any] = {}
    for name, nodes in snap.shapes().items():
        first = nodes[0]
        per_gpu = prices.get(first.gpu) if first.gpu else None
        hourly = per_gpu * first.count if per_gpu is not None else (prices.get(CPU_PRICE_KEY) if not first.gpu else None)
        usable = [n for n in nodes if n.usable(allowed)]
        here = sorted({n.labels[ZONE_LABEL] for n in usable if n.labels.get(ZONE_LABEL)})
        types[name] = {
            "gpu": first.gpu, "gpu_count": first.count,
            "gpu_memory_gib": catalog.gpus()[first.gpu].memory_gib if first.gpu else None,
            "vcpus": max(1, int(min(n.vcpus for n in nodes))), "memory_gib": max(0.5, round(min(n.memory_gib for n in nodes), 2)),
            "regions": {region: {"on_demand": hourly}} if usable else {},
            "zones": {region: here} if here else {},
            "price_source": "spec", "notes": f"{len(usable)} of {len(nodes)} nodes schedulable for aiinfra",
        }
    cpu = [n for n, nodes in snap.shapes().items() if not nodes[0].gpu and any(x.usable(allowed) for x in nodes)]
    system = max(cpu, key=lambda n: len(snap.shapes()[n]), default=None) or next(iter(types))
    return {
        "cloud": cloud, "instance_type_pattern": ".+", "instance_type_example": next(iter(types)), "reference_region": region,
        "sources": {"spec": {"what": "existing.prices in the spec (per accelerator-hour); nodes from the snapshot", "as_of": as_of}},
        "regions": {region: zones}, "fixed_costs": {}, "instance_types": types,
        "system_pool": {"instance_type": system, "nodes": max(1, sum(1 for n in snap.shapes()[system] if n.usable(allowed)))},
    }


def tolerated() -> set[str]:
    """Taint keys aiinfra's pods tolerate on accelerator nodes: each family's taint (catalog/data/accelerators.yaml)."""
    from aiinfra.resolve import accelerators

    return {f.taint.key for f in accelerators.data().families.values()}
