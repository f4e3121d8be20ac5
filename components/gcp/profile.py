"""GCP's profile: every GCP fact aiinfra needs outside the GCP components (registered in aiinfra.clouds)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.clouds import register
from aiinfra.components.base.profile import Capability, CapacityErrors, CloudProfile, ReservationShape
from aiinfra.components.base.accounts import Account, AccountSource, home_of

if TYPE_CHECKING:
    from aiinfra.problems import Problem
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec

# GKE versions from which flex-start node pools take GPUs (cloud.google.com/kubernetes-engine/docs/concepts/dws).
FLEX_START_MIN_GKE = (1, 32)

PROJECT_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"
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
class GcpProfile(CloudProfile):
    name = "gcp"
    display = "GCP"
    article = "a GCP"
    kubernetes = "GKE"
    # GKE quotas and limits, "Nodes per node pool zone": 1,000 (cloud.google.com/kubernetes-engine/quotas; not re-read in this session: unverified).
    max_pool_nodes = 1000
    max_pool_nodes_per_zone = True
    max_pool_nodes_source = "GKE limit: nodes per node pool per zone (unverified)"
    order = 20
    sdk_module = "pulumi_gcp"
    pulumi_package = "gcp"
    example_region = "us-central1"
    terms = {"network": "VPC network", "nat": "Cloud NAT", "bucket": "GCS bucket", "registry": "Artifact Registry", "identity": "Google service account (Workload Identity)"}
    starter_settings = """\ngcp:\n  project: {project}   # the GCP project ID to create the environment in\n"""

    settings = "aiinfra.components.gcp.settings:GcpSettings"
    account_field = "project"
    placeholder_in_program = True

    pattern_words = {PROJECT_PATTERN: "a GCP project ID: 6 to 30 lowercase letters, digits and hyphens, starting with a letter (e.g. my-ml-project)"}
    backend_scheme = "gs://"
    bucket_scheme = "gs"
    bucket_types = ("gcp:storage/bucket:Bucket",)
    credential_fixes = (
        "gcloud auth application-default login",
        "export GOOGLE_APPLICATION_CREDENTIALS=/path/to/service-account.json",
    )
    verify_command = ("gcloud", "auth", "application-default", "print-access-token")
    accelerator_type_required = True
    # GKE installs the driver (node pool gpu_driver_version) into /home/kubernetes/bin/nvidia on COS and runs
    # its own managed device plugin; the operator adds DCGM metrics and feature discovery, not a second
    # device plugin. Not run on a live GKE cluster yet (verified: false).
    gpu_operator_values = {
        "gcp": {
            "driver": {"enabled": False},
            "devicePlugin": {"enabled": False},
            "hostPaths": {"driverInstallDir": "/home/kubernetes/bin/nvidia"},
            "toolkit": {"installDir": "/home/kubernetes/bin/nvidia"},
            "cdi": {"enabled": True},
        },
    }
    nvidia_runtime_class = {"gcp": False}
    storage_class = None  # standard-rwo (pd-balanced, encrypted at rest) is the GKE default
    autoscalers = {"cluster-autoscaler": "GKE autoscaler"}
    default_autoscaler = "cluster-autoscaler"
    capabilities = {
        "fabrics": Capability(True, "GPUDirect-TCPX (A3 High), TCPXO (A3 Mega) and RDMA (A3 Ultra, A4) over extra GPU NIC networks", ("tcpx", "tcpxo", "rdma")),
        "spot": Capability(True, "Spot VMs on GKE node pools (node_config.spot)"),
        "reservations": Capability(True, "specific Compute Engine reservations by name (reservation_affinity)"),
        "zoneless_regions": Capability(False, "every GCP region has zones"),
        "capacity_blocks": Capability(False, "Compute Engine has no capacity-block purchase; use a reservation (with a block: {id, block}) or flex-start"),
        "flex_start": Capability(True, "Dynamic Workload Scheduler flex-start node pools (node_config.flex_start, autoscaled from zero, up to 7 days per node)"),
        "queued_provisioning": Capability(True, "flex-start with queued provisioning: nodes only through ProvisioningRequests (Kueue)"),
    }
    pool_zones = "region"  # the VPC's subnets are regional: a node pool may use any zone of the region
    # Compute Engine reservation names (RFC 1035), optionally one of their blocks (reservation_affinity values).
    reservation = ReservationShape(
        r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", "a Compute Engine reservation name (lowercase letters, digits, hyphens)", "my-h100-reservation", blocks=True,
        # Compute Engine reservations are zonal: only nodes in the reservation's zone consume it.
        zonal="a Compute Engine reservation is in one zone: a node pool over the region's zones would create nodes outside it",
        zone_lookup="gcloud compute reservations describe <name>",
    )
    # GKE node pool creation as the IGM reports it: "[GCE_STOCKOUT]: Instance '...' creation failed: The zone
    # '...' does not have enough resources available to fulfill the request" (tranquilitybase-io/tb-gcp#589,
    # GoogleCloudPlatform/cluster-toolkit#6278); Compute's code ZONE_RESOURCE_POOL_EXHAUSTED(_WITH_DETAILS)
    # (kubernetes/k8s.io#9834).
    capacity_errors = CapacityErrors(
        capacity=(r"ZONE_RESOURCE_POOL_EXHAUSTED", r"GCE_STOCKOUT", r"does not have enough resources available to fulfill the request",
                  r"currently unavailable in the \S+ zone"),
        quota=(r"QUOTA_EXCEEDED", r"Quota '[A-Z0-9_]+' exceeded"),
        failed_zone=(r"zones/([a-z0-9-]+)' does not have enough resources", r"unavailable in the ([a-z0-9-]+) zone", r"fulfill request: ([a-z0-9-]+)"),
    )

    def check(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"]) -> list["Problem"]:
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

    def provisioning(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"], autoscaler: str) -> tuple[list["ResolvedPool"], list["Problem"], list["Problem"]]:
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

    def account(self, spec: "EnvironmentSpec", environ: Mapping[str, str] | None = None) -> Account | None:
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

