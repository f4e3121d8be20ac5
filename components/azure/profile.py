"""Azure's profile: every Azure fact aiinfra needs outside the Azure components (registered in aiinfra.clouds)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.clouds import register
from aiinfra.components.base.profile import Capability, CapacityErrors, CloudProfile, ReservationShape
from aiinfra.problems import Problem
from aiinfra.components.base.accounts import Account, AccountSource, home_of

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec

GUID_PATTERN = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"
RESOURCE_GROUP_PATTERN = r"^[-\w.()]{1,89}[-\w()]$"
GUID = re.compile(GUID_PATTERN)
PLACEHOLDER = "00000000-0000-0000-0000-000000000000"
WAYS = (
    "add azure: {subscription_id: <subscription ID>} to the spec",
    "or export AZURE_SUBSCRIPTION_ID=<subscription ID>",
    "or run `az login` and `az account set --subscription <subscription ID>`",
)
# The AKS AAD server application every managed-AAD cluster accepts tokens for (kubelogin docs).
AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


def az_subscription(environ: Mapping[str, str]) -> str | None:
    """The default subscription in the az CLI's profile (AZURE_CONFIG_DIR or ~/.azure/azureProfile.json)."""
    base = Path(environ["AZURE_CONFIG_DIR"]) if environ.get("AZURE_CONFIG_DIR") else home_of(environ) / ".azure"
    try:
        profile = json.loads((base / "azureProfile.json").read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    subs = profile.get("subscriptions") if isinstance(profile, dict) else None
    for sub in subs if isinstance(subs, list) else []:
        if isinstance(sub, dict) and sub.get("isDefault") and isinstance(sub.get("id"), str):
            return sub["id"]
    return None


SOURCE = AccountSource(
    'azure', 'azure.subscription_id', 'Azure subscription', WAYS, ('AZURE_SUBSCRIPTION_ID', 'ARM_SUBSCRIPTION_ID'), GUID, az_subscription, 'az CLI default subscription', PLACEHOLDER
)


def azure_subscription(spec_value: str | None, environ: Mapping[str, str] | None = None) -> Account:
    """The spec's value, else the environment's or the CLI configuration's, else a placeholder that `up` refuses."""
    return SOURCE.find(spec_value, environ)


def aks_kubeconfig(name: Any, server: Any, ca_data: Any) -> dict[str, Any]:
    """AKS with Entra ID: kubelogin exchanges the Azure CLI login for a token (no local admin credentials)."""
    from aiinfra.components.kubernetes.kubeconfig import exec_kubeconfig

    return exec_kubeconfig(
        name,
        server,
        ca_data,
        {
            "command": "kubelogin",
            "args": ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_ID],
            "installHint": "az aks install-cli",
        },
    )


def gpu_driver(spec: "EnvironmentSpec", pools: list["ResolvedPool"]) -> tuple[str, list[Problem]]:
    """Who installs the NVIDIA driver on AKS GPU pools: AKS or the GPU operator, never both (gpu-fabrics.md §3.3).

    GPUDirect RDMA on InfiniBand needs nvidia-peermem built against the Network Operator's DOCA driver: the
    operator's driver does that (driver.rdma.enabled); the AKS-managed one needs the nvidia-peermem-reloader,
    which aiinfra does not install. So InfiniBand pools default to `none`, and `aks` with them is refused.
    """
    chosen = spec.azure.gpu_driver
    operator = spec.mlops.gpu_operator
    # Only NVIDIA pools take the NVIDIA driver; AMD pools get theirs from the AMD GPU operator.
    nvidia = [p for p in pools if p.gpu and p.family in (None, "nvidia")]
    ib = [p.name for p in nvidia if p.fabric_kind == "infiniband"]
    gpus = bool(nvidia)
    driver = chosen or ("none" if ib and operator else "aks")
    problems = []
    if driver == "none" and gpus and not operator:
        problems.append(
            Problem(
                "azure.gpu_driver",
                "gpu_driver: none leaves the NVIDIA driver to the GPU operator, but mlops.gpu_operator is off, so GPU nodes would have no driver",
                "turn mlops.gpu_operator on, or set azure.gpu_driver: aks",
            )
        )
    if chosen == "aks" and ib and operator:
        problems.append(
            Problem(
                "azure.gpu_driver",
                f"InfiniBand pool(s) {', '.join(ib)} need GPUDirect RDMA, which with the AKS-managed driver needs the nvidia-peermem-reloader that aiinfra does not install",
                "leave azure.gpu_driver out or set it to none: the GPU operator then installs the driver with RDMA after the Network Operator's DOCA driver",
            )
        )
    return driver, problems


_AKS_UNUSED = {
    "migManager": {"enabled": False},
    "vgpuDeviceManager": {"enabled": False},
    "vfioManager": {"enabled": False},
    "sandboxDevicePlugin": {"enabled": False},
}


