"""`aiinfra offers --apply N`: the spec file moved to one offer, as a spec file, checked before it is written.

The user's file is edited, not regenerated: its keys stay in their order and only what the move changes is
written (cloud, region, and per pool what `offers.moved` translated: a zone or reservation dropped, a pinned
type turned into its GPUs, a `total:` request turned into the shape the offer uses). Comments are not kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiinfra.problems import Problem, SpecError

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment


def _pool_changes(old: Any, new: Any) -> dict[str, Any]:
    """The fields the move changed, as the spec file writes them (None: remove the key)."""
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    if "gpu" in changed and old.accelerator is not None:
        changed["accelerator"] = changed.pop("gpu")
    return changed


def moved_text(path: Path, env: ResolvedEnvironment, row: dict[str, Any]) -> str:
    """The spec file's text moved to the offer `row` (one of `offers(...)["offers"]` or `["borrowed"]`)."""
    import yaml

    from aiinfra.resolve.offers import moved
    from aiinfra.spec.file import read_text

    raw = yaml.safe_load(read_text(path))
    spec = env.written_spec or env.spec
    there, _, problems = moved(spec, row["cloud"], row["region"])
    if there is None:
        raise SpecError(str(path), problems)
    there = there.model_copy(update={"node_pools": [_shaped(p, row) for p in there.node_pools]})
    raw["cloud"], raw["region"] = row["cloud"], row["region"]
    for i, (old, new) in enumerate(zip(spec.node_pools, there.node_pools)):
        pool = raw["node_pools"][i]
        for key, value in _pool_changes(old, new).items():
            if value is None or value is False:
                pool.pop(key, None)
            else:
                pool[key] = value
    return yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, default_flow_style=None)


def _shaped(pool: Any, row: dict[str, Any]) -> Any:
    """A pool that asked for a total or for memory becomes the shape the offer resolved (MODEL:COUNT, nodes)."""
    used = next((p for p in row["pools"] if p["name"] == pool.name), None)
    if used is None or not used.get("shape"):
        return pool
    return pool.model_copy(update={"gpu": used["shape"]["gpu"], "accelerator": None, "nodes": used["shape"]["nodes"]})


def check(text: str, source: str) -> list[Problem]:
    """The problems `validate` would report for this text ([] when it resolves)."""
    import tempfile

    from aiinfra.resolve.resolver import load

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(source).name
        path.write_text(text)
        try:
            load(path)
        except SpecError as err:
            return list(err.problems)
    return []
