"""The IAM role that the environment's workload pods assume through EKS Pod Identity."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from aiinfra.components.aws.cluster import assume_role_policy
from aiinfra.components.base import identity as base_identity
from aiinfra.components.base.built import WorkloadBinding
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child, to_json


@dataclass
class WorkloadIdentityArgs:
    cluster_name: pulumi.Input[str]
    namespace: str
    service_account: str
    bucket_arns: list[pulumi.Input[str]]
    kms_key_arn: pulumi.Input[str]
    repository_arns: list[pulumi.Input[str]] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)


def bucket_policy(args: WorkloadIdentityArgs) -> pulumi.Output[str]:
    statements = [
        {"Sid": "ListBuckets", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"], "Resource": list(args.bucket_arns)},
        {
            "Sid": "ReadWriteObjects",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            "Resource": [pulumi.Output.concat(a, "/*") for a in args.bucket_arns],
        },
        {"Sid": "UseDataKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": [args.kms_key_arn]},
    ]
    if args.repository_arns:
        statements.append(
            {
                "Sid": "PushImages",
                "Effect": "Allow",
                "Action": [
                    "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                    "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage",
                ],
                "Resource": list(args.repository_arns),
            }
        )
        statements.append({"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"})
    return to_json({"Version": "2012-10-17", "Statement": statements})


class WorkloadIdentity(pulumi.ComponentResource):
    """Pods running as <namespace>/<service_account> get read-write access to the buckets, and nothing else."""

    role_arn: pulumi.Output[str]
    binding: WorkloadBinding

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:WorkloadIdentity", name, None, opts)
        raise_if("aiinfra:aws:WorkloadIdentity", name, base_identity.binding(args.namespace, args.service_account))
        role = aws.iam.Role(
            f"{name}-workload",
            assume_role_policy=assume_role_policy("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession")),
            tags=args.tags,
            opts=child(self),
        )
        aws.iam.RolePolicy(f"{name}-workload", role=role.id, policy=bucket_policy(args), opts=child(self))
        aws.eks.PodIdentityAssociation(
            f"{name}-workload",
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=args.service_account,
            role_arn=role.arn,
            tags=args.tags,
            opts=child(self),
        )
        self.role_arn = role.arn
        # EKS pod identity maps the service account to the role by association: nothing to annotate.
        self.binding = WorkloadBinding(args.namespace, args.service_account)
        self.register_outputs({"role_arn": self.role_arn})
