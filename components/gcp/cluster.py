"""GKE control plane: regional, private nodes, release channel, Workload Identity, Dataplane V2, shielded
nodes, secrets encrypted with a Cloud KMS key, multi-networking for GPU NICs; plus the dedicated node
service account and the system node pool."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from aiinfra import defaults
from aiinfra.components.base import cluster as base_cluster
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.gpu_pool import SystemPool
from aiinfra.components.base.util import child, to_json
from aiinfra.components.gcp.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.gcp.labels import gcp_labels
from aiinfra.components.gcp.profile import gke_kubeconfig
from aiinfra.problems import Problem

# The one role GKE documents for a least-privilege node service account (logs, metrics, image pulls of GKE's own images).
NODE_ROLES = ["roles/container.defaultNodeServiceAccount"]
KMS_ENCRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
ADMIN_ROLE = "roles/container.clusterAdmin"
ROTATION_90_DAYS = "7776000s"
IAM_PREFIXES = ("user:", "group:", "serviceAccount:", "domain:", "principal:", "principalSet:")


@dataclass
class ClusterArgs:
    project: str
    region: str
    network: pulumi.Input[str]
    subnetwork: pulumi.Input[str]
    zones: list[str] = field(metadata={"doc": "zones the system pool spreads over"})
    pods_range: str = "pods"
    services_range: str = "services"
    kubernetes_version: str = field(default_factory=defaults.kubernetes_version)
    extended_support: bool = field(default=False, metadata={"doc": "the version is past standard support: run it in the cloud's paid extended support (aiinfra.catalog.kubernetes)"})
    release_channel: str = "REGULAR"
    public_endpoint: bool = False
    public_access_cidrs: list[str] = field(default_factory=list)
    admins: list[str] = field(default_factory=list, metadata={"doc": "IAM members, e.g. user:ana@example.com"})
    deletion_protection: bool = defaults.DELETION_PROTECTION
    multi_networking: bool = False
    lustre_csi: bool = field(default=False, metadata={"doc": "the GKE Managed Lustre CSI add-on, for storage.filesystems"})
    gpu_monitoring: bool = False
    gateway_api: bool = field(default=False, metadata={"doc": "GKE's Gateway API (standard channel): the managed Gateway of cache-aware routing (mlops.routing)"})
    system: SystemPool = field(default_factory=lambda: SystemPool("e2-standard-4"), metadata={"doc": "the system pool (ResolvedEnvironment.system_pool)"})
    tags: dict[str, str] = field(default_factory=dict)
    auto_provisioning_limits: list[tuple[str, int]] = field(
        default_factory=list, metadata={"doc": "(resource type, maximum): node auto-provisioning for ComputeClasses that create node pools; [] leaves it off"}
    )


def cluster_autoscaling(args: ClusterArgs, node_sa: gcp.serviceaccount.Account) -> gcp.container.ClusterClusterAutoscalingArgs | None:
    """Node auto-provisioning within resource limits, where a ComputeClass creates node pools (k8s-ai-2026.md §3.3);
    auto-created pools run as the node service account, shielded and auto-repaired like aiinfra's own."""
    if not args.auto_provisioning_limits:
        return None
    return gcp.container.ClusterClusterAutoscalingArgs(
        enabled=True,
        resource_limits=[gcp.container.ClusterClusterAutoscalingResourceLimitArgs(resource_type=t, minimum=0, maximum=m) for t, m in args.auto_provisioning_limits],
        auto_provisioning_defaults=gcp.container.ClusterClusterAutoscalingAutoProvisioningDefaultsArgs(
            service_account=node_sa.email,
            oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
            image_type="COS_CONTAINERD",
            shielded_instance_config=gcp.container.ClusterClusterAutoscalingAutoProvisioningDefaultsShieldedInstanceConfigArgs(
                enable_secure_boot=True, enable_integrity_monitoring=True
            ),
            management=gcp.container.ClusterClusterAutoscalingAutoProvisioningDefaultsManagementArgs(auto_repair=True, auto_upgrade=True),
        ),
    )


