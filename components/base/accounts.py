"""Which account (GCP project, Azure subscription, ...) an environment lives in, so that a spec moves by editing
cloud and region.

The spec's value wins; then the environment variables and CLI configurations users already have (read as files:
no gcloud or az binary is run). Offline commands fall back to a clearly named placeholder and say so; `up`
refuses one (`require_real`). Where each cloud looks is its profile's `account()` (components/<cloud>/profile.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Pattern

from aiinfra.problems import Problem, SpecError

if TYPE_CHECKING:
    from aiinfra.spec import EnvironmentSpec


@dataclass(frozen=True)
class Account:
    """The project or subscription an environment uses, where it came from, and whether it is a stand-in.
    `what` and `ways` (how to set one) come from the cloud's profile, for messages."""

    cloud: str
    path: str
    value: str
    source: str
    placeholder: bool = False
    what: str = field(default="account", compare=False)
    ways: tuple[str, ...] = field(default=(), compare=False)

    def note(self) -> Problem:
        return Problem(
            self.path,
            f"no {self.what} is set, so offline output uses the placeholder {self.value!r}; `aiinfra up` needs a real one",
            "; ".join(self.ways),
            self.value,
        )

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "value": self.value, "source": self.source, "placeholder": self.placeholder}


def home_of(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())


@dataclass(frozen=True)
class AccountSource:
    """Where one cloud looks for its account, in order: the spec, environment variables, the CLI's configuration
    files, else a placeholder. Values that do not match `pattern` are passed over."""

    cloud: str
    path: str
    what: str
    ways: tuple[str, ...]
    env_vars: tuple[str, ...]
    pattern: Pattern[str]
    cli: Callable[[Mapping[str, str]], str | None]
    cli_source: str
    placeholder: str

    def find(self, spec_value: str | None, environ: Mapping[str, str] | None = None) -> Account:
        import os

        env = os.environ if environ is None else environ

        def found(value: str, source: str, placeholder: bool = False) -> Account:
            return Account(self.cloud, self.path, value, source, placeholder, what=self.what, ways=self.ways)

        if spec_value:
            return found(spec_value, "spec")
        for var in self.env_vars:
            value = env.get(var, "").strip()
            if value and self.pattern.match(value):
                return found(value, f"${var}")
        answer = self.cli(env)
        if answer and self.pattern.match(answer):
            return found(answer, self.cli_source)
        return found(self.placeholder, "placeholder", placeholder=True)


def find_account(spec: EnvironmentSpec) -> Account | None:
    """The account from the spec, the environment or the CLIs' configuration, by the cloud's profile; None where
    the cloud needs none in the spec (AWS takes it from the credentials). The spec itself is left as written."""
    from aiinfra import clouds

    return clouds.get(spec.cloud).account(spec)


def require_real(account: Account | None, source: str) -> None:
    """`up` and the other deploy commands: a placeholder account is an error (exit 2), listing the ways to set one."""
    if account is None or not account.placeholder:
        return
    raise SpecError(source, [Problem(account.path, f"no {account.what} is set; deploying needs a real one", "; ".join(account.ways), None)])
