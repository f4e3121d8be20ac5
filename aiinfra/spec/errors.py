"""pydantic's validation errors in plain words: a field path, what was wrong with which value, and a fix.

Users never see pydantic's vocabulary ("Input should be a valid dictionary or instance of Range") or a
regular expression; every error type and pattern the spec uses has a sentence here.
"""

from __future__ import annotations

import difflib
import re
from typing import Any, Mapping

from pydantic import BaseModel, ValidationError

from aiinfra import clouds
from aiinfra.problems import Problem, did_you_mean, join_path, shown
from aiinfra.spec.limits import LIMIT_REASONS, NAME_PATTERN, PATTERN_WORDS

# pydantic names union members and validators in the location ("int", "function-after[_ordered(), Range]").
_TAG = re.compile(r"^(int|str|float|bool|none|list|dict|Range|constrained-\w+)$|\[")

# What a value of each type is called, in error messages and as the expected kind.
_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping of fields (key: value lines)",
    "model_attributes_type": "a mapping of fields (key: value lines)",
    "none_required": "nothing",
}

_FIRST, *_OTHERS = clouds.all_facts()
_EXAMPLES = {
    "name": "name: llm-train",
    "cloud": f"cloud: {_FIRST.name}" + (f" (or {', '.join(p.name for p in _OTHERS)})" if _OTHERS else ""),
    "region": f"region: {_FIRST.example_region}",
    "nodes": "nodes: 2, or nodes: {min: 1, max: 4} to autoscale",
    "gpu": "gpu: H100:8, or a list of alternatives such as [L4:1, A10:1]",
    "node_pools": "node_pools: [{name: train, gpu: H100:8}]",
    "buckets": "buckets: [datasets, checkpoints]",
    "repositories": "repositories: [train, serve]",
    "tags": "tags: {team: ml-platform}",
    "labels": "labels: {team: ml-platform}",
    "min": "nodes: {min: 1, max: 4}",
    "max": "nodes: {min: 1, max: 4}",
    "cidr": "cidr: 10.0.0.0/16",
    "reason": 'reason: "why the rule does not apply here"',
    "rule": "rule: AI-K8S-002 (see `aiinfra policy list`)",
}


def _plain_pattern(pattern: str) -> str:
    return PATTERN_WORDS.get(pattern, "not in the expected form")


def _fixed_name(value: Any, pattern: str) -> str | None:
    """A name that fits NAME_PATTERN made from a near miss (LLM_Train -> llm-train), if there is one."""
    if pattern != NAME_PATTERN or not isinstance(value, str):
        return None
    fixed = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", value.strip().lower())).strip("-")
    fixed = re.sub(r"^[^a-z]+", "", fixed)
    # Only a near spelling: 'ünïcødé-env' loses most of its letters, and 'n-c-d-env' would be nonsense.
    close = difflib.SequenceMatcher(None, value.strip().lower(), fixed).ratio() >= 0.8
    return fixed if fixed and fixed != value and close and re.match(pattern, fixed) else None


