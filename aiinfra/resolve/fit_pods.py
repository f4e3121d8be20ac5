"""The pods the fit check (aiinfra.resolve.fit) looks at: pod templates in rendered manifests (the reference workload, the
fabric tests, the data layer's RayJob) and in the platform's plan (its own objects, the chart values where aiinfra
sets a nodeSelector or affinity, Kueue's ResourceFlavors)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from aiinfra.resolve.result import ResolvedEnvironment

UNITS = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "m": 1e-3}

PLACEHOLDER_IMAGE = "fit-check.invalid/image:0"


@dataclass
class Pod:
    """A pod template as the scheduler sees it: it fits the environment when it fits one of its node shapes."""

    path: str
    selector: dict[str, str]
    affinity: list[list[dict[str, Any]]]  # required nodeSelectorTerms (OR) of matchExpressions (AND)
    tolerations: list[dict[str, Any]]
    requests: dict[str, float]


def quantity(text: Any) -> float:
    """A Kubernetes quantity ("500m", "4Gi", "2", 8) as a number (cores, bytes, units)."""
    s = str(text).strip()
    m = re.fullmatch(r"([0-9.]+(?:[eE][0-9]+)?)([A-Za-z]*)", s)
    if not m or (m.group(2) and m.group(2) not in UNITS):
        raise ValueError(f"not a Kubernetes quantity: {text!r}")
    return float(m.group(1)) * UNITS.get(m.group(2), 1)


def iter_pods(obj: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod spec (a mapping with a containers list) inside a manifest, with its path."""
    if isinstance(obj, dict):
        if isinstance(obj.get("containers"), list):
            yield path, obj
            return
        for k, v in obj.items():
            yield from iter_pods(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from iter_pods(v, f"{path}[{i}]")


def container_requests(containers: list[dict[str, Any]]) -> dict[str, float]:
    """Summed requests; a resource with only a limit requests the limit (Kubernetes' defaulting)."""
    out: dict[str, float] = {}
    for c in containers:
        res = c.get("resources") or {}
        for k, v in {**(res.get("limits") or {}), **(res.get("requests") or {})}.items():
            out[k] = out.get(k, 0) + quantity(v)
    return out


def pod_requests(spec: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, float]:
    """The pod's effective requests: its containers and restartable (sidecar) init containers, at least each
    ordinary init container's (the Kubernetes pod resource formula)."""
    sidecars = [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    total = container_requests(list(spec["containers"]) + sidecars)
    for k, v in container_requests([{"resources": extra}] if extra else []).items():
        total[k] = total.get(k, 0) + v
    for c in spec.get("initContainers") or []:
        if c.get("restartPolicy") != "Always":
            for k, v in container_requests([c]).items():
                total[k] = max(total.get(k, 0), v)
    return total


def required_terms(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    node = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {}
    return [list(t.get("matchExpressions") or []) for t in node.get("nodeSelectorTerms") or []]


def manifest_pods(manifests: list[dict[str, Any]], prefix: str = "") -> Iterator[Pod]:
    for m in manifests:
        kind, meta = m.get("kind", "?"), m.get("metadata") or {}
        where = f"{prefix}{kind} {meta.get('name', '?')}"
        # Kubeflow Trainer sizes the node pod from spec.trainer.resourcesPerNode, not from the runtime patch.
        per_node = ((m.get("spec") or {}).get("trainer") or {}).get("resourcesPerNode") if kind == "TrainJob" else None
        for path, spec in iter_pods(m):
            yield Pod(
                f"{where}: {path}",
                dict(spec.get("nodeSelector") or {}),
                required_terms(spec),
                list(spec.get("tolerations") or []),
                pod_requests(spec, per_node),
            )


def workload_manifests(env: ResolvedEnvironment) -> list[dict[str, Any]]:
    """The reference workload rendered with placeholder names (placement and sizes do not depend on them);
    [] where the spec has no workload to render (its own problems say why)."""
    from aiinfra import clouds
    from aiinfra.manifests.context import Values, render
    from aiinfra.problems import SpecError
    from aiinfra.resolve.workload import plan

    try:
        wp = plan(env)
    except SpecError:
        return []
    scheme = clouds.get(env.spec.cloud).bucket_scheme
    buckets = {b: f"{scheme}://{b}" for b in env.spec.storage.buckets}
    if wp.checkpoint_bucket not in buckets:
        return []
    values = Values(train_image=PLACEHOLDER_IMAGE, serve_image=PLACEHOLDER_IMAGE, bucket_urls=buckets)
    return render(env, values, wp)


def _placed(values: Any, path: str = "values") -> Iterator[tuple[str, dict[str, Any]]]:
    """Blocks of chart values where aiinfra sets a nodeSelector or a node affinity."""
    if isinstance(values, dict):
        if values.get("nodeSelector") or required_terms(values):
            yield path, values
        for k, v in values.items():
            yield from _placed(v, f"{path}.{k}")
    elif isinstance(values, list):
        for i, v in enumerate(values):
            yield from _placed(v, f"{path}[{i}]")


def platform_pods(env: ResolvedEnvironment) -> tuple[list[Pod], list[str]]:
    """(the platform's pods aiinfra places, the releases whose pods it does not place)."""
    from aiinfra.components.kubernetes.addons.plan import plan

    p = plan(env)
    pods: list[Pod] = []
    unseen: list[str] = []
    for r in p.releases:
        blocks = list(_placed(r.values))
        if not blocks:
            unseen.append(r.key)
        for path, block in blocks:
            requests = container_requests([block]) if isinstance(block.get("resources"), dict) else {}
            pods.append(Pod(f"release {r.key}: {path}", dict(block.get("nodeSelector") or {}), required_terms(block), list(block.get("tolerations") or []), requests))
    for o in p.objects:
        if o.kind == "ResourceFlavor":
            spec = o.body.get("spec") or {}
            pods.append(Pod(f"ResourceFlavor {o.body['metadata']['name']}: spec", dict(spec.get("nodeLabels") or {}), [], list(spec.get("tolerations") or []), {}))
        else:
            pods += list(manifest_pods([o.body], "platform "))
    return pods, unseen
