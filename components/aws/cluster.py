"""EKS control plane: private endpoint, KMS-encrypted secrets, control-plane logs, API-mode access
entries, pod identity and an OIDC provider for workloads, and the small system node group."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from aiinfra import defaults
from aiinfra.components.aws.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.aws.profile import eks_kubeconfig
from aiinfra.components.base import cluster as base_cluster
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.gpu_pool import SystemPool
from aiinfra.components.base.util import child, merge_tags, to_json
from aiinfra.problems import Problem

LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_POLICIES = {
    "worker": "AmazonEKSWorkerNodePolicy",
    "ecr": "AmazonEC2ContainerRegistryPullOnly",
    "cni": "AmazonEKS_CNI_Policy",
}


@dataclass
class ClusterArgs:
    vpc_id: pulumi.Input[str]
    private_subnets: dict[str, pulumi.Input[str]]
    kubernetes_version: str = field(default_factory=defaults.kubernetes_version)
    extended_support: bool = field(default=False, metadata={"doc": "the version is past standard support: run it in the cloud's paid extended support (aiinfra.catalog.kubernetes)"})
    public_endpoint: bool = False
    public_access_cidrs: list[str] = field(default_factory=list)
    admins: list[str] = field(default_factory=list)
    system: SystemPool = field(default_factory=lambda: SystemPool("m6i.large"), metadata={"doc": "the system pool (ResolvedEnvironment.system_pool)"})
    log_retention_days: int = 90
    deletion_protection: bool = defaults.DELETION_PROTECTION
    tags: dict[str, str] = field(default_factory=dict)


def assume_role_policy(service: str, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    import json

    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}]}
    )


def managed_policy(name: str) -> str:
    return f"arn:{aws.get_partition().partition}:iam::aws:policy/{name}"


def default_admins() -> list[str]:
    """The IAM principal running the deployment; an assumed-role session maps back to its role."""
    caller = aws.get_caller_identity()
    return [aws.iam.get_session_context(arn=caller.arn).issuer_arn]


def secrets_key(name: str, tags: dict[str, str], parent: pulumi.Resource) -> aws.kms.Key:
    key = aws.kms.Key(
        f"{name}-secrets",
        description=f"EKS secrets envelope encryption for {name}",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        tags=tags,
        opts=child(parent),
    )
    aws.kms.Alias(f"{name}-secrets", name=f"alias/{name}-eks-secrets", target_key_id=key.key_id, opts=child(parent))
    return key


def control_plane(name: str, args: ClusterArgs, key: aws.kms.Key, parent: pulumi.Resource) -> aws.eks.Cluster:
    role = aws.iam.Role(f"{name}-cluster", assume_role_policy=assume_role_policy("eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")), tags=args.tags, opts=child(parent))
    attachment = aws.iam.RolePolicyAttachment(f"{name}-cluster", role=role.name, policy_arn=managed_policy("AmazonEKSClusterPolicy"), opts=child(parent))
    # Created first so the retention applies; EKS would otherwise create it with no expiry.
    logs = aws.cloudwatch.LogGroup(f"{name}-logs", name=f"/aws/eks/{name}/cluster", retention_in_days=args.log_retention_days, tags=args.tags, opts=child(parent))
    return aws.eks.Cluster(
        f"{name}-eks",
        name=name,
        version=args.kubernetes_version,
        role_arn=role.arn,
        vpc_config=aws.eks.ClusterVpcConfigArgs(
            subnet_ids=list(args.private_subnets.values()),
            endpoint_private_access=True,
            endpoint_public_access=args.public_endpoint,
            public_access_cidrs=args.public_access_cidrs or None,
        ),
        encryption_config=aws.eks.ClusterEncryptionConfigArgs(
            resources=["secrets"], provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn)
        ),
        enabled_cluster_log_types=LOG_TYPES,
        access_config=aws.eks.ClusterAccessConfigArgs(authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False),
        upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="EXTENDED" if args.extended_support else "STANDARD"),
        bootstrap_self_managed_addons=False,
        deletion_protection=args.deletion_protection,
        tags=args.tags,
        opts=child(parent, depends_on=[attachment, logs]),
    )


def access_entries(name: str, cluster: aws.eks.Cluster, admins: list[str], tags: dict[str, str], parent: pulumi.Resource) -> None:
    for i, principal in enumerate(admins):
        entry = aws.eks.AccessEntry(f"{name}-admin-{i}", cluster_name=cluster.name, principal_arn=principal, type="STANDARD", tags=tags, opts=child(parent))
        aws.eks.AccessPolicyAssociation(
            f"{name}-admin-{i}",
            cluster_name=cluster.name,
            principal_arn=principal,
            policy_arn=ADMIN_POLICY,
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=child(parent, depends_on=[entry]),
        )


def node_role(name: str, tags: dict[str, str], parent: pulumi.Resource) -> aws.iam.Role:
    role = aws.iam.Role(f"{name}-node", assume_role_policy=assume_role_policy("ec2.amazonaws.com"), tags=tags, opts=child(parent))
    for key, policy in NODE_POLICIES.items():
        aws.iam.RolePolicyAttachment(f"{name}-node-{key}", role=role.name, policy_arn=managed_policy(policy), opts=child(parent))
    return role


def pod_role(name: str, policy_arn: str, tags: dict[str, str], parent: pulumi.Resource) -> aws.iam.Role:
    role = aws.iam.Role(
        name,
        assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")),
        tags=tags,
        opts=child(parent),
    )
    aws.iam.RolePolicyAttachment(name, role=role.name, policy_arn=policy_arn, opts=child(parent))
    return role


# The VPC CNI's network policy agent enforces Kubernetes NetworkPolicy objects; without it they are accepted and
# ignored. Pods no policy selects are unaffected. (EKS user guide, cni-network-policy: configuration value
# enableNetworkPolicy, a string.)
ADDON_CONFIG = {"vpc-cni": {"enableNetworkPolicy": "true"}}


def network_addons(name: str, cluster: aws.eks.Cluster, tags: dict[str, str], parent: pulumi.Resource) -> list[aws.eks.Addon]:
    """The CNI and kube-proxy must exist before nodes join (self-managed defaults are off), or nodes never get Ready."""
    return [
        aws.eks.Addon(
            f"{name}-{addon}", cluster_name=cluster.name, addon_name=addon, resolve_conflicts_on_update="OVERWRITE",
            configuration_values=to_json(ADDON_CONFIG[addon]) if addon in ADDON_CONFIG else None, tags=tags, opts=child(parent),
        )
        for addon in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
    ]


def node_addons(name: str, cluster: aws.eks.Cluster, system: NodePool, tags: dict[str, str], parent: pulumi.Resource) -> None:
    """CoreDNS and the EBS CSI driver run as pods, so they wait for the system nodes."""
    aws.eks.Addon(f"{name}-coredns", cluster_name=cluster.name, addon_name="coredns", resolve_conflicts_on_update="OVERWRITE", tags=tags, opts=child(parent, depends_on=[system]))
    ebs_role = pod_role(f"{name}-ebs-csi", managed_policy("service-role/AmazonEBSCSIDriverPolicy"), tags, parent)
    aws.eks.Addon(
        f"{name}-aws-ebs-csi-driver",
        cluster_name=cluster.name,
        addon_name="aws-ebs-csi-driver",
        resolve_conflicts_on_update="OVERWRITE",
        pod_identity_associations=[aws.eks.AddonPodIdentityAssociationArgs(role_arn=ebs_role.arn, service_account="ebs-csi-controller-sa")],
        tags=tags,
        opts=child(parent, depends_on=[system]),
    )


def oidc_provider(name: str, cluster: aws.eks.Cluster, tags: dict[str, str], parent: pulumi.Resource) -> aws.iam.OpenIdConnectProvider:
    """For tools that still use IRSA; aiinfra's own workloads use pod identity."""
    return aws.iam.OpenIdConnectProvider(
        f"{name}-oidc",
        url=cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer),
        client_id_lists=["sts.amazonaws.com"],
        tags=tags,
        opts=child(parent),
    )


