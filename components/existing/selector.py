"""Which labels select exactly the nodes an existing pool takes, so that its pods, Kueue flavor and the fit check
select them by labels they already carry and aiinfra writes nothing to the nodes. Where no label (nor pair of
labels) does, the pool falls back to aiinfra's own labels applied by a NodePatch, and the reason says which label
came closest. The order of preference is data: aiinfra/catalog/data/node_labels.yaml `selector`."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class Choice:
    labels: dict[str, str]  # the selector; {} where none selects exactly the nodes
    why_not: str | None = None  # why none does (the fallback's reason)


def matches(key: str, patterns: Iterable[str]) -> bool:
    """A key is one of the patterns; a pattern ending in * is a prefix."""
    return any(key.startswith(p[:-1]) if p.endswith("*") else key == p for p in patterns)


def selectable(key: str, rules: Mapping[str, Any]) -> bool:
    return not matches(key, rules["never"]) and not matches(key, rules["volatile"])


def rank(key: str, rules: Mapping[str, Any]) -> tuple[int, str]:
    prefer = rules["prefer"]
    return next((i for i, p in enumerate(prefer) if matches(key, [p])), len(prefer)), key


def choose(nodes: Mapping[str, Mapping[str, str]], chosen: Iterable[str], rules: Mapping[str, Any]) -> Choice:
    """The selector of the `chosen` node names among all the cluster's `nodes` (name -> labels), by `rules` (the
    `selector` section of node_labels.yaml, which the profile reads): fewest labels, then the preferred keys; where
    none selects exactly them, Choice.why_not names the closest label and what else it selects."""
    taken = set(chosen)
    if not taken:
        return Choice({}, "the pool takes no node")
    shared = set.intersection(*(set(nodes[n].items()) for n in taken))
    candidates = sorted(((k, v) for k, v in shared if selectable(k, rules)), key=lambda kv: rank(kv[0], rules))
    if not candidates:
        return Choice({}, "they share no label (besides per-node and volatile ones)")
    wanted = set(candidates)
    selects: dict[tuple[str, str], set[str]] = {kv: set() for kv in candidates}
    for name, labels in nodes.items():
        for kv in wanted.intersection(labels.items()):
            selects[kv].add(name)
    for size in range(1, int(rules["max_labels"]) + 1):
        for combo in itertools.combinations(candidates, size):
            if set.intersection(*(selects[kv] for kv in combo)) == taken:
                return Choice(dict(combo))
    key, value = min(candidates, key=lambda kv: (len(selects[kv]), rank(kv[0], rules)))
    others = sorted(selects[(key, value)] - taken)
    shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
    return Choice({}, f"the closest, {key}={value}, also selects {len(others)} other node{'s' * (len(others) != 1)} ({shown})")


def text(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in labels.items())
