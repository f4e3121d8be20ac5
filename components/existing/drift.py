"""A live `preview`/`up` on an existing cluster: the nodes read again with discovery's read-only calls
(components/existing/discover.py) and compared with the snapshot the preview is built from. A node a pool takes
that is gone, relabelled, resized, newly tainted or cordoned, or another node that a pool's selector now also
selects, refuses the run (exit 2) with each change and the command that records the cluster again. `--offline`,
or a kubeconfig that is not there, keeps the snapshot-only preview and says so."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from aiinfra.problems import Problem


@dataclass(frozen=True)
class Live:
    problems: list[Problem]
    note: str  # what was checked, or why not
    checked: bool


def changes(snap: Any, listed: list[Any], pools: list[Any], volatile: Iterable[str]) -> list[str]:
    """What differs on the nodes the pools take, between the snapshot and the nodes as listed now (both read by
    aiinfra.catalog.snapshot.read_node), labels matching `volatile` aside."""
    from aiinfra.components.existing.selector import text

    ignored = _ignoring(tuple(volatile))
    live = {n.name: n for n in listed}
    before = {n.name: n for n in snap.nodes}
    out: list[str] = []
    for pool in pools:
        for name in pool.selected_nodes:
            old, new = before.get(name), live.get(name)
            if old is None:
                continue
            if new is None:
                out.append(f"node {name} (pool {pool.name}) is gone")
                continue
            keys = sorted(k for k in set(old.labels) | set(new.labels) if not ignored(k))
            for k in keys:
                was, now = old.labels.get(k), new.labels.get(k)
                if was != now:
                    out.append(f"node {name} (pool {pool.name}): label {k} " + (f"{was} -> {now}" if was is not None and now is not None else f"removed (was {was})" if now is None else f"added ({now})"))
            if _size(old) != _size(new):
                out.append(f"node {name} (pool {pool.name}): allocatable {old.vcpus:g} CPU, {old.memory_gib:.1f} GiB, {old.count} × {old.gpu} -> "
                           f"{new.vcpus:g} CPU, {new.memory_gib:.1f} GiB, {new.count} × {new.gpu}")
            for key, value, effect in sorted(set(new.taints) - set(old.taints)):
                out.append(f"node {name} (pool {pool.name}): new taint {key}{'=' + value if value else ''}:{effect}")
            if old.schedulable and not new.schedulable:
                out.append(f"node {name} (pool {pool.name}) is cordoned (unschedulable)")
        if pool.node_selector:
            taken = set(pool.selected_nodes)
            extra = sorted(n for n, node in live.items() if n not in taken and pool.node_selector.items() <= node.labels.items())
            if extra:
                out.append(f"{', '.join(extra)} also carr{'ies' if len(extra) == 1 else 'y'} {text(pool.node_selector)}, which pool {pool.name}'s pods select")
    return out


@functools.lru_cache(maxsize=8)
def _ignoring(volatile: tuple[str, ...]) -> Callable[[str], bool]:
    """Labels that are not drift: volatile ones (node_labels.yaml selector.volatile) and aiinfra's own, which a
    fallback's NodePatch writes; cached per key, since every node repeats them."""
    from aiinfra.components.existing.selector import matches

    return functools.lru_cache(maxsize=4096)(lambda key: matches(key, [*volatile, "aiinfra.dev/*"]))


def _size(node: Any) -> tuple[Any, ...]:
    return round(node.vcpus, 3), round(node.memory_gib, 2), node.gpu, node.count


def check(env: Any, kubeconfig: str, snap: Any, offline: bool, read: Callable[[dict[str, Any]], Any], volatile: Iterable[str]) -> Live:
    """The live comparison, or the note that says why the preview reads the snapshot only. `read` makes a listed
    node what the snapshot holds (the profile passes the snapshot reader, which components do not import)."""
    from pathlib import Path

    context, written, snapshot_path = env.spec.region, env.spec.existing, str(snap.path)  # the note names the paths as the spec writes them
    if offline:
        return Live([], f"--offline: the preview reads {written.snapshot} only, not the cluster", False)
    if not Path(kubeconfig).is_file():
        return Live([], f"{written.kubeconfig} is not here, so the preview reads {written.snapshot} only, not the cluster", False)
    from aiinfra.components.existing import discover

    try:
        items = discover.live_nodes(kubeconfig, context)
    except discover.DiscoverError as err:
        reason = err.problems[0].message if err.problems else str(err)
        return Live([], f"{reason}, so the preview reads {written.snapshot} only", False)
    found = changes(snap, [read(i) for i in items], env.pools, volatile)
    option = "" if kubeconfig.endswith("/.kube/config") else f" --kubeconfig {kubeconfig}"
    hint = f"record the cluster again: aiinfra discover --context {context}{option} -o {snapshot_path}, then review the preview (--offline previews the old snapshot)"
    problems = [Problem("existing.snapshot", f"the cluster changed since {Path(snapshot_path).name} was discovered: {c}", hint, snapshot_path) for c in found]
    taken = sum(len(p.selected_nodes) for p in env.pools)
    return Live(problems, f"live: the {taken} nodes the pools take on {context} match {written.snapshot}", True)

