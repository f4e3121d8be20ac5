"""FSx for Lustre beside the GPU pools, linked to a bucket, and Mountpoint for S3 so pods can mount the buckets.

Facts: ../shared/reference/accelerators-capacity-data.md §5.1 and gpu-fabrics.md §2.7. The file systems, their
security groups and bucket links are data: protected and kept on `down` unless delete_with_environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pulumi

from aiinfra.components.base.storage import url as bucket_url
from aiinfra.components.base.util import child, to_json
from aiinfra.resolve.result import ResolvedFileSystem

LUSTRE_VERSION = "2.15"
MOUNT_OPTIONS = ["flock"]
AUTO_EVENTS = ["NEW", "CHANGED", "DELETED"]
MOUNTPOINT_ADDON = "aws-mountpoint-s3-csi-driver"
MOUNTPOINT_SERVICE_ACCOUNT = "s3-csi-driver-sa"
# The FSx CSI chart's controller service account (vendored values: controller.serviceAccount.name) and namespace.
FSX_CSI_SERVICE_ACCOUNT = ("kube-system", "fsx-csi-controller-sa")


@dataclass
class FileSystemArgs:
    filesystems: list[ResolvedFileSystem]
    vpc_id: pulumi.Input[str]
    subnets: Mapping[str, pulumi.Input[str]] = field(metadata={"doc": "zone -> private subnet id"})
    node_security_group_id: pulumi.Input[str] = ""
    kms_key_arn: pulumi.Input[str] = ""
    buckets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict, metadata={"doc": "spec bucket name -> physical name"})
    delete_with_environment: bool = False
    cluster_name: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)


def _port_range(port: int | str) -> tuple[int, int]:
    lo, _, hi = str(port).partition("-")
    return int(lo), int(hi or lo)


def lustre_security_group(name: str, fs: ResolvedFileSystem, args: FileSystemArgs, opts: pulumi.ResourceOptions, rule_opts: pulumi.ResourceOptions):
    """Lustre's ports from the nodes and from the file system's own servers; nothing else reaches it. The rules
    are not data: kept, they would keep the cluster (the node security group) on `down`."""
    import pulumi_aws as aws

    sg = aws.ec2.SecurityGroup(name, vpc_id=args.vpc_id, description=f"Lustre clients of {fs.name}: the cluster's nodes only", tags=args.tags, opts=opts)
    for port in fs.ports:
        lo, hi = _port_range(port)
        for source, peer in (("nodes", args.node_security_group_id), ("self", sg.id)):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-{lo}-from-{source}",
                security_group_id=sg.id,
                ip_protocol="tcp",
                from_port=lo,
                to_port=hi,
                referenced_security_group_id=peer,
                description=f"Lustre TCP {port} from {source}",
                tags=args.tags,
                opts=rule_opts,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-{lo}-to-self", security_group_id=sg.id, ip_protocol="tcp", from_port=lo, to_port=hi, referenced_security_group_id=sg.id, tags=args.tags, opts=rule_opts
        )
    return sg


def lustre(name: str, fs: ResolvedFileSystem, args: FileSystemArgs, opts: pulumi.ResourceOptions, rule_opts: pulumi.ResourceOptions):
    import pulumi_aws as aws

    sg = lustre_security_group(f"{name}-lustre", fs, args, opts, rule_opts)
    zone = fs.zone if fs.zone is not None and fs.zone in args.subnets else sorted(args.subnets)[0]
    system = aws.fsx.LustreFileSystem(
        name,
        deployment_type=fs.deployment_type,
        storage_type="SSD",
        storage_capacity=int(fs.capacity),
        per_unit_storage_throughput=fs.throughput,
        subnet_ids=args.subnets[zone],  # a single subnet id in pulumi-aws 7 (one AZ)
        security_group_ids=[sg.id],
        kms_key_id=args.kms_key_arn,
        file_system_type_version=LUSTRE_VERSION,
        data_compression_type="LZ4",
        log_configuration=aws.fsx.LustreFileSystemLogConfigurationArgs(level="WARN_ERROR"),
        tags={**args.tags, "aiinfra.dev/filesystem": fs.name},
        opts=opts,
    )
    if fs.import_from:
        events = aws.fsx.DataRepositoryAssociationS3AutoImportPolicyArgs(events=AUTO_EVENTS)
        aws.fsx.DataRepositoryAssociation(
            f"{name}-{fs.import_from}",
            file_system_id=system.id,
            file_system_path=f"/{fs.import_from}",
            data_repository_path=bucket_url("aws", args.buckets[fs.import_from]),
            batch_import_meta_data_on_create=True,
            delete_data_in_filesystem=False,
            s3=aws.fsx.DataRepositoryAssociationS3Args(
                auto_import_policy=events, auto_export_policy=aws.fsx.DataRepositoryAssociationS3AutoExportPolicyArgs(events=AUTO_EVENTS)
            ),
            tags=args.tags,
            opts=opts,
        )
    return system, sg, zone


class FileSystems(pulumi.ComponentResource):
    """The environment's FSx for Lustre file systems; `volumes` says how a PersistentVolume reaches each."""

    volumes: dict[str, dict[str, Any]]
    details: dict[str, Any]

    def __init__(self, name: str, args: FileSystemArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:FileSystems", name, None, opts)
        keep = not args.delete_with_environment
        data_opts = child(self, protect=keep, retain_on_delete=keep)
        self.volumes, self.details = {}, {}
        for fs in args.filesystems:
            system, sg, zone = lustre(f"{name}-{fs.name}", fs, args, data_opts, child(self))
            self.volumes[fs.name] = {
                "driver": "fsx.csi.aws.com",
                "volumeHandle": system.id,
                "volumeAttributes": {"dnsname": system.dns_name, "mountname": system.mount_name},
                "mountOptions": MOUNT_OPTIONS,
            }
            self.details[fs.name] = {
                "id": system.id,
                "zone": zone,
                "security_group_id": sg.id,
                "mount": pulumi.Output.concat(system.dns_name, "@tcp:/", system.mount_name),
                "path": fs.mount_path,
                "claim": fs.claim_name,
                "import_from": fs.import_from,
            }
        if args.cluster_name is not None:
            self.controller_identity = csi_controller_identity(name, args.cluster_name, args.tags, self)
        self.register_outputs({"filesystems": self.details})


def csi_controller_policy() -> str:
    """The FSx CSI driver's IAM needs as its install guide lists them (docs/install.md, instance-profile policy):
    narrower than the AmazonFSxFullAccess its IRSA example attaches. Static volumes need none of it; the
    StorageClass's dynamic volumes, their deletion and resizing do."""
    import json

    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "FsxS3LinkedRole",
                    "Effect": "Allow",
                    "Action": ["iam:CreateServiceLinkedRole", "iam:AttachRolePolicy", "iam:PutRolePolicy"],
                    "Resource": "arn:aws:iam::*:role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/*",
                },
                {
                    "Sid": "FsxLinkedRole",
                    "Effect": "Allow",
                    "Action": "iam:CreateServiceLinkedRole",
                    "Resource": "*",
                    "Condition": {"StringLike": {"iam:AWSServiceName": ["fsx.amazonaws.com"]}},
                },
                {
                    "Sid": "FsxVolumes",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "fsx:CreateFileSystem", "fsx:DeleteFileSystem", "fsx:DescribeFileSystems", "fsx:TagResource", "fsx:UpdateFileSystem"],
                    "Resource": "*",
                },
            ],
        }
    )


