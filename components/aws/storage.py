"""S3 buckets that are private, KMS-encrypted, versioned, TLS-only and survive `down` unless told otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from aiinfra.components.base import storage as base_storage
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child, merge_tags, to_json


@dataclass
class StorageArgs:
    buckets: list[str]
    delete_with_environment: bool = False
    noncurrent_version_days: int = 30
    access_log_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)


def tls_only_policy(bucket_arn: pulumi.Input[str], extra: list[dict] | None = None) -> pulumi.Output[str]:
    statements = [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        *(extra or []),
    ]
    return to_json({"Version": "2012-10-17", "Statement": statements})


def lock_down(name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions, policy: pulumi.Input[str]) -> None:
    """Public access block, ownership enforced (ACLs off) and the bucket policy, for any bucket."""
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=opts,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership", bucket=bucket.id, rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"), opts=opts
    )
    aws.s3.BucketPolicy(f"{name}-policy", bucket=bucket.id, policy=policy, opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[block])))


def encryption(name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions, key_arn: pulumi.Input[str] | None) -> None:
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="aws:kms", kms_master_key_id=key_arn)
        if key_arn is not None
        # S3 server access logs can only be delivered to SSE-S3 buckets.
        else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(sse_algorithm="AES256")
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(apply_server_side_encryption_by_default=by_default, bucket_key_enabled=key_arn is not None)],
        opts=opts,
    )


def lifecycle(name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions, depends_on: list[pulumi.Resource], expire_days: int | None, noncurrent_days: int | None) -> None:
    rule = aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="housekeeping",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(days_after_initiation=7),
        noncurrent_version_expiration=(
            aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(noncurrent_days=noncurrent_days) if noncurrent_days else None
        ),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expire_days) if expire_days else None,
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle", bucket=bucket.id, rules=[rule], opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=depends_on))
    )


def access_log_bucket(name: str, args: StorageArgs, opts: pulumi.ResourceOptions) -> aws.s3.Bucket:
    bucket = aws.s3.Bucket(f"{name}-access-logs", force_destroy=args.delete_with_environment, tags=merge_tags(args.tags, {"aiinfra.dev/bucket": "access-logs"}), opts=opts)
    encryption(f"{name}-access-logs", bucket, opts, None)
    source_account = aws.get_caller_identity().account_id
    logging_grant = {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": pulumi.Output.concat(bucket.arn, "/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": source_account}},
    }
    lock_down(f"{name}-access-logs", bucket, opts, tls_only_policy(bucket.arn, [logging_grant]))
    lifecycle(f"{name}-access-logs", bucket, opts, [], args.access_log_days, None)
    return bucket


def data_bucket(name: str, env: str, args: StorageArgs, key: aws.kms.Key, logs: aws.s3.Bucket, opts: pulumi.ResourceOptions) -> aws.s3.Bucket:
    full = f"{env}-{name}"
    bucket = aws.s3.Bucket(full, force_destroy=args.delete_with_environment, tags=merge_tags(args.tags, {"aiinfra.dev/bucket": name}), opts=opts)
    encryption(full, bucket, opts, key.arn)
    versioning = aws.s3.BucketVersioning(
        f"{full}-versioning", bucket=bucket.id, versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"), opts=opts
    )
    lock_down(full, bucket, opts, tls_only_policy(bucket.arn))
    aws.s3.BucketLogging(f"{full}-logging", bucket=bucket.id, target_bucket=logs.id, target_prefix=f"{name}/", opts=opts)
    lifecycle(full, bucket, opts, [versioning], None, args.noncurrent_version_days)
    return bucket


class ObjectStorage(pulumi.ComponentResource):
    """The environment's buckets and the KMS key that encrypts them.

    Unless delete_with_environment is set, every resource is protected and retained on delete,
    so `down` leaves the data, its key and its settings in place.
    """

    bucket_names: pulumi.Output[dict[str, str]]
    bucket_urls: pulumi.Output[dict[str, str]]
    bucket_arns: pulumi.Output[dict[str, str]]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:ObjectStorage", name, None, opts)
        raise_if("aiinfra:aws:ObjectStorage", name, base_storage.buckets(args.buckets))
        keep = not args.delete_with_environment
        data_opts = child(self, protect=keep, retain_on_delete=keep)

        key = aws.kms.Key(
            f"{name}-data",
            description=f"Data encryption for the {name} buckets",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=args.tags,
            opts=data_opts,
        )
        aws.kms.Alias(f"{name}-data", name=f"alias/{name}-data", target_key_id=key.key_id, opts=data_opts)
        logs = access_log_bucket(name, args, data_opts)
        buckets = {b: data_bucket(b, name, args, key, logs, data_opts) for b in args.buckets}

        self.kms_key_arn = key.arn
        self.bucket_names = pulumi.Output.all(**{k: b.bucket for k, b in buckets.items()}) if buckets else pulumi.Output.from_input({})
        self.bucket_arns = pulumi.Output.all(**{k: b.arn for k, b in buckets.items()}) if buckets else pulumi.Output.from_input({})
        self.bucket_urls = base_storage.bucket_urls("aws", self.bucket_names)
        self.access_log_bucket = logs.bucket
        self.register_outputs({"bucket_names": self.bucket_names, "bucket_arns": self.bucket_arns, "kms_key_arn": self.kms_key_arn})