def account_id(name: str, suffix: str) -> str:
    """A service account ID (6-30 characters) for the environment."""
    return f"{name}-{suffix}"[:30].rstrip("-")


def secrets_key(name: str, args: ClusterArgs, parent: pulumi.Resource) -> tuple[gcp.kms.CryptoKey, gcp.kms.CryptoKeyIAMMember]:
    ring = gcp.kms.KeyRing(f"{name}-cluster", project=args.project, location=args.region, opts=child(parent))
    key = gcp.kms.CryptoKey(
        f"{name}-secrets",
        key_ring=ring.id,
        purpose="ENCRYPT_DECRYPT",
        rotation_period=ROTATION_90_DAYS,
        labels=gcp_labels(args.tags),
        opts=child(parent),
    )
    number = gcp.organizations.get_project(project_id=args.project).number
    grant = gcp.kms.CryptoKeyIAMMember(
        f"{name}-secrets-gke",
        crypto_key_id=key.id,
        role=KMS_ENCRYPTER,
        member=f"serviceAccount:service-{number}@container-engine-robot.iam.gserviceaccount.com",
        opts=child(parent),
    )
    return key, grant


def node_service_account(name: str, args: ClusterArgs, parent: pulumi.Resource) -> tuple[gcp.serviceaccount.Account, list[gcp.projects.IAMMember]]:
    sa = gcp.serviceaccount.Account(
        f"{name}-nodes",
        project=args.project,
        account_id=account_id(name, "nodes"),
        display_name=f"GKE nodes of {name}",
        opts=child(parent),
    )
    roles = [
        gcp.projects.IAMMember(f"{name}-nodes-{role.rsplit('.', 1)[-1]}", project=args.project, role=role, member=sa.member, opts=child(parent))
        for role in NODE_ROLES
    ]
    return sa, roles