def check(args: ClusterArgs) -> list[Problem]:
    """The shared endpoint rule plus EKS's: the control plane needs subnets in two zones."""
    problems = base_cluster.public_endpoint(args.public_endpoint, args.public_access_cidrs)
    if len(args.private_subnets) < 2:
        problems.append(Problem("private_subnets", "EKS needs subnets in at least two zones", value=sorted(args.private_subnets)))
    return problems


class Cluster(pulumi.ComponentResource):
    """An EKS cluster that is private and encrypted by default, with its system node group."""

    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    certificate_authority: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    system_pool: NodePool
    node_prerequisites: list[pulumi.Resource]

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:Cluster", name, None, opts)
        raise_if("aiinfra:aws:Cluster", name, check(args))
        tags = merge_tags(args.tags)

        key = secrets_key(name, tags, self)
        cluster = control_plane(name, args, key, self)
        access_entries(name, cluster, args.admins or default_admins(), tags, self)
        role = node_role(name, tags, self)
        security_group_id = cluster.vpc_config.apply(lambda c: c.cluster_security_group_id)
        early = network_addons(name, cluster, tags, self)
        self.system_pool = NodePool(
            f"{name}-system",
            NodePoolArgs.from_pool(
                args.system,
                cluster_name=cluster.name,
                node_role_arn=role.arn,
                cluster_security_group_id=security_group_id,
                vpc_id=args.vpc_id,
                subnets=args.private_subnets,
                instance_type=args.system.machine_type,
                tags=tags,
                node_prerequisites=list(early),
            ),
            opts=child(self),
        )
        node_addons(name, cluster, self.system_pool, tags, self)
        oidc = oidc_provider(name, cluster, tags, self)

        self.node_prerequisites = early
        self.name = cluster.name
        self.endpoint = cluster.endpoint
        self.certificate_authority = cluster.certificate_authority.apply(lambda c: c.data)
        self.security_group_id = security_group_id
        self.node_role_arn = role.arn
        self.oidc_provider_arn = oidc.arn
        region = cluster.arn.apply(lambda arn: arn.split(":")[3])
        self.kubeconfig = pulumi.Output.secret(to_json(eks_kubeconfig(cluster.name, cluster.endpoint, self.certificate_authority, region)))
        self.register_outputs(
            {
                "name": self.name,
                "endpoint": self.endpoint,
                "node_role_arn": self.node_role_arn,
                "oidc_provider_arn": self.oidc_provider_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

