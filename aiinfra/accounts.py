"""Which GCP project / Azure subscription an environment lives in, so that a spec moves by editing cloud and region.

The spec's value wins; then the environment variables and CLI configurations users already have (read as files:
no gcloud or az binary is run). Offline commands fall back to a clearly named placeholder and say so; `up`
refuses one (`require_real`).
"""

from __future__ import annotations

import configparser
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from aiinfra.problems import Problem, SpecError

if TYPE_CHECKING:
    from aiinfra.spec import EnvironmentSpec

GCP_PLACEHOLDER = "placeholder-project"
AZURE_PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")

GCP_WAYS = (
    "add gcp: {project: <project ID>} to the spec",
    "or export GOOGLE_CLOUD_PROJECT=<project ID>",
    "or run `gcloud config set project <project ID>`",
)
AZURE_WAYS = (
    "add azure: {subscription_id: <subscription ID>} to the spec",
    "or export AZURE_SUBSCRIPTION_ID=<subscription ID>",
    "or run `az login` and `az account set --subscription <subscription ID>`",
)


@dataclass(frozen=True)
class Account:
    """The project or subscription an environment uses, where it came from, and whether it is a stand-in."""

    cloud: str
    path: str
    value: str
    source: str
    placeholder: bool = False

    def note(self) -> Problem:
        what = "GCP project" if self.cloud == "gcp" else "Azure subscription"
        ways = GCP_WAYS if self.cloud == "gcp" else AZURE_WAYS
        return Problem(
            self.path,
            f"no {what} is set, so offline output uses the placeholder {self.value!r}; `aiinfra up` needs a real one",
            "; ".join(ways),
            self.value,
        )

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "value": self.value, "source": self.source, "placeholder": self.placeholder}


def _home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("HOME") or Path.home())


def gcloud_project(environ: Mapping[str, str]) -> str | None:
    """[core] project of gcloud's active configuration (CLOUDSDK_CONFIG or ~/.config/gcloud), read as files."""
    base = Path(environ["CLOUDSDK_CONFIG"]) if environ.get("CLOUDSDK_CONFIG") else _home(environ) / ".config" / "gcloud"
    name = environ.get("CLOUDSDK_ACTIVE_CONFIG_NAME")
    try:
        name = name or (base / "active_config").read_text(encoding="utf-8").strip() or "default"
    except (OSError, UnicodeDecodeError):
        name = "default"
    ini = configparser.ConfigParser(interpolation=None)
    try:
        ini.read(base / "configurations" / f"config_{name}", encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return None
    value = ini.get("core", "project", fallback="").strip()
    return value or None


def az_subscription(environ: Mapping[str, str]) -> str | None:
    """The default subscription in the az CLI's profile (AZURE_CONFIG_DIR or ~/.azure/azureProfile.json)."""
    base = Path(environ["AZURE_CONFIG_DIR"]) if environ.get("AZURE_CONFIG_DIR") else _home(environ) / ".azure"
    try:
        profile = json.loads((base / "azureProfile.json").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    subs = profile.get("subscriptions") if isinstance(profile, dict) else None
    for sub in subs if isinstance(subs, list) else []:
        if isinstance(sub, dict) and sub.get("isDefault") and isinstance(sub.get("id"), str):
            return sub["id"]
    return None


def gcp_project(spec_value: str | None, environ: Mapping[str, str] | None = None) -> Account:
    env = os.environ if environ is None else environ
    if spec_value:
        return Account("gcp", "gcp.project", spec_value, "spec")
    for var in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"):
        value = env.get(var, "").strip()
        if value and GCP_PROJECT.match(value):
            return Account("gcp", "gcp.project", value, f"${var}")
    value = gcloud_project(env)
    if value and GCP_PROJECT.match(value):
        return Account("gcp", "gcp.project", value, "gcloud configuration")
    return Account("gcp", "gcp.project", GCP_PLACEHOLDER, "placeholder", placeholder=True)


def azure_subscription(spec_value: str | None, environ: Mapping[str, str] | None = None) -> Account:
    env = os.environ if environ is None else environ
    if spec_value:
        return Account("azure", "azure.subscription_id", spec_value, "spec")
    for var in ("AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID"):
        value = env.get(var, "").strip()
        if value and GUID.match(value):
            return Account("azure", "azure.subscription_id", value, f"${var}")
    value = az_subscription(env)
    if value and GUID.match(value):
        return Account("azure", "azure.subscription_id", value, "az CLI default subscription")
    return Account("azure", "azure.subscription_id", AZURE_PLACEHOLDER, "placeholder", placeholder=True)


def with_account(spec: "EnvironmentSpec") -> tuple["EnvironmentSpec", Account | None]:
    """The spec with its GCP project / Azure subscription filled in from the spec, the environment or the CLIs'
    configuration. GCP gets a placeholder project when none is found (the program needs one); Azure keeps none,
    so that offline runs use the mocks' placeholder subscription and `up` the ambient one."""
    if spec.cloud == "gcp":
        account = gcp_project(spec.gcp.project)
        return spec.model_copy(update={"gcp": spec.gcp.model_copy(update={"project": account.value})}), account
    if spec.cloud == "azure":
        account = azure_subscription(spec.azure.subscription_id)
        if account.placeholder:
            return spec, account
        return spec.model_copy(update={"azure": spec.azure.model_copy(update={"subscription_id": account.value})}), account
    return spec, None


def require_real(account: Account | None, source: str) -> None:
    """`up` and the other deploy commands: a placeholder account is an error (exit 2), listing the ways to set one."""
    if account is None or not account.placeholder:
        return
    what = "GCP project" if account.cloud == "gcp" else "Azure subscription"
    ways = GCP_WAYS if account.cloud == "gcp" else AZURE_WAYS
    raise SpecError(source, [Problem(account.path, f"no {what} is set; deploying needs a real one", "; ".join(ways), None)])