def control_plane(name: str, args: ClusterArgs, key: gcp.kms.CryptoKey, node_sa: gcp.serviceaccount.Account, depends_on: list[pulumi.Resource], parent: pulumi.Resource) -> gcp.container.Cluster:
    version = gcp.container.get_engine_versions(project=args.project, location=args.region, version_prefix=f"{args.kubernetes_version}.")
    monitoring = ["SYSTEM_COMPONENTS"] + (["DCGM"] if args.gpu_monitoring else [])
    return gcp.container.Cluster(
        f"{name}-gke",
        name=name,
        project=args.project,
        location=args.region,
        network=args.network,
        subnetwork=args.subnetwork,
        networking_mode="VPC_NATIVE",
        ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
            cluster_secondary_range_name=args.pods_range, services_secondary_range_name=args.services_range
        ),
        # The default pool is replaced by aiinfra's pools; while it briefly exists it runs as the node account.
        remove_default_node_pool=True,
        initial_node_count=1,
        node_config=gcp.container.ClusterNodeConfigArgs(
            service_account=node_sa.email,
            oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
            shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(enable_secure_boot=True, enable_integrity_monitoring=True),
            workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(mode="GKE_METADATA"),
        ),
        release_channel=gcp.container.ClusterReleaseChannelArgs(channel="EXTENDED" if args.extended_support else args.release_channel),
        min_master_version=version.latest_master_version,
        private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
            enable_private_nodes=True, enable_private_endpoint=not args.public_endpoint
        ),
        master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
            cidr_blocks=[gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(cidr_block=c, display_name=f"allowed-{i}") for i, c in enumerate(args.public_access_cidrs)],
            gcp_public_cidrs_access_enabled=False,
        ),
        master_auth=gcp.container.ClusterMasterAuthArgs(
            client_certificate_config=gcp.container.ClusterMasterAuthClientCertificateConfigArgs(issue_client_certificate=False)
        ),
        workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(workload_pool=f"{args.project}.svc.id.goog"),
        # Dataplane V2; GPU NIC networks need it for multi-networking (gpu-fabrics.md §1.3).
        datapath_provider="ADVANCED_DATAPATH",
        enable_multi_networking=True if args.multi_networking else None,
        enable_shielded_nodes=True,
        enable_legacy_abac=False,
        database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(state="ENCRYPTED", key_name=key.id),
        addons_config=gcp.container.ClusterAddonsConfigArgs(
            gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(enabled=True),
            gce_persistent_disk_csi_driver_config=gcp.container.ClusterAddonsConfigGcePersistentDiskCsiDriverConfigArgs(enabled=True),
            # Instances made with gke_support_enabled listen on the legacy LNet port 6988 (accelerators-capacity-data.md §5.2).
            lustre_csi_driver_config=(
                gcp.container.ClusterAddonsConfigLustreCsiDriverConfigArgs(enabled=True, enable_legacy_lustre_port=True) if args.lustre_csi else None
            ),
        ),
        logging_config=gcp.container.ClusterLoggingConfigArgs(enable_components=["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]),
        monitoring_config=gcp.container.ClusterMonitoringConfigArgs(
            enable_components=monitoring, managed_prometheus=gcp.container.ClusterMonitoringConfigManagedPrometheusArgs(enabled=True)
        ),
        cluster_autoscaling=cluster_autoscaling(args, node_sa),
        gateway_api_config=gcp.container.ClusterGatewayApiConfigArgs(channel="CHANNEL_STANDARD") if args.gateway_api else None,
        deletion_protection=args.deletion_protection,
        resource_labels=gcp_labels(args.tags),
        opts=child(parent, depends_on=depends_on),
    )


def check(args: ClusterArgs) -> list[Problem]:
    """The shared endpoint rule plus GKE's: admins are IAM members."""
    problems = base_cluster.public_endpoint(args.public_endpoint, args.public_access_cidrs)
    bad = [a for a in args.admins if not a.startswith(IAM_PREFIXES)]
    if bad:
        problems.append(Problem("admins", f"GKE admins are IAM members such as user:ana@example.com or group:ml@example.com, not {bad}", value=bad))
    return problems


class Cluster(pulumi.ComponentResource):
    """A regional GKE cluster, private and encrypted by default, with its system node pool."""

    name: pulumi.Output[str]
    id: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    ca_certificate: pulumi.Output[str]
    node_service_account: pulumi.Output[str]
    node_service_account_member: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    system_pool: NodePool
    node_prerequisites: list[pulumi.Resource]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:gcp:Cluster", name, None, opts)
        raise_if("aiinfra:gcp:Cluster", name, check(args))

        key, key_grant = secrets_key(name, args, self)
        node_sa, node_roles = node_service_account(name, args, self)
        cluster = control_plane(name, args, key, node_sa, [key_grant], self)
        for i, member in enumerate(args.admins):
            gcp.projects.IAMMember(f"{name}-admin-{i}", project=args.project, role=ADMIN_ROLE, member=member, opts=child(self))
        self.system_pool = NodePool(
            f"{name}-system",
            NodePoolArgs.from_pool(
                args.system,
                project=args.project,
                cluster=cluster.id,
                location=args.region,
                candidate_zones=args.zones,
                machine_type=args.system.machine_type,
                service_account=node_sa.email,
                tags=args.tags,
                node_prerequisites=[cluster, *node_roles],
            ),
            opts=child(self),
        )

        self.node_prerequisites = [cluster, *node_roles]
        self.name = cluster.name
        self.id = cluster.id
        self.endpoint = cluster.endpoint
        self.ca_certificate = cluster.master_auth.apply(lambda a: a.cluster_ca_certificate)
        self.node_service_account = node_sa.email
        self.node_service_account_member = node_sa.member
        context = pulumi.Output.concat("gke_", args.project, "_", args.region, "_", cluster.name)
        self.kubeconfig = pulumi.Output.secret(to_json(gke_kubeconfig(context, cluster.endpoint, self.ca_certificate)))
        self.register_outputs(
            {"name": self.name, "endpoint": self.endpoint, "node_service_account": self.node_service_account, "kubeconfig": self.kubeconfig}
        )