def csi_controller_identity(name: str, cluster_name: pulumi.Input[str], tags: dict[str, str], parent: pulumi.Resource):
    """A role for the Helm-installed FSx CSI controller through EKS Pod Identity, as the Mountpoint add-on and the
    workloads get theirs. The EKS FSx CSI add-on page lists Pod Identity as supported; that the same driver
    (v1.9.0) installed from the chart picks the credentials up is inferred, not tested against EKS (unverified)."""
    import pulumi_aws as aws

    from aiinfra.components.aws.cluster import assume_role_policy

    role = aws.iam.Role(
        f"{name}-fsx-csi", assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")), tags=tags, opts=child(parent)
    )
    aws.iam.RolePolicy(f"{name}-fsx-csi", role=role.id, policy=csi_controller_policy(), opts=child(parent))
    namespace, service_account = FSX_CSI_SERVICE_ACCOUNT
    return aws.eks.PodIdentityAssociation(
        f"{name}-fsx-csi", cluster_name=cluster_name, namespace=namespace, service_account=service_account, role_arn=role.arn, tags=tags, opts=child(parent)
    )


def bucket_mount_policy(bucket_arns: list[pulumi.Input[str]], kms_key_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """Mountpoint's IAM needs (awslabs/mountpoint-s3 doc/CONFIGURATION.md, IAM permissions), on these buckets only."""
    return to_json(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "MountpointListBuckets", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": list(bucket_arns)},
                {
                    "Sid": "MountpointObjects",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"],
                    "Resource": [pulumi.Output.concat(a, "/*") for a in bucket_arns],
                },
                {"Sid": "MountpointDataKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [kms_key_arn]},
            ],
        }
    )