def _kind_of(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "the number"
    if isinstance(value, str):
        return "the text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _user_loc(err: Mapping[str, Any]) -> tuple[Any, ...]:
    loc = tuple(err["loc"])
    keep_last = err["type"] == "extra_forbidden"
    out = [p for i, p in enumerate(loc) if not (isinstance(p, str) and _TAG.search(p)) or (keep_last and i == len(loc) - 1)]
    return tuple(p if isinstance(p, (str, int)) and not isinstance(p, bool) else str(p) for p in out)


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last element of loc, for listing its fields."""
    model: Any = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next(
            (c for c in candidates for c in [c, *getattr(c, "__args__", ())] if isinstance(c, type) and issubclass(c, BaseModel)),
            None,
        )
    return model


def _unknown_field_hint(key: str, fields: list[str]) -> str:
    normal = re.sub(r"[^a-z0-9]+", "_", key.strip().lower()).strip("_")
    if normal in fields and normal != key:
        return f"did you mean {normal}? (field names use underscores)"
    return did_you_mean(normal or key, fields) or f"known fields here: {', '.join(fields)}"


def _limit(field: str) -> str:
    reason = LIMIT_REASONS.get(field)
    return f" ({reason})" if reason else ""


def _translate(err: Mapping[str, Any], loc: tuple[Any, ...], fields: list[str]) -> tuple[Problem, bool]:
    """One pydantic error as a Problem; the flag says it is only a type mismatch (one union member's view)."""
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    path = join_path(loc)
    example = _EXAMPLES.get(field)
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        return Problem(path, f"unknown field {shown(key)}", _unknown_field_hint(key, fields), key), False
    if kind == "missing":
        return Problem(path, "required field is missing", f"add it, e.g. {example}" if example else f"add {field}: <value>"), False
    if kind in _TYPE_WORDS:
        expected = "{min, max}" if ctx.get("class_name") == "Range" else _TYPE_WORDS[kind]
        got = f"got {_kind_of(value)} {shown(value)}" if not isinstance(value, (list, dict)) and value is not None else f"got {_kind_of(value)}"
        return Problem(path, f"expected {expected}, {got}", f"e.g. {example}" if example else None, value), True
    if kind == "literal_error":
        choices = [c.strip().strip("'") for c in re.split(r",| or ", str(ctx.get("expected", ""))) if c.strip()]
        guess = did_you_mean(str(value), choices) if isinstance(value, (str, int, float)) else None
        listed = f"one of: {', '.join(choices)}"
        return Problem(path, f"{shown(value)} is not {listed}", f"{guess} ({listed})" if guess else f"use {listed}", value), False
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        fixed = _fixed_name(value, pattern)
        hint = f"did you mean {fixed}?" if fixed else f"e.g. {example}" if example else None
        return Problem(path, f"{shown(value)} is not allowed here: use {_plain_pattern(pattern)}", hint, value), False
    if kind in ("string_too_long", "too_long"):
        n = ctx.get("max_length")
        unit = "characters" if kind == "string_too_long" else "entries"
        return Problem(path, f"{shown(value)} is too long: at most {n} {unit}{_limit(field)}", "shorten it", value), False
    if kind in ("string_too_short", "too_short"):
        n = ctx.get("min_length")
        unit = "characters" if kind == "string_too_short" else "entries"
        return Problem(path, f"{shown(value)} is too short: at least {n} {unit}", None, value), False
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        reason = _limit(field) if kind.startswith("less") else ""
        hint = f"e.g. {example}" if example else f"use a value {words} {ctx.get(key)}"
        return Problem(path, f"must be {words} {ctx.get(key)}, got {shown(value)}{reason}", hint, value), False
    if kind == "finite_number":
        return Problem(path, f"expected a finite number, got {shown(value)}", f"e.g. {example}" if example else None, value), False
    if kind == "int_parsing_size":
        return Problem(path, f"the number {shown(value)} is far too large{_limit(field)}", None, value), False
    msg = str(err.get("msg", ""))
    if msg.startswith(("Value error, ", "Assertion failed, ")):
        hint = getattr(ctx.get("error"), "hint", None)
        return Problem(path, msg.split(", ", 1)[1], hint, value), False
    msg = re.sub(r"^Input should be (a valid )?", "expected ", msg)
    return Problem(path, f"{msg}, got {shown(value)}", None, value), False


def problems_from_validation(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    translated: list[tuple[Problem, bool]] = []
    for err in exc.errors():
        loc = _user_loc(err)
        owner = _model_at(root, loc) if loc else root
        fields = list(owner.model_fields) if owner else []
        translated.append(_translate(err, loc, fields))
    return _merge(translated)


def _merge(items: list[tuple[Problem, bool]]) -> list[Problem]:
    """Unions report one error per member. A path with a specific error (here or deeper) drops its type
    mismatches; a path with only type mismatches gets one problem listing every accepted kind."""
    specific = [p.path for p, is_type in items if not is_type]
    out: dict[str, Problem] = {}
    expected: dict[str, list[str]] = {}
    for p, is_type in items:
        if is_type:
            if any(s == p.path or s.startswith(p.path + ".") or s.startswith(p.path + "[") for s in specific):
                continue
            kind = p.message.removeprefix("expected ").split(", got ")[0]
            expected.setdefault(p.path, [])
            if kind not in expected[p.path]:
                expected[p.path].append(kind)
            got = p.message.split(", got ", 1)[1] if ", got " in p.message else ""
            words = " or ".join(expected[p.path])
            out[p.path] = Problem(p.path, f"expected {words}, got {got}", out[p.path].hint if p.path in out and out[p.path].hint else p.hint, p.value)
        elif p not in out.values():
            key = p.path if p.path not in out else f"{p.path}#{len(out)}"
            out[key] = p
    return list(out.values())
