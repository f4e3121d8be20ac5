"""Cluster (components/azure/cluster.py) under the offline engine."""

from __future__ import annotations

import base64
import ipaddress
import json

import pulumi
import pytest
from azurehelpers import (
    DEPLOYER,
    RG,
    SUBNET_ID,
    SUBSCRIPTION,
    T_AKS,
    T_KEY,
    T_ROLE,
    T_UAI,
    T_VAULT,
    TENANT,
    VNET_ID,
    assignments,
    by_name,
    mock_outputs,
    mocks,
    role_id,
    run,
)

from aiinfra.components.azure import Cluster, ClusterArgs
from aiinfra.components.azure import mocks as mock
from aiinfra.components.azure.cluster import AZURE_CLI_APP, POD_CIDR, SERVICE_CIDR, vault_name
from aiinfra.components.azure.identity import ROLES, assignment_name

GROUP = "11111111-2222-4333-8444-555555555555"
USER = "66666666-7777-4888-9999-000000000000"


def _args(**kw):
    base = dict(
        resource_group_name=RG, location="eastus", subscription_id=SUBSCRIPTION, tenant_id=TENANT, vnet_id=VNET_ID,
        node_subnet_id=SUBNET_ID, zones=["1", "2", "3"], deployer_object_id=DEPLOYER, deployer_client_id=AZURE_CLI_APP,
    )
    base.update(kw)
    return ClusterArgs(**base)


def _run(**kw):
    m = mocks()

    def program():
        c = Cluster("demo", _args(**kw))
        return {
            "name": c.name, "endpoint": c.endpoint, "issuer": c.oidc_issuer_url, "kubelet": c.kubelet_object_id,
            "kubeconfig": c.kubeconfig, "kubeconfig_secret": pulumi.Output.from_input(c.kubeconfig.is_secret()),
        }

    return run(program, m), m


@pytest.fixture(scope="module")
def default():
    return _run()


@pytest.fixture(scope="module")
def public():
    return _run(public_endpoint=True, public_access_cidrs=["203.0.113.0/24"], etcd_kms=False, deletion_protection=False, admins=[GROUP, f"user:{USER}"])


def _aks(result):
    return result.one(T_AKS).inputs


def test_private_cluster_without_public_fqdn(default):
    api = _aks(default[0])["apiServerAccessProfile"]
    assert api["enablePrivateCluster"] is True and api["enablePrivateClusterPublicFQDN"] is False
    assert "authorizedIPRanges" not in api
    assert default[0].outputs["endpoint"].endswith(".privatelink.eastus.azmk8s.io:443")


def test_public_endpoint_is_restricted(public):
    api = _aks(public[0])["apiServerAccessProfile"]
    assert api["enablePrivateCluster"] is False and api["authorizedIPRanges"] == ["203.0.113.0/24"]
    assert ".hcp.eastus.azmk8s.io" in public[0].outputs["endpoint"]


def test_entra_only_with_azure_rbac(default):
    aks = _aks(default[0])
    assert aks["aadProfile"] == {"managed": True, "enableAzureRBAC": True, "tenantID": TENANT}
    assert aks["disableLocalAccounts"] is True and aks["enableRBAC"] is True


def test_oidc_issuer_and_workload_identity(default):
    aks = _aks(default[0])
    assert aks["oidcIssuerProfile"] == {"enabled": True}
    assert aks["securityProfile"]["workloadIdentity"] == {"enabled": True}
    assert default[0].outputs["issuer"].startswith("https://eastus.oic.prod-aks.azure.com/")