class BucketMounts(pulumi.ComponentResource):
    """The Mountpoint for S3 CSI driver as an EKS add-on, its controller's role scoped to the environment's buckets
    through EKS Pod Identity (the repository's identity mechanism; supported by driver v2)."""

    def __init__(
        self, name: str, cluster_name: pulumi.Input[str], bucket_arns: list[pulumi.Input[str]], kms_key_arn: pulumi.Input[str], tags: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("aiinfra:aws:BucketMounts", name, None, opts)
        self.addon = bucket_mount(name, cluster_name, bucket_arns, kms_key_arn, tags, self)
        self.register_outputs({})


def bucket_mount(
    name: str, cluster_name: pulumi.Input[str], bucket_arns: list[pulumi.Input[str]], kms_key_arn: pulumi.Input[str], tags: dict[str, str], parent: pulumi.Resource
):
    import pulumi_aws as aws

    from aiinfra.components.aws.cluster import assume_role_policy

    role = aws.iam.Role(
        f"{name}-s3-mount", assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")), tags=tags, opts=child(parent)
    )
    aws.iam.RolePolicy(f"{name}-s3-mount", role=role.id, policy=bucket_mount_policy(bucket_arns, kms_key_arn), opts=child(parent))
    return aws.eks.Addon(
        f"{name}-s3-mount",
        cluster_name=cluster_name,
        addon_name=MOUNTPOINT_ADDON,
        pod_identity_associations=[aws.eks.AddonPodIdentityAssociationArgs(role_arn=role.arn, service_account=MOUNTPOINT_SERVICE_ACCOUNT)],
        resolve_conflicts_on_create="OVERWRITE",
        resolve_conflicts_on_update="OVERWRITE",
        tags=tags,
        opts=child(parent),
    )


def bucket_volumes(env_name: str, region: str, buckets: Mapping[str, pulumi.Input[str]]) -> dict[str, dict[str, Any]]:
    """Mountpoint volumes: static provisioning only, one PersistentVolume per bucket (EKS s3-csi docs)."""
    return {
        f"bucket-{b}": {
            "driver": "s3.csi.aws.com",
            "volumeHandle": f"{env_name}-{b}",
            "volumeAttributes": {"bucketName": physical},
            "mountOptions": ["allow-delete", f"region {region}"],
            "capacity": "1200Gi",  # required by Kubernetes, ignored by the driver
        }
        for b, physical in buckets.items()
    }


def add_data_layer(name: str, env: Any, tags: dict[str, str], cluster: Any, network: Any, storage: Any, built: Any, parent: pulumi.Resource) -> None:
    """File systems, bucket mounts and their volumes into the built environment (outputs, volumes, drivers)."""
    from aiinfra.components.base.util import per_key

    physical = per_key(storage.bucket_names, env.buckets)
    if env.filesystems:
        subnets = {z: s.id for z, s in network.private_subnets.items()}
        fs = FileSystems(
            name,
            FileSystemArgs(
                filesystems=list(env.filesystems),
                vpc_id=network.vpc_id,
                subnets=subnets,
                node_security_group_id=cluster.security_group_id,
                kms_key_arn=storage.kms_key_arn,
                buckets=physical,
                delete_with_environment=env.delete_with_environment,
                cluster_name=cluster.name,
                tags=tags,
            ),
            opts=child(parent),
        )
        built.outputs["filesystems"] = fs.details
        built.storage_addons.append("aws-fsx-csi-driver")
        built.storage_grants.append(fs.controller_identity)  # the controller's pods get credentials only if it exists first
        for f in env.filesystems:
            volume = dict(fs.volumes[f.name], capacity=f"{int(f.capacity)}Gi")
            volume["storageClass"] = {
                "apiVersion": "storage.k8s.io/v1",
                "kind": "StorageClass",
                "metadata": {"name": f"lustre-{f.name}"},
                "provisioner": "fsx.csi.aws.com",
                "parameters": {"subnetId": subnets[fs.details[f.name]["zone"]], "securityGroupIds": fs.details[f.name]["security_group_id"]},
            }
            built.volumes[f.claim_name] = volume
    if env.mount_buckets:
        BucketMounts(name, cluster.name, list(per_key(storage.bucket_arns, env.buckets).values()), storage.kms_key_arn, tags, opts=child(parent))
        built.volumes.update(bucket_volumes(name, env.region, physical))
