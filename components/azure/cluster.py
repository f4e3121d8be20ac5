"""AKS control plane: private API server, Entra ID with Azure RBAC and no local accounts, OIDC issuer and
workload identity, automatic upgrades, Azure CNI overlay with Cilium network policy, etcd encrypted with a
Key Vault key (KMS), Container insights (monitoring.py), and the CPU system pool.

Deletion protection: AKS has no deletion-protection flag, so a protected cluster is a Pulumi-protected
ManagedCluster (and resource group, see Network): `down` and any replacement fail until
`cluster.deletion_protection` is turned off. A CanNotDelete management lock on the resource group was
rejected: Azure applies it to every child, so it would also block removing a node pool, a role
assignment or a subnet during ordinary updates, and it protects nothing Pulumi protect does not.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as az

from aiinfra import defaults
from aiinfra.components.azure import monitoring
from aiinfra.components.azure.identity import grant
from aiinfra.components.azure.profile import aks_kubeconfig
from aiinfra.components.base import cluster as base_cluster
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.gpu_pool import SystemPool
from aiinfra.components.base.util import child, merge_tags, to_json
from aiinfra.problems import Problem

# Overlay pod and service ranges; they must not overlap the VNet.
POD_CIDR = "10.244.0.0/16"
SERVICE_CIDR = "172.16.0.0/16"
DNS_SERVICE_IP = "172.16.0.10"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
# Azure checks a role assignment's principalType against the principal, and the SDK defaults it to User.
ADMIN_KINDS = {"group": "Group", "user": "User", "sp": "ServicePrincipal"}
AZURE_CLI_APP = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


@dataclass
class ClusterArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    subscription_id: str
    tenant_id: str
    vnet_id: pulumi.Input[str]
    node_subnet_id: pulumi.Input[str]
    vnet_cidr: str = "10.0.0.0/16"
    zones: list[str] = field(default_factory=list)
    kubernetes_version: str = field(default_factory=defaults.kubernetes_version)
    extended_support: bool = field(default=False, metadata={"doc": "the version is past standard support: run it in the cloud's paid extended support (aiinfra.catalog.kubernetes)"})
    public_endpoint: bool = False
    public_access_cidrs: list[str] = field(default_factory=list)
    admins: list[str] = field(default_factory=list, metadata={"doc": "Entra ID object IDs: '<id>' or 'group:<id>', 'user:<id>', 'sp:<id>'"})
    deployer_object_id: str | None = None
    deployer_client_id: str | None = None
    etcd_kms: bool = True
    container_insights: bool = True
    deletion_protection: bool = defaults.DELETION_PROTECTION
    system: SystemPool = field(default_factory=lambda: SystemPool("Standard_D4s_v5"), metadata={"doc": "the system pool (ResolvedEnvironment.system_pool)"})
    tags: dict[str, str] = field(default_factory=dict)
    node_provisioning: bool = field(default=False, metadata={"doc": "node auto-provisioning (NAP): autoscaling pools are Karpenter NodePools (components/azure/nap.py)"})


def node_provisioning(args: ClusterArgs) -> az.containerservice.ManagedClusterNodeProvisioningProfileArgs | None:
    """NAP with no default NodePools of AKS's own: only aiinfra's pools may start nodes (k8s-ai-2026.md §2.2)."""
    if not args.node_provisioning:
        return None
    return az.containerservice.ManagedClusterNodeProvisioningProfileArgs(mode="Auto", default_node_pools="None")


def vault_name(env: str, subscription_id: str) -> str:
    """Key Vault names are global, 3-24 characters, letters, digits and single hyphens."""
    stem = re.sub("-+", "-", env)[:12].rstrip("-")
    return f"{stem}-kms-{hashlib.sha256(f'{subscription_id}/{env}'.encode()).hexdigest()[:6]}"


def etcd_key(name: str, args: ClusterArgs, parent: pulumi.Resource) -> tuple[az.keyvault.Vault, az.keyvault.Key]:
    """A vault with Azure RBAC (no access policies) and the RSA key AKS wraps etcd's data keys with.

    Purge protection follows deletion protection: it keeps a deleted key recoverable for the retention
    period, but also reserves the vault name for that long, which a throwaway environment cannot afford.
    Rotating means a new key version and updating the cluster's key id.
    """
    vault = az.keyvault.Vault(
        f"{name}-kms",
        vault_name=vault_name(name, args.subscription_id),
        resource_group_name=args.resource_group_name,
        location=args.location,
        properties=az.keyvault.VaultPropertiesArgs(
            tenant_id=args.tenant_id,
            sku=az.keyvault.SkuArgs(family="A", name="standard"),
            enable_rbac_authorization=True,
            enable_soft_delete=True,
            soft_delete_retention_in_days=7 if not args.deletion_protection else 90,
            enable_purge_protection=True if args.deletion_protection else None,
            public_network_access="Enabled",
        ),
        tags=args.tags,
        opts=child(parent),
    )
    key = az.keyvault.Key(
        f"{name}-etcd",
        key_name="etcd",
        vault_name=vault.name,
        resource_group_name=args.resource_group_name,
        properties=az.keyvault.KeyPropertiesArgs(kty="RSA", key_size=2048, key_ops=["encrypt", "decrypt", "wrapKey", "unwrapKey"]),
        tags=args.tags,
        opts=child(parent),
    )
    return vault, key


def system_pool(args: ClusterArgs) -> az.containerservice.ManagedClusterAgentPoolProfileArgs:
    return az.containerservice.ManagedClusterAgentPoolProfileArgs(
        name="system",
        mode="System",
        vm_size=args.system.machine_type,
        count=args.system.nodes,
        os_type="Linux",
        os_sku="Ubuntu",
        type="VirtualMachineScaleSets",
        vnet_subnet_id=args.node_subnet_id,
        availability_zones=list(args.zones) or None,
        enable_encryption_at_host=True,
        enable_node_public_ip=False,
        os_disk_size_gb=args.system.disk_gib,
        node_labels={**args.system.labels, "aiinfra.dev/pool": "system"},
        upgrade_settings=az.containerservice.AgentPoolUpgradeSettingsArgs(max_surge="33%"),
        tags=args.tags,
    )


def api_server_access(args: ClusterArgs) -> az.containerservice.ManagedClusterAPIServerAccessProfileArgs:
    if args.public_endpoint:
        return az.containerservice.ManagedClusterAPIServerAccessProfileArgs(enable_private_cluster=False, authorized_ip_ranges=list(args.public_access_cidrs))
    # The public FQDN of a private cluster would resolve its private IP for anyone; leave it off.
    return az.containerservice.ManagedClusterAPIServerAccessProfileArgs(
        enable_private_cluster=True, enable_private_cluster_public_fqdn=False, private_dns_zone="system"
    )


def network_profile() -> az.containerservice.ContainerServiceNetworkProfileArgs:
    return az.containerservice.ContainerServiceNetworkProfileArgs(
        network_plugin="azure",
        network_plugin_mode="overlay",
        network_dataplane="cilium",
        network_policy="cilium",
        pod_cidr=POD_CIDR,
        service_cidr=SERVICE_CIDR,
        dns_service_ip=DNS_SERVICE_IP,
        outbound_type="userAssignedNATGateway",
        load_balancer_sku="standard",
    )


def check(args: ClusterArgs) -> list[Problem]:
    """The shared endpoint rule plus AKS's: the VNet clear of the pod and service ranges, admins that are
    Entra object ids, and somebody who can use the cluster."""
    problems = base_cluster.public_endpoint(args.public_endpoint, args.public_access_cidrs)
    vnet = ipaddress.ip_network(args.vnet_cidr)
    for label, cidr in (("pod", POD_CIDR), ("service", SERVICE_CIDR)):
        if vnet.overlaps(ipaddress.ip_network(cidr)):
            problems.append(Problem("vnet_cidr", f"the VNet {args.vnet_cidr} overlaps the AKS {label} range {cidr}", "pick another network.cidr", args.vnet_cidr))
    for i, a in enumerate(args.admins):
        if _admin_problem(a):
            problems.append(Problem(f"admins[{i}]", _admin_problem(a) or "", value=a))
    if not args.admins and not args.deployer_object_id:
        problems.append(Problem("admins", "no admins and no deployer object id: nobody could use the cluster", "list admins, or deploy signed in to Azure"))
    return problems


def _admin_problem(entry: str) -> str | None:
    kind, _, oid = entry.rpartition(":")
    if not GUID.match(oid) or (kind or "group") not in ADMIN_KINDS:
        return f"AKS admins are Entra ID object IDs, optionally prefixed group:, user: or sp: (got {entry!r})"
    return None


def admin_principal(entry: str) -> tuple[str, str]:
    """An admin as (object id, principal type): a bare object id is a group, the usual way to grant admin."""
    problem = _admin_problem(entry)
    if problem:
        raise ValueError(problem)  # check() reports it with its path first; reaching here is a caller's bug
    kind, _, oid = entry.rpartition(":")
    return oid, ADMIN_KINDS[kind or "group"]


def admins(args: ClusterArgs) -> list[tuple[str, str]]:
    """The spec's admins, or else whoever deploys: a user when signed in through the Azure CLI, else a service principal."""
    if args.admins:
        return [admin_principal(a) for a in args.admins]
    assert args.deployer_object_id
    return [(args.deployer_object_id, "User" if args.deployer_client_id == AZURE_CLI_APP else "ServicePrincipal")]