def test_automatic_upgrades(default):
    assert _aks(default[0])["autoUpgradeProfile"] == {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"}


def test_cni_overlay_with_network_policy_and_nat_egress(default):
    net = _aks(default[0])["networkProfile"]
    assert (net["networkPlugin"], net["networkPluginMode"], net["networkPolicy"], net["networkDataplane"]) == ("azure", "overlay", "cilium", "cilium")
    assert net["outboundType"] == "userAssignedNATGateway"
    vnet = ipaddress.ip_network("10.0.0.0/16")
    assert not vnet.overlaps(ipaddress.ip_network(net["podCidr"])) and not vnet.overlaps(ipaddress.ip_network(net["serviceCidr"]))
    assert ipaddress.ip_address(net["dnsServiceIP"]) in ipaddress.ip_network(net["serviceCidr"])


def test_system_pool(default):
    (pool,) = _aks(default[0])["agentPoolProfiles"]
    assert (pool["name"], pool["mode"], pool["vmSize"], pool["count"]) == ("system", "System", "Standard_D4s_v5", 2)
    assert pool["enableEncryptionAtHost"] is True and pool["enableNodePublicIP"] is False
    assert pool["vnetSubnetID"] == SUBNET_ID and pool["availabilityZones"] == ["1", "2", "3"]
    assert "gpuProfile" not in pool and not pool.get("nodeTaints")


def test_control_plane_identity_can_join_the_vnet(default):
    result, m = default
    uai = result.one(T_UAI)
    uai_id, uai_out = mock_outputs(m, T_UAI, uai.name, uai.inputs)
    assert _aks(result)["identity"] == {"type": "UserAssigned", "userAssignedIdentities": [uai_id]}
    assert (ROLES["Network Contributor"], VNET_ID, uai_out["principalId"]) in assignments(result)


def test_etcd_encrypted_with_a_key_vault_key(default):
    result, m = default
    vault, key = result.one(T_VAULT), result.one(T_KEY)
    props = vault.inputs["properties"]
    assert props["enableRbacAuthorization"] is True and props["enablePurgeProtection"] is True and props["softDeleteRetentionInDays"] == 90
    assert vault.inputs["vaultName"] == vault_name("demo", SUBSCRIPTION) and len(vault.inputs["vaultName"]) <= 24
    assert key.inputs["properties"]["kty"] == "RSA"
    _, key_out = mock_outputs(m, T_KEY, key.name, key.inputs)
    kms = _aks(result)["securityProfile"]["azureKeyVaultKms"]
    assert kms == {"enabled": True, "keyId": key_out["keyUriWithVersion"], "keyVaultNetworkAccess": "Public"}
    vault_id, _ = mock_outputs(m, T_VAULT, vault.name, vault.inputs)
    _, uai_out = mock_outputs(m, T_UAI, result.one(T_UAI).name, result.one(T_UAI).inputs)
    assert (ROLES["Key Vault Crypto User"], vault_id, uai_out["principalId"]) in assignments(result)


def test_cluster_waits_for_its_identity_roles(default):
    result, _ = default
    roles = by_name(result.of_type(T_ROLE))
    deps = result.one(T_AKS).options["depends_on"]
    assert roles["demo-control-plane-network"].urn in deps and roles["demo-control-plane-kms"].urn in deps


def test_without_kms_no_vault(public):
    result, _ = public
    assert result.of_type(T_VAULT) == [] and result.of_type(T_KEY) == []
    assert "azureKeyVaultKms" not in _aks(result)["securityProfile"]


def test_deletion_protection_is_pulumi_protect(default, public):
    assert default[0].one(T_AKS).options["protect"] is True
    assert not public[0].one(T_AKS).options["protect"]


def test_deployer_is_admin_by_default(default):
    result, m = default
    cluster_id, _ = mock_outputs(m, T_AKS, "demo-aks", _aks(result))
    (admin,) = [r for r in result.of_type(T_ROLE) if r.name.startswith("demo-admin")]
    assert admin.inputs["roleDefinitionId"] == role_id(ROLES["Azure Kubernetes Service RBAC Cluster Admin"])
    assert (admin.inputs["scope"], admin.inputs["principalId"], admin.inputs["principalType"]) == (cluster_id, DEPLOYER, "User")


def test_service_principal_deployer():
    result, _ = _run(deployer_client_id="aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee")
    (admin,) = [r for r in result.of_type(T_ROLE) if r.name.startswith("demo-admin")]
    assert admin.inputs["principalType"] == "ServicePrincipal"


def test_listed_admins_with_their_principal_types(public):
    admins = sorted((r.inputs["principalId"], r.inputs["principalType"]) for r in public[0].of_type(T_ROLE) if r.name.startswith("demo-admin"))
    assert admins == sorted([(GROUP, "Group"), (USER, "User")])


def test_role_assignment_names_are_stable_guids(default):
    first = {r.name: r.inputs["roleAssignmentName"] for r in default[0].of_type(T_ROLE)}
    again = {r.name: r.inputs["roleAssignmentName"] for r in _run()[0].of_type(T_ROLE)}
    assert first == again
    for r in default[0].of_type(T_ROLE):
        role = next(k for k, v in ROLES.items() if r.inputs["roleDefinitionId"].endswith(v))
        assert r.inputs["roleAssignmentName"] == assignment_name(r.inputs["scope"], role, r.inputs["principalId"])


def test_kubeconfig_uses_kubelogin_and_the_cluster_ca(default):
    result, m = default
    kc = json.loads(result.outputs["kubeconfig"])
    (user,) = kc["users"]
    assert user["user"]["exec"]["command"] == "kubelogin"
    assert user["user"]["exec"]["args"] == ["get-token", "--login", "azurecli", "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630"]
    assert "token" not in user["user"] and "client-certificate-data" not in user["user"]
    (cluster,) = kc["clusters"]
    assert cluster["cluster"]["server"] == result.outputs["endpoint"]
    assert base64.b64decode(cluster["cluster"]["certificate-authority-data"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert "certificate-authority-data" in mock.user_kubeconfig(m, RG, "demo")


def test_kubeconfig_is_secret(default):
    assert default[0].outputs["kubeconfig_secret"] is True


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"public_endpoint": True}, "public_access_cidrs"),
        ({"public_endpoint": True, "public_access_cidrs": ["0.0.0.0/0"]}, "0.0.0.0/0"),
        ({"vnet_cidr": "10.244.0.0/16"}, "overlaps"),
        ({"vnet_cidr": "172.16.0.0/12"}, "overlaps"),
        ({"admins": ["arn:aws:iam::1:role/x"]}, "object IDs"),
        ({"admins": [f"robot:{GROUP}"]}, "object IDs"),
    ],
)
def test_invalid_args_raise(kw, message):
    with pytest.raises(ValueError, match=message):
        _run(**kw)


