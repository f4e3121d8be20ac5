"""Azure's profile: every Azure fact aiinfra needs outside the Azure components (registered in aiinfra.clouds)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.clouds import register
from aiinfra.components.azure.facts import GUID_PATTERN, AzureFacts
from aiinfra.components.base.accounts import Account, AccountSource, home_of
from aiinfra.components.base.profile import CloudProfile
from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec

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


def gpu_driver(spec: EnvironmentSpec, pools: list[ResolvedPool]) -> tuple[str, list[Problem]]:
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


@register
class AzureProfile(AzureFacts, CloudProfile):
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

    def account(self, spec: EnvironmentSpec, environ: Mapping[str, str] | None = None) -> Account | None:
        """A placeholder subscription stays out of the program: offline runs use the mocks' one, `up` the ambient one."""
        return azure_subscription(spec.azure.subscription_id, environ)

    def check(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> list[Problem]:
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

    def provisioning(self, spec: EnvironmentSpec, pools: list[ResolvedPool], autoscaler: str) -> tuple[list[ResolvedPool], list[Problem], list[Problem]]:
        """Under NAP, what it cannot provision is refused, and a minimum it does not hold is a warning (components/azure/nap.py)."""
        if autoscaler != "nap":
            return pools, [], []
        from aiinfra.components.azure.nap import refusals, unheld_minimums

        return pools, refusals(spec, pools), unheld_minimums(spec, pools)

    def filesystem_subnets(self, spec: EnvironmentSpec, prefixes: list[int]) -> str | None:
        from aiinfra.components.azure.subnets import plan_lustre_subnets, plan_subnets

        if plan_lustre_subnets(spec.network.cidr, plan_subnets(spec.network.cidr)[1], prefixes) is not None:
            return None
        sizes = ", ".join(f"/{p}" for p in prefixes)
        return f"Azure Managed Lustre needs a subnet of its own ({sizes}) and network.cidr {spec.network.cidr} has no room left beside the node and endpoint subnets"

    def gpu_driver(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> str | None:
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