class Cluster(pulumi.ComponentResource):
    """An AKS cluster that is private, Entra-only and encrypted by default, with its system pool."""

    name: pulumi.Output[str]
    id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc_issuer_url: pulumi.Output[str]
    kubelet_object_id: pulumi.Output[str]
    identity_principal_id: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    managed_cluster: az.containerservice.ManagedCluster

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:Cluster", name, None, opts)
        raise_if("aiinfra:azure:Cluster", name, check(args))
        tags = merge_tags(args.tags)

        control_plane = az.managedidentity.UserAssignedIdentity(
            f"{name}-control-plane", resource_name_=f"{name}-control-plane", resource_group_name=args.resource_group_name, location=args.location, tags=tags, opts=child(self)
        )
        # AKS joins nodes to the subnet and checks its NAT gateway with this identity.
        ready = [grant(f"{name}-control-plane-network", "Network Contributor", args.vnet_id, control_plane.principal_id, args.subscription_id, self)]
        kms = None
        if args.etcd_kms:
            vault, key = etcd_key(name, args, self)
            ready.append(grant(f"{name}-control-plane-kms", "Key Vault Crypto User", vault.id, control_plane.principal_id, args.subscription_id, self))
            kms = az.containerservice.AzureKeyVaultKmsArgs(enabled=True, key_id=key.key_uri_with_version, key_vault_network_access="Public")

        addons = {"azurepolicy": az.containerservice.ManagedClusterAddonProfileArgs(enabled=True)}
        insights = None
        if args.container_insights:
            ws, insights = monitoring.workspace(name, args.resource_group_name, args.location, tags, self)
            addons["omsagent"] = monitoring.addon(ws)

        cluster = az.containerservice.ManagedCluster(
            f"{name}-aks",
            resource_name_=name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            dns_prefix=name,
            kubernetes_version=args.kubernetes_version,
            sku=az.containerservice.ManagedClusterSKUArgs(name="Base", tier="Premium" if args.extended_support else "Standard"),
            # AKS long-term support needs the Premium tier (aiinfra/catalog/data/kubernetes.yaml, AKS-PRICE).
            **({"support_plan": "AKSLongTermSupport"} if args.extended_support else {}),
            identity=az.containerservice.ManagedClusterIdentityArgs(type="UserAssigned", user_assigned_identities=[control_plane.id]),
            aad_profile=az.containerservice.ManagedClusterAADProfileArgs(managed=True, enable_azure_rbac=True, tenant_id=args.tenant_id),
            enable_rbac=True,
            disable_local_accounts=True,
            api_server_access_profile=api_server_access(args),
            auto_upgrade_profile=az.containerservice.ManagedClusterAutoUpgradeProfileArgs(upgrade_channel="patch", node_os_upgrade_channel="NodeImage"),
            oidc_issuer_profile=az.containerservice.ManagedClusterOIDCIssuerProfileArgs(enabled=True),
            security_profile=az.containerservice.ManagedClusterSecurityProfileArgs(
                workload_identity=az.containerservice.ManagedClusterSecurityProfileWorkloadIdentityArgs(enabled=True),
                azure_key_vault_kms=kms,
                image_cleaner=az.containerservice.ManagedClusterSecurityProfileImageCleanerArgs(enabled=True, interval_hours=168),
            ),
            network_profile=network_profile(),
            node_provisioning_profile=node_provisioning(args),
            agent_pool_profiles=[system_pool(args)],
            storage_profile=az.containerservice.ManagedClusterStorageProfileArgs(
                blob_csi_driver=az.containerservice.ManagedClusterStorageProfileBlobCSIDriverArgs(enabled=True),
                disk_csi_driver=az.containerservice.ManagedClusterStorageProfileDiskCSIDriverArgs(enabled=True),
                snapshot_controller=az.containerservice.ManagedClusterStorageProfileSnapshotControllerArgs(enabled=True),
            ),
            addon_profiles=addons,
            tags=tags,
            opts=child(self, protect=args.deletion_protection, depends_on=ready),
        )
        if insights is not None:
            monitoring.associate(name, cluster, insights, self)
        for i, (principal, kind) in enumerate(admins(args)):
            grant(f"{name}-admin-{i}", "Azure Kubernetes Service RBAC Cluster Admin", cluster.id, principal, args.subscription_id, self, principal_type=kind)

        host = cluster.fqdn if args.public_endpoint else cluster.private_fqdn
        self.managed_cluster = cluster
        self.name = cluster.name
        self.id = cluster.id
        self.endpoint = host.apply(lambda h: f"https://{h}:443")
        self.oidc_issuer_url = cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url)
        self.kubelet_object_id = cluster.identity_profile.apply(lambda p: p["kubeletidentity"].object_id)
        self.identity_principal_id = control_plane.principal_id  # the cluster's own identity (capacity reservation groups need it)
        ca = cluster_ca(args.resource_group_name, cluster.name, self)
        self.kubeconfig = pulumi.Output.secret(to_json(aks_kubeconfig(cluster.name, self.endpoint, ca)))
        self.register_outputs(
            {"name": self.name, "endpoint": self.endpoint, "oidc_issuer_url": self.oidc_issuer_url, "kubeconfig": self.kubeconfig}
        )


def cluster_ca(resource_group_name: pulumi.Input[str], cluster_name: pulumi.Input[str], parent: pulumi.Resource) -> pulumi.Output[str]:
    """The cluster CA, which ManagedCluster does not output: read from the Entra user kubeconfig (no secret in
    it). The parent carries the explicit provider of a spec that names a subscription."""
    import yaml

    creds = az.containerservice.list_managed_cluster_user_credentials_output(
        resource_group_name=resource_group_name, resource_name=cluster_name, format="exec", opts=pulumi.InvokeOutputOptions(parent=parent)
    )

    def ca(result) -> str:
        doc = yaml.safe_load(base64.b64decode(result.kubeconfigs[0].value))
        return doc["clusters"][0]["cluster"]["certificate-authority-data"]

    return creds.apply(ca)

