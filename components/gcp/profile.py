"""GCP's profile: every GCP fact aiinfra needs outside the GCP components (registered in aiinfra.clouds)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.clouds import register
from aiinfra.components.base.accounts import Account, AccountSource, home_of
from aiinfra.components.base.profile import CloudProfile
from aiinfra.components.gcp.facts import PROJECT_PATTERN, GcpFacts

if TYPE_CHECKING:
    from aiinfra.problems import Problem
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec

# GKE versions from which flex-start node pools take GPUs (cloud.google.com/kubernetes-engine/docs/concepts/dws).
FLEX_START_MIN_GKE = (1, 32)

PROJECT = re.compile(PROJECT_PATTERN)
PLACEHOLDER = "placeholder-project"
WAYS = (
    "add gcp: {project: <project ID>} to the spec",
    "or export GOOGLE_CLOUD_PROJECT=<project ID>",
    "or run `gcloud config set project <project ID>`",
)


def gcloud_project(environ: Mapping[str, str]) -> str | None:
    """[core] project of gcloud's active configuration (CLOUDSDK_CONFIG or ~/.config/gcloud), read as files."""
    base = Path(environ["CLOUDSDK_CONFIG"]) if environ.get("CLOUDSDK_CONFIG") else home_of(environ) / ".config" / "gcloud"
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


SOURCE = AccountSource(
    'gcp', 'gcp.project', 'GCP project', WAYS, ('GOOGLE_CLOUD_PROJECT', 'CLOUDSDK_CORE_PROJECT'), PROJECT, gcloud_project, 'gcloud configuration', PLACEHOLDER
)


def gcp_project(spec_value: str | None, environ: Mapping[str, str] | None = None) -> Account:
    """The spec's value, else the environment's or the CLI configuration's, else a placeholder that `up` refuses."""
    return SOURCE.find(spec_value, environ)


def gke_kubeconfig(name: Any, endpoint: Any, ca_data: Any) -> dict[str, Any]:
    """GKE's endpoint output is a bare IP; `gke-gcloud-auth-plugin` uses the caller's gcloud credentials."""
    import pulumi

    from aiinfra.components.kubernetes.kubeconfig import exec_kubeconfig

    server = pulumi.Output.from_input(endpoint).apply(lambda e: e if e.startswith("https://") else f"https://{e}")
    return exec_kubeconfig(
        name,
        server,
        ca_data,
        {"command": "gke-gcloud-auth-plugin", "installHint": "gcloud components install gke-gcloud-auth-plugin", "provideClusterInfo": True},
    )


@register
class GcpProfile(GcpFacts, CloudProfile):
    def check(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> list[Problem]:
        """A reservation block is in one zone (node_locations must name it); flex-start GPUs need GKE >= 1.32."""
        from aiinfra.problems import Problem

        problems = []
        version = tuple(int(x) for x in spec.cluster.kubernetes_version.split(".")[:2])
        for i, pool in enumerate(spec.node_pools):
            block = getattr(pool.reservation, "block", None)
            if block and not pool.zone:
                problems.append(Problem(f"node_pools[{i}].zone", f"reservation block {block} is in one zone, and the node pool must name it in node_locations",
                                        "set zone: to the reservation's zone"))
            if pool.capacity == "flex-start" and pool.gpu and version < FLEX_START_MIN_GKE:
                problems.append(Problem("cluster.kubernetes_version", f"flex-start GPU node pools need GKE {'.'.join(map(str, FLEX_START_MIN_GKE))} or later (pool {pool.name})",
                                        f"set cluster.kubernetes_version: \"{'.'.join(map(str, FLEX_START_MIN_GKE))}\" or later", spec.cluster.kubernetes_version))
        return problems

    def provisioning(self, spec: EnvironmentSpec, pools: list[ResolvedPool], autoscaler: str) -> tuple[list[ResolvedPool], list[Problem], list[Problem]]:
        """Pools with gpu: alternatives get a ComputeClass (components/gcp/compute_class.py)."""
        from aiinfra.components.gcp.compute_class import with_classes

        return with_classes(pools, autoscaler), [], []

    def quota_needs(self, env: Any, pool: Any) -> list[Any]:
        from aiinfra.components.gcp.quotas import needs

        return needs(pool)

    def quota_lookup(self, env: Any, quotas: list[str]) -> Mapping[str, Any]:
        from aiinfra.components.gcp.quotas import lookup

        return lookup(self.account_value(env.spec, env.account), env.spec.region, quotas)

    def credential_source(self, environ: Mapping[str, str], home: Path) -> str | None:
        path = environ.get("GOOGLE_APPLICATION_CREDENTIALS")
        if path and Path(path).is_file():
            return "GOOGLE_APPLICATION_CREDENTIALS"
        for var in ("GOOGLE_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN"):
            if environ.get(var):
                return var
        adc = Path(environ.get("CLOUDSDK_CONFIG") or home / ".config" / "gcloud") / "application_default_credentials.json"
        return str(adc) if adc.is_file() else None

    def account(self, spec: EnvironmentSpec, environ: Mapping[str, str] | None = None) -> Account | None:
        """GCP gets a placeholder project when none is found: the program needs one."""
        return gcp_project(spec.gcp.project, environ)

    def stack_config(self, env: Any) -> dict[str, str]:
        cfg = {"gcp:region": env.spec.region}
        project = self.account_value(env.spec, env.account)
        if project:
            cfg["gcp:project"] = project
        return cfg

    def kubeconfig(self, name: Any, endpoint: Any, ca_data: Any, region: Any = None) -> dict[str, Any]:
        return gke_kubeconfig(name, endpoint, ca_data)

    def artifact_root(self, bucket: str, account: str | None, path: str) -> dict[str, Any]:
        return {"gcs": {"enabled": True, "bucket": bucket, "path": path}}

    def fixed_resources(self, env: Any) -> dict[str, int]:
        return {
            "gcp:container/cluster:Cluster": 1,
            "gcp:compute/routerNat:RouterNat": 1,
            "gcp:kms/cryptoKey:CryptoKey": 2,  # GKE secrets key + the buckets' CMEK
        }

