"""`aiinfra offers --apply N`: the spec file moved to one offer, as a spec file, checked before it is written.

The user's file is edited, not regenerated (ruamel.yaml's round trip): comments, key order, quoting and layout
stay as written, and only what the move changes is rewritten (cloud, region, and per pool what `offers.moved`
translated: a zone or reservation dropped, a pinned type turned into its GPUs, a `total:` request turned into the
shape the offer uses). A removed key takes its own end-of-line comment with it; comment lines around it stay.
"""

from __future__ import annotations

import io
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


def _flow(value: Any) -> Any:
    """A new value as the examples write short ones: lists and maps inline (`[L4:1, A10:1]`, `{min: 1, max: 4}`)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        node: Any = CommentedMap((k, _flow(v)) for k, v in value.items())
    elif isinstance(value, list):
        node = CommentedSeq(_flow(v) for v in value)
    else:
        return value
    node.fa.set_flow_style()
    return node


def _lines_after(slot: Any) -> str:
    """The whole comment lines ruamel keeps with a key (those before it and after its value), without the key's
    own end-of-line comment."""
    kept = "".join(t.value for t in slot[1] or []) if slot else ""
    if slot and slot[2] is not None and "\n" in slot[2].value:
        kept += slot[2].value.split("\n", 1)[1]
    return kept


def _tail(node: Any) -> str:
    """Comment lines that follow a block collection's last item (ruamel stores them inside it), taken out."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(node, (CommentedMap, CommentedSeq)) or not node or node.fa.flow_style():
        return ""
    last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
    slot = node.ca.items.get(last)
    if slot is not None and slot[2] is not None and "\n" in slot[2].value:
        eol, kept = slot[2].value.split("\n", 1)
        slot[2].value = eol + "\n"
        return kept
    return _tail(node[last])


def _keep(mapping: Any, keys: list[Any], i: int, text: str) -> None:
    """Put comment lines back where key i was: before the key that now follows, or after the one before."""
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if not text:
        return
    if i < len(keys):
        slot = mapping.ca.items.setdefault(keys[i], [None, None, None, None])
        slot[1] = [CommentToken(text, CommentMark(0)), *(slot[1] or [])]
        return
    slot = mapping.ca.items.setdefault(keys[i - 1], [None, None, None, None])
    if slot[2] is None:
        slot[2] = CommentToken("\n" + text, CommentMark(0))
    else:
        slot[2].value += text


def _set(mapping: Any, key: str, value: Any) -> None:
    """Set a key to a new value, or remove it (None/False), keeping the comment lines that are not its own."""
    keys = list(mapping)
    if value is None or value is False:
        if key in mapping:
            i = keys.index(key)
            kept = _tail(mapping[key]) + _lines_after(mapping.ca.items.pop(key, None))
            del mapping[key]
            _keep(mapping, [k for k in keys if k != key], i, kept)
    elif mapping.get(key) != value:
        kept = _tail(mapping[key]) if key in mapping else ""
        mapping[key] = _flow(value)
        _keep(mapping, keys, keys.index(key) + 1 if key in keys else len(keys) + 1, kept)


def _yaml_like(text: str) -> Any:
    """A round-trip YAML that writes `text` back byte for byte when nothing changed: its indentation found by
    trying the layouts specs use (ruamel guesses the sequence indent only), else the guess."""
    from ruamel.yaml import YAML
    from ruamel.yaml.util import load_yaml_guess_indent

    _, seq, offset = load_yaml_guess_indent(text)
    layouts = [(m, seq or m, offset or 0) for m in (2, 4, 3)] + [(2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4)]
    for mapping, sequence, off in layouts:
        yaml = _round_trip(YAML(), mapping, sequence, off)
        out = io.StringIO()
        yaml.dump(yaml.load(text), out)
        if out.getvalue() == text:
            return yaml
    return _round_trip(YAML(), *layouts[0])


def _round_trip(yaml: Any, mapping: int, sequence: int, offset: int) -> Any:
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line the user wrote
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    return yaml


def moved_text(path: Path, env: ResolvedEnvironment, row: dict[str, Any]) -> str:
    """The spec file's text moved to the offer `row` (one of `offers(...)["offers"]` or `["borrowed"]`)."""
    from aiinfra.resolve.offers import moved
    from aiinfra.spec.file import read_text

    text = read_text(path)
    spec = env.written_spec or env.spec
    there, _, problems = moved(spec, row["cloud"], row["region"])
    if there is None:
        raise SpecError(str(path), problems)
    there = there.model_copy(update={"node_pools": [_shaped(p, row) for p in there.node_pools]})
    yaml = _yaml_like(text)
    raw = yaml.load(text)
    _set(raw, "cloud", row["cloud"])
    _set(raw, "region", row["region"])
    for i, (old, new) in enumerate(zip(spec.node_pools, there.node_pools)):
        pool = raw["node_pools"][i]
        for key, value in _pool_changes(old, new).items():
            _set(pool, key, value)
    out = io.StringIO()
    yaml.dump(raw, out)
    return out.getvalue()


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
