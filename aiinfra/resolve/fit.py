"""Every pod aiinfra renders fits a node the environment can have.

A pod fits a node shape when its nodeSelector (and required node affinity) matches the labels the shape's nodes
carry (aiinfra's, the user's and the cloud's), every NoSchedule/NoExecute taint is tolerated, and each request is at
most the shape's allocatable (components/<cloud>/allocatable.py). A pool has one shape per instance type it may
launch, so a provisioner with alternatives (Karpenter, ComputeClasses) passes several. Pods aiinfra renders that fit
no shape are errors; charts whose pods aiinfra neither places nor sizes are named in one warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from aiinfra.problems import Problem
from aiinfra.resolve import fit_pods
from aiinfra.resolve.fit_pods import Pod, quantity  # noqa: F401
from aiinfra.resolve.node_shapes import POOL_LABEL, NodeShape, TypeFacts, all_shapes, node_labels, shapes, show  # noqa: F401
from aiinfra.resolve.result import ResolvedEnvironment

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
HARD_EFFECTS = ("NoSchedule", "NoExecute")


@dataclass
class FitReport:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"pods": self.rows, "errors": [p.as_dict() for p in self.errors], "warnings": [p.as_dict() for p in self.warnings]}


def _match(expr: dict[str, Any], labels: dict[str, frozenset[str]]) -> bool:
    have = labels.get(expr.get("key", ""), frozenset())
    op, values = expr.get("operator"), set(expr.get("values") or [])
    if op == "In":
        return bool(have & values)
    if op == "NotIn":
        return not have or bool(have - values)
    if op == "Exists":
        return bool(have)
    if op == "DoesNotExist":
        return not have
    return True  # Gt/Lt: not modelled


def tolerated(taint: tuple[str, str, str], tolerations: Iterable[dict[str, Any]]) -> bool:
    key, value, effect = taint
    for t in tolerations:
        if t.get("effect") not in (None, "", effect):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", key):
            return True
        if t.get("key") == key and t.get("operator", "Equal") == "Equal" and str(t.get("value", "")) == value:
            return True
    return False


def failures(pod: Pod, shape: NodeShape) -> list[tuple[str, str]]:
    """(reason, message) for each condition the pod fails on this shape: selector, taint, or the resource's name."""
    out = []
    for k, v in pod.selector.items():
        if v not in shape.labels.get(k, frozenset()):
            carried = ", ".join(sorted(shape.labels.get(k, ()))) or "no such label"
            out.append(("selector", f"nodeSelector {k}={v}, but the nodes carry {k}: {carried}"))
    if pod.affinity and not any(all(_match(e, shape.labels) for e in term) for term in pod.affinity):
        out.append(("selector", "no required nodeAffinity term matches the nodes' labels"))
    for taint in shape.taints:
        if taint[2] in HARD_EFFECTS and not tolerated(taint, pod.tolerations):
            out.append(("taint", f"taint {taint[0]}={taint[1]}:{taint[2]} is not tolerated"))
    for r, q in pod.requests.items():
        have = shape.allocatable.get(r, 0 if r not in ("cpu", "memory") else None)
        if have is not None and q > have + 1e-9:
            out.append((r, f"{r} request {show(r, q)} exceeds the {shape.describe(r)} allocatable"))
    return out


HINTS = {
    "selector": "select labels the pool's nodes carry (aiinfra.dev/pool names the pool; on an existing cluster, the labels preview shows under provisioning), or drop the user label that overrides them",
    "taint": "add a toleration for the taint, or place the pod on a pool without it",
    "cpu": "size the request from the pool's allocatable (capacity minus the cloud's reservations), or give the pool a larger type (cpus:, instance_type:)",
    "memory": "size the request from the pool's allocatable memory, or give the pool a type with more (memory_gib:, instance_type:)",
}


def hint(reason: str, shape: NodeShape) -> str:
    if reason in HINTS:
        return HINTS[reason]
    return f"request at most {shape.describe(reason)} {reason} per pod on pool {shape.pool}, or use a pool with more per node"


def fit_pod(pod: Pod, shapes_: list[NodeShape]) -> tuple[list[NodeShape], Problem | None]:
    """The shapes the pod fits, or a Problem naming the pool it targets (else every pool) and what fails there."""
    results = [(s, failures(pod, s)) for s in shapes_]
    fits = [s for s, f in results if not f]
    if fits:
        return fits, None
    # The pool it targets: the one its aiinfra.dev/pool names, else those whose labels its selector matches.
    target = pod.selector.get(POOL_LABEL)
    named = [(s, f) for s, f in results if s.pool == target or target is None and pod.selector and all(r != "selector" for r, _ in f)] or results
    parts = [f"pool {s.pool} ({s.instance_type}): {'; '.join(m for _, m in f)}" for s, f in named]
    shape, fails = named[0]
    return [], Problem(pod.path, "fits no node: " + " | ".join(parts), hint(fails[0][0], shape))


def check(env: ResolvedEnvironment, manifests: list[dict[str, Any]] | None = None, platform: bool = True) -> FitReport:
    """Fit the workload's manifests (rendered here with placeholder names when not given) and the platform's pods."""
    report = FitReport()
    shapes_ = all_shapes(env)
    for s in shapes_:
        if s.allocatable.get("cpu") is None:
            report.warnings.append(Problem(f"node_pools.{s.pool}", f"fit check: {s.notes[0]}: its pods' CPU and memory are not checked", "set cpus: and memory_gib:, or use a catalogued type"))
    pods = list(fit_pods.manifest_pods(manifests if manifests is not None else fit_pods.workload_manifests(env)))
    unseen: list[str] = []
    if platform:
        more, unseen = fit_pods.platform_pods(env)
        pods += more
    for pod in pods:
        fits, problem = fit_pod(pod, shapes_)
        report.errors += [problem] if problem else []
        report.rows.append({"pod": pod.path, "fits": sorted({s.pool for s in fits}), "requests": {k: show(k, v) for k, v in pod.requests.items()}})
    if unseen:
        report.warnings.append(
            Problem(
                "mlops",
                f"fit check: the pods of {', '.join(unseen)} are placed and sized by the charts' defaults, which aiinfra does not set: not checked",
                "they land on untainted pools (the system pool); check them after `aiinfra up` with kubectl get pods --field-selector=status.phase=Pending",
            )
        )
    return report


