"""Shared helpers for the Azure component tests (imported by name; pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from aiinfra.components.azure import mocks as mock
from aiinfra.program import engine

REGION = "eastus"
ZONES = ["1", "2", "3"]
SUBSCRIPTION = mock.SUBSCRIPTION
TENANT = mock.TENANT
DEPLOYER = mock.DEPLOYER_OBJECT_ID
RG = "demo-rg"
RG_ID = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}"
VNET_ID = f"{RG_ID}/providers/Microsoft.Network/virtualNetworks/demo-vnet"
SUBNET_ID = f"{VNET_ID}/subnets/nodes"

T_RG = "azure-native:resources:ResourceGroup"
T_VNET = "azure-native:network:VirtualNetwork"
T_SUBNET = "azure-native:network:Subnet"
T_NSG = "azure-native:network:NetworkSecurityGroup"
T_NAT = "azure-native:network:NatGateway"
T_PIP = "azure-native:network:PublicIPAddress"
T_AKS = "azure-native:containerservice:ManagedCluster"
T_POOL = "azure-native:containerservice:AgentPool"
T_ACCOUNT = "azure-native:storage:StorageAccount"
T_BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
T_CONTAINER = "azure-native:storage:BlobContainer"
T_ACR = "azure-native:containerregistry:Registry"
T_UAI = "azure-native:managedidentity:UserAssignedIdentity"
T_FIC = "azure-native:managedidentity:FederatedIdentityCredential"
T_ROLE = "azure-native:authorization:RoleAssignment"
T_VAULT = "azure-native:keyvault:Vault"
T_KEY = "azure-native:keyvault:Key"
T_PROVIDER = "pulumi:providers:azure-native"

ENV_COMPONENT = "aiinfra:index:Environment"


def mocks(zones: list[str] | None = None, region: str = REGION, **settings: Any) -> engine.CloudMocks:
    zs = list(ZONES if zones is None else zones)
    return engine.CloudMocks("azure", region, zs, offered_zones=lambda t: list(zs), settings=settings)


def run(program: Callable[[], Any], m: engine.CloudMocks | None = None) -> engine.RunResult:
    return engine.run(program, m or mocks(), stack="test")


def mock_outputs(m: engine.CloudMocks, token: str, name: str, inputs: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    return m.outputs(token, name, dict(inputs or {}))


def by_name(resources: Iterable[engine.CapturedResource]) -> dict[str, engine.CapturedResource]:
    out: dict[str, engine.CapturedResource] = {}
    for r in resources:
        assert r.name not in out, f"two resources named {r.name}"
        out[r.name] = r
    return out


def role_id(guid: str, subscription: str = SUBSCRIPTION) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


def assignments(result: engine.RunResult) -> list[tuple[str, str, str]]:
    """Every role assignment as (role definition GUID, scope, principal id)."""
    return sorted((r.inputs["roleDefinitionId"].rsplit("/", 1)[-1], r.inputs["scope"], r.inputs["principalId"]) for r in result.of_type(T_ROLE))
