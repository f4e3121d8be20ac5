"""Where an operation runs: one environment on one state backend. Its own module, below stack and state, which
both take it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from aiinfra.deploy.backends import workspace_dir
from aiinfra.deploy.passphrase import passphrase_env
from aiinfra.resolve.result import ResolvedEnvironment


@dataclass
class Target:
    """One environment on one backend: what every operation needs to reach its stack."""

    env: ResolvedEnvironment
    backend: str
    env_vars: dict[str, str]
    command: Any

    @property
    def stack_name(self) -> str:
        return self.env.spec.name

    @property
    def work_dir(self) -> Path:
        return workspace_dir(self.stack_name)

    def pulumi_hint(self, *args: str) -> str:
        """A copy-pasteable raw `pulumi` command against this environment's stack."""
        return f"cd {self.work_dir} && PULUMI_BACKEND_URL={self.backend} pulumi {' '.join(args)} --stack {self.stack_name}"


def target(env: ResolvedEnvironment, backend: str, command: Any, environ: Mapping[str, str] | None = None) -> Target:
    env_vars = {"PULUMI_BACKEND_URL": backend, "PULUMI_SKIP_UPDATE_CHECK": "true", **passphrase_env(backend, environ)}
    return Target(env, backend, env_vars, command)
