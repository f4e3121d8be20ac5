"""Mock answers for pulumi-azure-native resources and invokes.

Every resource gets the ARM id, `name` and `location` Azure would give it, built from the
inputs the program sends (resource group, parent names) so that ids chain like on `pulumi up`.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from aiinfra.components.azure.profile import PLACEHOLDER as AZURE_PLACEHOLDER
from aiinfra.components.base.mocks import autoname, hexid

SUBSCRIPTION = AZURE_PLACEHOLDER  # offline output says it uses a placeholder subscription; this is it
TENANT = "0e3a4b5c-6d7e-4f80-91a2-b3c4d5e6f708"
DEPLOYER_OBJECT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
DEPLOYER_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def subscription(m) -> str:
    return m.settings.get("subscription_id") or SUBSCRIPTION


def _guid(seed: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"aiinfra-mock:{seed}"))


def _rg(m, inputs: dict[str, Any]) -> str:
    return inputs.get("resourceGroupName") or m.settings.get("resource_group") or "aiinfra-rg"


def _rg_id(m, inputs: dict[str, Any]) -> str:
    return f"/subscriptions/{subscription(m)}/resourceGroups/{_rg(m, inputs)}"


# <module>_<Kind> -> (ARM path under the resource group, input holding the resource's own name).
# Path fields name other inputs (the parent's name); {_} is the resource's own name.
ARM_PATHS: dict[str, tuple[str, str]] = {
    "network_VirtualNetwork": ("Microsoft.Network/virtualNetworks/{_}", "virtualNetworkName"),
    "network_Subnet": ("Microsoft.Network/virtualNetworks/{virtualNetworkName}/subnets/{_}", "subnetName"),
    "network_NetworkSecurityGroup": ("Microsoft.Network/networkSecurityGroups/{_}", "networkSecurityGroupName"),
    "network_NatGateway": ("Microsoft.Network/natGateways/{_}", "natGatewayName"),
    "network_PublicIPAddress": ("Microsoft.Network/publicIPAddresses/{_}", "publicIpAddressName"),
    "containerservice_ManagedCluster": ("Microsoft.ContainerService/managedClusters/{_}", "resourceName"),
    "containerservice_AgentPool": ("Microsoft.ContainerService/managedClusters/{resourceName}/agentPools/{_}", "agentPoolName"),
    "storage_StorageAccount": ("Microsoft.Storage/storageAccounts/{_}", "accountName"),
    "storage_BlobServiceProperties": ("Microsoft.Storage/storageAccounts/{accountName}/blobServices/{_}", "blobServicesName"),
    "storage_BlobContainer": ("Microsoft.Storage/storageAccounts/{accountName}/blobServices/default/containers/{_}", "containerName"),
    "containerregistry_Registry": ("Microsoft.ContainerRegistry/registries/{_}", "registryName"),
    "storagecache_AmlFilesystem": ("Microsoft.StorageCache/amlFilesystems/{_}", "amlFilesystemName"),
    "managedidentity_UserAssignedIdentity": ("Microsoft.ManagedIdentity/userAssignedIdentities/{_}", "resourceName"),
    "managedidentity_FederatedIdentityCredential": (
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}/federatedIdentityCredentials/{_}",
        "federatedIdentityCredentialResourceName",
    ),
    "keyvault_Vault": ("Microsoft.KeyVault/vaults/{_}", "vaultName"),
    "keyvault_Key": ("Microsoft.KeyVault/vaults/{vaultName}/keys/{_}", "keyName"),
    "authorization_ManagementLockAtResourceGroupLevel": ("Microsoft.Authorization/locks/{_}", "lockName"),
}


class _Fields(dict):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


def defaults(m, module, kind, name, inputs, out, h):
    entry = ARM_PATHS.get(f"{module}_{kind}")
    if entry is None:
        return None
    path, name_key = entry
    own = inputs.get(name_key) or autoname(name, h)
    fields = _Fields({k: v for k, v in inputs.items() if isinstance(v, str)}, _=own)
    rid = f"{_rg_id(m, inputs)}/providers/" + path.format_map(fields)
    out.setdefault("name", own)
    out.setdefault("location", inputs.get("location", m.region))
    out["azureApiVersion"] = "2024-01-01"
    out["provisioningState"] = "Succeeded"
    return rid


def aks_hosts(m, rg: str, cluster: str, dns_prefix: str | None = None) -> dict[str, str]:
    """Public and private API server names AKS gives a cluster: <prefix>-<hash>.hcp|<guid>.privatelink.<region>.azmk8s.io."""
    tag = hexid(f"{subscription(m)}/{rg}/{cluster}", 8)
    prefix = dns_prefix or cluster
    return {
        "fqdn": f"{prefix}-{tag}.hcp.{m.region}.azmk8s.io",
        "privateFQDN": f"{prefix}-{tag}.{_guid(tag)}.privatelink.{m.region}.azmk8s.io",
        "azurePortalFQDN": f"{prefix}-{tag}.portal.hcp.{m.region}.azmk8s.io",
    }


def _resource_group(m, name, inputs, out, h):
    rg = inputs.get("resourceGroupName") or autoname(name, h)
    out.update(name=rg, location=inputs.get("location", m.region), provisioningState="Succeeded", azureApiVersion="2024-03-01")
    return f"/subscriptions/{subscription(m)}/resourceGroups/{rg}"


def _public_ip(m, name, inputs, out, h):
    out["ipAddress"] = f"20.{int(h[:2], 16)}.{int(h[2:4], 16)}.{int(h[4:6], 16)}"
    out["resourceGuid"] = _guid(h)


def _managed_cluster(m, name, inputs, out, h):
    rg = _rg(m, inputs)
    cluster = inputs.get("resourceName") or autoname(name, h)
    hosts = aks_hosts(m, rg, cluster, inputs.get("dnsPrefix"))
    private = bool(inputs.get("apiServerAccessProfile", {}).get("enablePrivateCluster"))
    public_fqdn = inputs.get("apiServerAccessProfile", {}).get("enablePrivateClusterPublicFQDN", True)
    out.update({k: v for k, v in hosts.items() if k != "privateFQDN" and (not private or public_fqdn)})
    if private:
        out["privateFQDN"] = hosts["privateFQDN"]
    node_rg = inputs.get("nodeResourceGroup") or f"MC_{rg}_{cluster}_{m.region}"
    kubelet = f"{cluster}-agentpool"
    out.update(
        nodeResourceGroup=node_rg,
        currentKubernetesVersion=f"{inputs.get('kubernetesVersion', '1.35')}.2",
        maxAgentPools=100,
        powerState={"code": "Running"},
        oidcIssuerProfile={**inputs.get("oidcIssuerProfile", {}), "issuerURL": f"https://{m.region}.oic.prod-aks.azure.com/{TENANT}/{_guid(cluster)}/"},
        identityProfile={
            "kubeletidentity": {
                "clientId": _guid(kubelet + "client"),
                "objectId": _guid(kubelet + "object"),
                "resourceId": f"/subscriptions/{subscription(m)}/resourceGroups/{node_rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{kubelet}",
            }
        },
    )
    identity = dict(inputs.get("identity", {}))
    if identity.get("type") == "SystemAssigned":
        identity.update(principalId=_guid(cluster + "principal"), tenantId=TENANT)
    # The API takes a list of identity ids and answers with a map of id -> principal/client ids.
    identity["userAssignedIdentities"] = {
        uid: {"principalId": _guid(uid + "principal"), "clientId": _guid(uid + "client")} for uid in identity.get("userAssignedIdentities", [])
    }
    out["identity"] = identity


def _agent_pool(m, name, inputs, out, h):
    out.update(nodeImageVersion="AKSUbuntu-2204gen2containerd-202501.01.0", currentOrchestratorVersion="1.35.2")


def _storage_account(m, name, inputs, out, h):
    account = out["name"]
    out["primaryEndpoints"] = {
        kind: f"https://{account}.{kind}.core.windows.net/" for kind in ("blob", "dfs", "file", "queue", "table", "web")
    }
    out["primaryLocation"] = m.region


def _registry(m, name, inputs, out, h):
    out["loginServer"] = f"{out['name'].lower()}.azurecr.io"


def _user_assigned_identity(m, name, inputs, out, h):
    out.update(principalId=_guid(f"{name}:principal"), clientId=_guid(f"{name}:client"), tenantId=TENANT)


def _vault(m, name, inputs, out, h):
    props = dict(inputs.get("properties", {}))
    props["vaultUri"] = f"https://{out['name']}.vault.azure.net/"
    out["properties"] = props


def _key(m, name, inputs, out, h):
    base = f"https://{inputs.get('vaultName', 'vault')}.vault.azure.net/keys/{out['name']}"
    out.update(keyUri=base, keyUriWithVersion=f"{base}/{hexid(name, 32)}")


def _role_assignment(m, name, inputs, out, h):
    assignment = inputs.get("roleAssignmentName") or _guid(name)
    out.update(name=assignment, principalType=inputs.get("principalType", "ServicePrincipal"))
    return f"{inputs.get('scope', '')}/providers/Microsoft.Authorization/roleAssignments/{assignment}"


def _aml_filesystem(m, name, inputs, out, h):
    mgs = f"10.0.{int(h[:2], 16) % 200}.{int(h[2:4], 16) % 250 + 4}"
    out["clientInfo"] = {"mgsAddress": mgs, "mountCommand": f"mount -t lustre -o noatime,flock {mgs}@tcp:/lustrefs /mnt/lustre", "lustreVersion": "2.15"}
    return None


RESOURCES = {
    "storagecache_AmlFilesystem": _aml_filesystem,
    "resources_ResourceGroup": _resource_group,
    "network_PublicIPAddress": _public_ip,
    "containerservice_ManagedCluster": _managed_cluster,
    "containerservice_AgentPool": _agent_pool,
    "storage_StorageAccount": _storage_account,
    "containerregistry_Registry": _registry,
    "managedidentity_UserAssignedIdentity": _user_assigned_identity,
    "keyvault_Vault": _vault,
    "keyvault_Key": _key,
    "authorization_RoleAssignment": _role_assignment,
}


def _client_config(m, args):
    return {"clientId": DEPLOYER_CLIENT_ID, "objectId": DEPLOYER_OBJECT_ID, "subscriptionId": subscription(m), "tenantId": TENANT}


def user_kubeconfig(m, rg: str, cluster: str) -> str:
    """What AKS returns for `az aks get-credentials` on an Entra ID cluster: no secret, a kubelogin exec user."""
    import yaml

    hosts = aks_hosts(m, rg, cluster)
    ca = base64.b64encode(f"-----BEGIN CERTIFICATE-----\n{hexid(cluster + 'ca', 48)}\n-----END CERTIFICATE-----\n".encode()).decode()
    user = f"clusterUser_{rg}_{cluster}"
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": f"https://{hosts['privateFQDN']}:443", "certificate-authority-data": ca}}],
        "contexts": [{"name": cluster, "context": {"cluster": cluster, "user": user}}],
        "current-context": cluster,
        "users": [
            {
                "name": user,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "kubelogin",
                        "args": ["get-token", "--login", "devicecode", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"],
                    }
                },
            }
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def _user_credentials(m, args):
    text = user_kubeconfig(m, args["resourceGroupName"], args["resourceName"])
    return {"kubeconfigs": [{"name": "clusterUser", "value": base64.b64encode(text.encode()).decode()}]}


INVOKES = {
    "azure-native:authorization:getClientConfig": _client_config,
    "azure-native:containerservice:listManagedClusterUserCredentials": _user_credentials,
}
