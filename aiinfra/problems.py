"""Problems with a user's input, collected with their field paths and reported together."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Sequence


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    hint: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "message": self.message, "hint": self.hint}


class SpecError(Exception):
    """A spec that cannot be deployed; carries every problem found, not just the first."""

    def __init__(self, source: str, problems: Sequence[Problem]):
        self.source = source
        self.problems = list(problems)
        super().__init__(f"{source}: " + "; ".join(f"{p.path}: {p.message}" for p in self.problems))


def join_path(parts: Iterable[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def nearest(word: str, choices: Iterable[str], n: int = 1, cutoff: float = 0.5) -> list[str]:
    """Closest choices, case-insensitively, keeping the choices' own spelling."""
    by_lower = {c.lower(): c for c in choices}
    return [by_lower[m] for m in difflib.get_close_matches(word.lower(), list(by_lower), n=n, cutoff=cutoff)]


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    match = nearest(word, choices)
    return f"did you mean {match[0]}?" if match else None
