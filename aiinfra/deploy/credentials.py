"""Per-cloud credential sources, the commands that fix missing ones, and the checks that ask the cloud."""

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
from aiinfra.resolve import ResolvedEnvironment


@dataclass
class CredentialCheck:
    cloud: str
    ok: bool
    source: str | None
    fixes: list[str] = field(default_factory=list)
    detail: str | None = None


def _file_with(path: Path, needle: str) -> bool:
    try:
        return path.is_file() and needle in path.read_text(errors="replace")
    except OSError:
        return False


def _aws_source(env: Mapping[str, str], home: Path) -> str | None:
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return "AWS_ACCESS_KEY_ID"
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") and env.get("AWS_ROLE_ARN"):
        return "AWS_WEB_IDENTITY_TOKEN_FILE"
    if env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI") or env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        return "container credentials"
    creds = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
    config = Path(env.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    if _file_with(creds, "aws_access_key_id"):
        return str(creds)
    if any(_file_with(config, k) for k in ("sso_session", "sso_start_url", "role_arn", "credential_process", "aws_access_key_id")):
        return str(config)
    return None


def _gcp_source(env: Mapping[str, str], home: Path) -> str | None:
    path = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if path and Path(path).is_file():
        return "GOOGLE_APPLICATION_CREDENTIALS"
    for var in ("GOOGLE_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN"):
        if env.get(var):
            return var
    adc = Path(env.get("CLOUDSDK_CONFIG") or home / ".config" / "gcloud") / "application_default_credentials.json"
    return str(adc) if adc.is_file() else None


def _azure_source(env: Mapping[str, str], home: Path) -> str | None:
    for prefix in ("ARM", "AZURE"):
        if env.get(f"{prefix}_CLIENT_ID") and (
            env.get(f"{prefix}_CLIENT_SECRET") or env.get(f"{prefix}_CLIENT_CERTIFICATE_PATH") or env.get(f"{prefix}_FEDERATED_TOKEN_FILE")
        ):
            return f"{prefix}_CLIENT_ID"
    if env.get("ARM_USE_OIDC") == "true" or env.get("ARM_USE_MSI") == "true":
        return "ARM_USE_OIDC" if env.get("ARM_USE_OIDC") == "true" else "ARM_USE_MSI"
    profile = Path(env.get("AZURE_CONFIG_DIR") or home / ".azure") / "azureProfile.json"
    return str(profile) if _file_with(profile, '"subscriptions"') and not _file_with(profile, '"subscriptions": []') else None


_SOURCES = {"aws": _aws_source, "gcp": _gcp_source, "azure": _azure_source}
_FIXES = {
    "aws": [
        "aws configure                      # access keys",
        "aws sso login --profile <profile> && export AWS_PROFILE=<profile>",
    ],
    "gcp": [
        "gcloud auth application-default login",
        "export GOOGLE_APPLICATION_CREDENTIALS=/path/to/service-account.json",
    ],
    "azure": [
        "az login && az account set --subscription <subscription-id>",
        "export ARM_CLIENT_ID=<app-id> ARM_CLIENT_SECRET=<secret> ARM_TENANT_ID=<tenant> ARM_SUBSCRIPTION_ID=<subscription-id>",
    ],
}
# Asks the cloud who we are, where its CLI is installed: catches expired SSO sessions and tokens.
_VERIFY = {
    "aws": ["aws", "sts", "get-caller-identity", "--output", "json"],
    "gcp": ["gcloud", "auth", "application-default", "print-access-token"],
    "azure": ["az", "account", "show", "--output", "json"],
}


def check_credentials(
    cloud: str,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    which: Callable[[str], str | None] = shutil.which,
    run: Callable[[list[str]], int] | None = None,
) -> CredentialCheck:
    """Is there a credential source for this cloud, and (where the cloud's CLI is installed) does it work?"""
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if environ.get(SKIP_CREDENTIALS_VAR):
        return CredentialCheck(cloud, True, f"{SKIP_CREDENTIALS_VAR} set")
    source = _SOURCES[cloud](environ, home)
    if source is None:
        return CredentialCheck(cloud, False, None, _FIXES[cloud], f"no {cloud} credentials found in the environment or the CLI's config files")
    verify = _VERIFY[cloud]
    if which(verify[0]) is None or source.startswith(("AWS_WEB_IDENTITY", "ARM_USE", "container")):
        return CredentialCheck(cloud, True, source)
    run = run or _run_quiet
    if run(verify) != 0:
        return CredentialCheck(cloud, False, source, _FIXES[cloud], f"`{' '.join(verify)}` failed with the credentials from {source} (expired session?)")
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
