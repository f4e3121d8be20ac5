"""One error type for a component's bad input: every problem, each with its path in the component's Args
(after pulumi-eks's InputPropertiesError). Environment re-roots the paths at the spec; the CLI prints them
like spec problems. ValueError and assert stay for programmer errors only."""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from aiinfra.problems import Problem


class ComponentInputError(ValueError):
    """A component's Args break its contract. A ValueError still, so callers that caught one keep working."""

    def __init__(self, kind: str, name: str, problems: Sequence[Problem], source: str | None = None):
        self.kind = kind
        self.name = name
        self.source = source
        self.problems = list(problems)
        super().__init__(f"invalid arguments for {kind} {name!r}: " + "; ".join(f"{p.path}: {p.message}" for p in self.problems))

    def at(self, prefix: str, renames: Mapping[str, str] | None = None) -> ComponentInputError:
        """The same problems with paths under `prefix` (a spec path), Args names renamed to the spec's."""
        renames = renames or {}
        out = []
        for p in self.problems:
            head, dot, rest = p.path.partition(".")
            head = renames.get(head, head)
            path = head + dot + rest
            out.append(Problem(f"{prefix}.{path}" if prefix else path, p.message, p.hint, p.value))
        return ComponentInputError(self.kind, self.name, out, self.source)


def raise_if(kind: str, name: str, problems: Iterable[Problem]) -> None:
    """Raise once with every problem found, or do nothing."""
    found = list(problems)
    if found:
        raise ComponentInputError(kind, name, found)
