"""The components' own input checks, run without Pulumi, so that `validate`, `cost`, `offers`, `graph` and
`render` refuse what `preview` and `up` would refuse (issue 21 item 3).

Each cloud's preflight builds the Args its environment.build() passes, with a placeholder for every value
that only exists once resources do (ids, ARNs, outputs), and calls the same check() each component calls
in its constructor. tests/test_one_check_path.py runs every fixture and example through both paths."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable

from aiinfra.components.base.errors import ComponentInputError
from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment

PLACEHOLDER = "(known after deploy)"


def args(cls: type, **given: Any) -> Any:
    """An Args dataclass with the given fields; every other required field gets the placeholder."""
    missing = {
        f.name: PLACEHOLDER
        for f in dataclasses.fields(cls)
        if f.init and f.name not in given and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    return cls(**missing, **given)


class Collector:
    """Runs checks of one environment, re-rooting each component's problems at the spec paths."""

    def __init__(self, env: ResolvedEnvironment):
        self.env = env
        self.problems: list[Problem] = []

    def check(self, kind: str, name: str, found: list[Problem]) -> None:
        if found:
            self.error(ComponentInputError(kind, name, found))

    def run(self, fn: Callable[[], Any]) -> Any:
        """A helper the build calls that raises ComponentInputError itself (carve, labels, zone choice)."""
        try:
            return fn()
        except ComponentInputError as err:
            self.error(err)
            return None

    def error(self, err: ComponentInputError) -> None:
        from aiinfra.components.spec_paths import at_spec

        self.problems += at_spec(self.env, err).problems


def problems(env: ResolvedEnvironment, partial: bool = False) -> list[Problem]:
    """Every component check of the environment's cloud; nothing when its SDK is not installed (then preview
    cannot run either, and says which extra to install). On a spec that already has problems the environment
    is `partial`: a check that cannot run on it is skipped, and the problems found so far are reported."""
    from aiinfra import clouds
    from aiinfra.components.base.sdk import MissingExtraError, require

    try:
        require(env.cloud)
    except MissingExtraError:
        return []
    module = clouds.module(env.cloud, "preflight")
    c = Collector(env)
    try:
        module.check(env, c)
    except Exception:  # noqa: BLE001
        if not partial:
            raise
    return c.problems
