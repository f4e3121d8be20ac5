"""Credential checks before a deploy: each cloud profile says where its credentials live, how to ask the cloud
who we are, and the commands that fix missing ones (components/<cloud>/profile.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from aiinfra.deploy.errors import (
    BACKEND_CLOUD,
    SKIP_CREDENTIALS_VAR,
    CredentialsMissing,
)
from aiinfra.resolve.result import ResolvedEnvironment


@dataclass
class CredentialCheck:
    cloud: str
    ok: bool
    source: str | None
    fixes: list[str] = field(default_factory=list)
    detail: str | None = None


def _profile(cloud: str) -> Any:
    from aiinfra import clouds

    return clouds.get(cloud)


def check_credentials(
    cloud: str,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    which: Callable[[str], str | None] = shutil.which,
    run: Callable[[list[str]], int] | None = None,
    env: ResolvedEnvironment | None = None,
) -> CredentialCheck:
    """Is there a credential source for this cloud, and (where the cloud's CLI is installed) does it work? With the
    environment on that cloud, where its spec says the credentials are (existing.kubeconfig)."""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if environ.get(SKIP_CREDENTIALS_VAR):
        return CredentialCheck(cloud, True, f"{SKIP_CREDENTIALS_VAR} set")
    profile = _profile(cloud)
    fixes = list(profile.credential_fixes)
    if env is not None and env.spec.cloud == cloud:
        source, command = profile.credentials_for(env, environ, home)
    else:
        source, command = profile.credential_source(environ, home), tuple(profile.verify_command)
    if source is None:
        return CredentialCheck(cloud, False, None, fixes, f"no {cloud} credentials found in the environment or the CLI's config files")
    verify = list(command)
    if not verify or which(verify[0]) is None or source.startswith(profile.unverifiable_sources):
        return CredentialCheck(cloud, True, source)
    run = run or _run_quiet
    if run(verify) != 0:
        return CredentialCheck(cloud, False, source, fixes, f"`{' '.join(verify)}` failed with the credentials from {source} (expired session?)")
    return CredentialCheck(cloud, True, source)


def _run_quiet(cmd: list[str]) -> int:
    try:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30, check=False).returncode
    except (OSError, subprocess.TimeoutExpired):
        return 1


def require_credentials(clouds: Iterable[str], **kwargs: Any) -> list[CredentialCheck]:
    checks = [check_credentials(c, **kwargs) for c in dict.fromkeys(clouds)]
    bad = [c for c in checks if not c.ok]
    if bad:
        raise CredentialsMissing(
            "; ".join(f"{c.cloud}: {c.detail}" for c in bad),
            fixes=[f for c in bad for f in c.fixes],
            notes=[f"set {SKIP_CREDENTIALS_VAR}=1 to skip this check (e.g. on a machine with an instance role)"],
        )
    return checks


def clouds_needed(env: ResolvedEnvironment, backend: str) -> list[str]:
    needed = [env.spec.cloud]
    for scheme, cloud in BACKEND_CLOUD.items():
        if backend.startswith(scheme):
            needed.append(cloud)
    return needed