@register
class AzureProfile(CloudProfile):
    name = "azure"
    display = "Azure"
    article = "an Azure"
    kubernetes = "AKS"
    # AKS quotas: 1,000 nodes per node pool (VM scale set, single placement group off; learn.microsoft.com/azure/aks/quotas-skus-regions,
    # hashicorp/terraform-provider-azurerm#9198).
    max_pool_nodes = 1000
    max_pool_nodes_source = "AKS limit: nodes per node pool"
    order = 30
    sdk_module = "pulumi_azure_native"
    pulumi_package = "azure-native"
    example_region = "eastus"
    terms = {"network": "VNet", "nat": "NAT gateway", "bucket": "Blob container", "registry": "Azure Container Registry", "identity": "managed identity (workload identity)"}
    starter_settings = """\nazure:\n  resource_group: {name}-rg   # created if missing; default: <name>-rg\n  # subscription_id: 00000000-0000-0000-0000-000000000000   # default: the one `az login` selected\n"""

    settings = "aiinfra.components.azure.settings:AzureSettings"
    account_field = "subscription_id"

    pattern_words = {
        GUID_PATTERN: "a subscription ID, which is a GUID such as 0f0e0d0c-0b0a-4909-8807-060504030201",
        RESOURCE_GROUP_PATTERN: "up to 90 letters, digits, and - _ . ( ), not ending with a period",
    }
    backend_scheme = "azblob://"
    bucket_scheme = "az"
    bucket_type_prefixes = ("azure-native:storage:",)
    credential_fixes = (
        "az login && az account set --subscription <subscription-id>",
        "export ARM_CLIENT_ID=<app-id> ARM_CLIENT_SECRET=<secret> ARM_TENANT_ID=<tenant> ARM_SUBSCRIPTION_ID=<subscription-id>",
    )
    verify_command = ("az", "account", "show", "--output", "json")
    unverifiable_sources = ("ARM_USE",)
    # Rows per azure.gpu_driver (gpu_stack). aks (gpuProfile.driver Install): the node image carries the driver and
    # the NVIDIA container runtime; an operator toolkit would rewrite containerd's config, which uninstalling the
    # operator cannot undo (mlops-addons.md §2 "managed-driver clouds"; the containerd detail is from the
    # aks-rdma-infiniband docs page configurations/gpu-operator, not in shared/reference: verified: false).
    # none (gpuProfile.driver None): the operator owns driver and toolkit (gpu-fabrics.md §3.3).
    gpu_operator_values = {
        "azure-aks": {**_AKS_UNUSED, "driver": {"enabled": False}, "toolkit": {"enabled": False}},
        "azure-none": {**_AKS_UNUSED, "driver": {"enabled": True}, "toolkit": {"enabled": True}},
    }
    # Only where the operator installs the toolkit (it creates the RuntimeClass); AKS-managed nodes run GPUs
    # through containerd's default runtime (verified: false, no live AKS run yet).
    nvidia_runtime_class = {"azure-aks": False, "azure-none": True}
    storage_class = None  # managed-csi is the AKS default
    autoscalers = {"cluster-autoscaler": "AKS cluster autoscaler", "nap": "AKS node auto-provisioning (NodePool {pool})"}
    default_autoscaler = "cluster-autoscaler"
    capabilities = {
        "fabrics": Capability(True, "InfiniBand with GPUDirect RDMA on ND-series VMs (Network Operator + GPU operator driver)", ("infiniband",)),
        "spot": Capability(True, "Spot VM scale sets on AKS node pools (AKS taints spot nodes itself)"),
        "reservations": Capability(True, "capacity reservation groups by ARM id"),
        "zoneless_regions": Capability(True, "some Azure regions (e.g. westus, northcentralus) have no availability zones; pools there are not zone-pinned"),
        "capacity_blocks": Capability(
            False, "block-type capacity reservations need compute API 2025-04-01 (not in azure-native 3.x's default module) and are in private preview on AKS"
        ),
        "flex_start": Capability(False, "AKS has no flex-start node pools"),
        "queued_provisioning": Capability(False, "AKS has no queued provisioning of node pools"),
    }
    reservation = ReservationShape(
        r"(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Compute/capacityReservationGroups/[^/]+$",
        "the resource id of a capacity reservation group",
        "/subscriptions/<subscription>/resourceGroups/<group>/providers/Microsoft.Compute/capacityReservationGroups/h100-crg",
    )
    # ARM deployment errors of a VM scale set: "Allocation failed. We do not have sufficient capacity for the
    # requested VM size in this region" (AllocationFailed, Azure/AKS#1272), ZonalAllocationFailed, the
    # OverconstrainedZonalAllocationRequest of jenkins-infra/helpdesk#3584, and SkuNotAvailable ("The requested
    # size ... is currently not available in location 'eastus' zones '1,2,3'", Azure/AKS#1444).
    capacity_errors = CapacityErrors(
        capacity=(r"\bAllocationFailed\b", r"ZonalAllocationFailed", r"Overconstrained(Zonal)?AllocationRequest", r"SkuNotAvailable",
                  r"do not have sufficient capacity for the requested VM size", r"is currently not available in location"),
        quota=(r"QuotaExceeded", r"exceeding approved .* quota", r"aka\.ms/cpu-quota"),
    )

    def quota_needs(self, env: Any, pool: Any) -> list[Any]:
        from aiinfra.components.azure.quotas import needs

        return needs(pool)

    def quota_lookup(self, env: Any, quotas: list[str]) -> Mapping[str, Any]:
        from aiinfra.components.azure.quotas import lookup

        return lookup(self.account_value(env.spec, env.account), env.spec.region, quotas)

    def credential_source(self, environ: Mapping[str, str], home: Path) -> str | None:
        for prefix in ("ARM", "AZURE"):
            if environ.get(f"{prefix}_CLIENT_ID") and (
                environ.get(f"{prefix}_CLIENT_SECRET") or environ.get(f"{prefix}_CLIENT_CERTIFICATE_PATH") or environ.get(f"{prefix}_FEDERATED_TOKEN_FILE")
            ):
                return f"{prefix}_CLIENT_ID"
        if environ.get("ARM_USE_OIDC") == "true" or environ.get("ARM_USE_MSI") == "true":
            return "ARM_USE_OIDC" if environ.get("ARM_USE_OIDC") == "true" else "ARM_USE_MSI"
        profile = Path(environ.get("AZURE_CONFIG_DIR") or home / ".azure") / "azureProfile.json"
        has_subscriptions = _file_with(profile, '"subscriptions"') and not _file_with(profile, '"subscriptions": []')
        return str(profile) if has_subscriptions else None

    def account(self, spec: "EnvironmentSpec", environ: Mapping[str, str] | None = None) -> Account | None:
        """A placeholder subscription stays out of the program: offline runs use the mocks' one, `up` the ambient one."""
        return azure_subscription(spec.azure.subscription_id, environ)

    def check(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"]) -> list[Problem]:
        problems = []
        if spec.network.nat_gateways == "per-zone":
            problems.append(
                Problem(
                    "network.nat_gateways",
                    "Azure attaches one NAT gateway to a subnet, so the node subnet cannot have one per zone",
                    "use nat_gateways: one (one regional NAT gateway on Azure)",
                )
            )
        return problems + gpu_driver(spec, pools)[1]

    def provisioning(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"], autoscaler: str) -> tuple[list["ResolvedPool"], list[Problem], list[Problem]]:
        """Under NAP, what it cannot provision is refused, and a minimum it does not hold is a warning (components/azure/nap.py)."""
        if autoscaler != "nap":
            return pools, [], []
        from aiinfra.components.azure.nap import refusals, unheld_minimums

        return pools, refusals(spec, pools), unheld_minimums(spec, pools)

    def filesystem_subnets(self, spec: "EnvironmentSpec", prefixes: list[int]) -> str | None:
        from aiinfra.components.azure.subnets import plan_lustre_subnets, plan_subnets

        if plan_lustre_subnets(spec.network.cidr, plan_subnets(spec.network.cidr)[1], prefixes) is not None:
            return None
        sizes = ", ".join(f"/{p}" for p in prefixes)
        return f"Azure Managed Lustre needs a subnet of its own ({sizes}) and network.cidr {spec.network.cidr} has no room left beside the node and endpoint subnets"

    def gpu_driver(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"]) -> str | None:
        return gpu_driver(spec, pools)[0]

    def stack_config(self, env: Any) -> dict[str, str]:
        cfg = {"azure-native:location": env.spec.region}
        subscription = self.account_value(env.spec, env.account)
        if subscription:
            cfg["azure-native:subscriptionId"] = subscription
        return cfg

    def kubeconfig(self, name: Any, endpoint: Any, ca_data: Any, region: Any = None) -> dict[str, Any]:
        return aks_kubeconfig(name, endpoint, ca_data)

    def gpu_stack(self, gpu_driver: str | None) -> str:
        return f"azure-{gpu_driver}"

    def artifact_root(self, bucket: str, account: str | None, path: str) -> dict[str, Any]:
        if not account:
            raise ValueError("an az:// artifact store needs the storage account name")
        return {"azureBlob": {"enabled": True, "container": bucket, "storageAccount": account, "path": path}}

    def fixed_resources(self, env: Any) -> dict[str, int]:
        return {
            "azure-native:containerservice:ManagedCluster": 1,
            "azure-native:network:NatGateway": 1,
            "azure-native:network:PublicIPAddress": 1,  # the NAT gateway's address
            "azure-native:keyvault:Key": 1 if env.spec.azure.etcd_kms else 0,
        }


def _file_with(path: Path, needle: str) -> bool:
    try:
        return path.is_file() and needle in path.read_text(errors="replace")
    except OSError:
        return False

