"""Problems with a user's input, collected with their field paths and reported together."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

MAX_SHOWN = 80


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    hint: str | None = None
    value: Any = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, "hint": self.hint, "value": json_value(self.value)}


class SpecError(Exception):
    """A spec that cannot be deployed; carries every problem found, not just the first."""

    def __init__(self, source: str, problems: Sequence[Problem], unparsed: Any = None):
        self.source = source
        self.problems = list(problems)
        self.unparsed = unparsed  # (data, ValidationError) of a spec the schema refused: resolve checks the parts that parsed
        super().__init__(f"{source}: " + "; ".join(f"{p.path}: {p.message}" for p in self.problems))


class Invalid(ValueError):
    """Raised by spec validators: a message and the fix, which pydantic keeps for the error report."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def shown(value: Any, limit: int = MAX_SHOWN) -> str:
    """A value as a message quotes it: repr-like, cut to a readable length (a spec value can be megabytes)."""
    if isinstance(value, str):
        text = repr(value if len(value) <= limit else value[:limit])
        return text if len(value) <= limit else text[:-1] + "…" + text[-1]
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, int) and len(str(abs(value))) > 15:
        return f"{value:.3e}"
    text = _compact(value) if isinstance(value, (dict, list, tuple)) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _compact(value: Any, depth: int = 3, items: int = 6) -> str:
    """A bounded rendering of nested data: a few items and levels at most (YAML aliases can make data huge)."""
    if isinstance(value, dict):
        if depth == 0:
            return "{…}"
        parts = [f"{k}: {_compact(v, depth - 1, items)}" for k, v in list(value.items())[:items]]
        return "{" + ", ".join(parts) + (", …" if len(value) > items else "") + "}"
    if isinstance(value, (list, tuple)):
        if depth == 0:
            return "[…]"
        parts = [_compact(v, depth - 1, items) for v in list(value)[:items]]
        return "[" + ", ".join(parts) + (", …" if len(value) > items else "") + "]"
    return shown(value, 40)


def json_value(value: Any) -> Any:
    """The offending value for JSON output: scalars as given, anything large or nested as a short text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else shown(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, str):
        return value if len(value) <= 200 else value[:200] + "…"
    return shown(value, 200)


def join_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def nearest(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.5, model: bool = False) -> list[str]:
    """Closest choices, case-insensitively, keeping the choices' own spelling. For a `model` name (a GPU) a
    choice must keep the word's numbers (H10 may be H100; RTX4090 is not RTXPRO4500, TPUv9 not TPU-v6e):
    a suggestion is a near spelling, never another model."""
    by_lower = {c.lower(): c for c in choices}
    numbers = re.findall(r"\d+", word) if model else []
    kept = [c for c in by_lower if all(any(d in run for run in re.findall(r"\d+", c)) for d in numbers)]
    return [by_lower[m] for m in difflib.get_close_matches(word.lower(), kept, n=n, cutoff=cutoff)]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    match = nearest(word, choices)
    return f"did you mean {match[0]}?" if match else None