def test_ranges_are_constants_that_do_not_overlap():
    assert not ipaddress.ip_network(POD_CIDR).overlaps(ipaddress.ip_network(SERVICE_CIDR))


def test_container_insights_by_default(default):
    """AI-AZ-010 once fired on every Azure preview: logs now go to a Log Analytics workspace unless turned off."""
    result = default[0]
    oms = _aks(result)["addonProfiles"]["omsagent"]
    assert oms["enabled"] is True and oms["config"]["useAADAuth"] == "true" and oms["config"]["logAnalyticsWorkspaceResourceID"]
    rule = result.one("azure-native:monitor:DataCollectionRule").inputs
    assert rule["kind"] == "Linux" and rule["dataSources"]["extensions"][0]["extensionName"] == "ContainerInsights"
    assert rule["dataFlows"][0]["destinations"] == [rule["destinations"]["logAnalytics"][0]["name"]]
    assoc = result.one("azure-native:monitor:DataCollectionRuleAssociation").inputs
    assert assoc["associationName"] == "ContainerInsightsExtension" and assoc["resourceUri"].endswith("/managedClusters/demo")


def test_container_insights_off():
    result, _ = _run(container_insights=False)
    assert "omsagent" not in _aks(result)["addonProfiles"]
    assert not [r for r in result.resources if r.type.startswith(("azure-native:monitor:", "azure-native:operationalinsights:"))]
