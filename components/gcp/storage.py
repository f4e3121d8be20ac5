"""GCS buckets that are private (uniform access, public access prevention enforced), versioned, access-logged,
encrypted with a Cloud KMS key (CMEK) unless turned off, and that survive `down` unless told otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from aiinfra.components.base import storage as base_storage
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child, merge_tags
from aiinfra.components.gcp.cluster import KMS_ENCRYPTER, ROTATION_90_DAYS
from aiinfra.components.gcp.labels import gcp_labels

# Cloud Storage writes usage logs as this Google group; the log bucket must let it create objects.
LOG_WRITER = "group:cloud-storage-analytics@google.com"


@dataclass
class StorageArgs:
    project: str
    region: str
    buckets: list[str]
    delete_with_environment: bool = False
    cmek: bool = True
    noncurrent_version_days: int = 30
    access_log_days: int = 365
    tags: dict[str, str] = field(default_factory=dict)


def data_key(name: str, args: StorageArgs, opts: pulumi.ResourceOptions) -> tuple[gcp.kms.CryptoKey, gcp.kms.CryptoKeyIAMMember]:
    """A CMEK for the buckets; Cloud Storage's service agent encrypts with it, so only that agent needs the key role."""
    ring = gcp.kms.KeyRing(f"{name}-data", project=args.project, location=args.region, opts=opts)
    key = gcp.kms.CryptoKey(f"{name}-data", key_ring=ring.id, purpose="ENCRYPT_DECRYPT", rotation_period=ROTATION_90_DAYS, labels=gcp_labels(args.tags), opts=opts)
    agent = gcp.storage.get_project_service_account(project=args.project)
    grant = gcp.kms.CryptoKeyIAMMember(f"{name}-data-gcs", crypto_key_id=key.id, role=KMS_ENCRYPTER, member=f"serviceAccount:{agent.email_address}", opts=opts)
    return key, grant


def _bucket(label: str, args: StorageArgs, opts: pulumi.ResourceOptions, role: str, rules: list, **extra) -> gcp.storage.Bucket:
    return gcp.storage.Bucket(
        label,
        project=args.project,
        location=args.region.upper(),
        storage_class="STANDARD",
        uniform_bucket_level_access=True,
        public_access_prevention="enforced",
        versioning=gcp.storage.BucketVersioningArgs(enabled=True),
        force_destroy=args.delete_with_environment,
        lifecycle_rules=rules,
        labels=gcp_labels(merge_tags(args.tags, {"aiinfra.dev/bucket": role})),
        opts=opts,
        **extra,
    )


def housekeeping(expire_days: int | None, noncurrent_days: int | None) -> list[gcp.storage.BucketLifecycleRuleArgs]:
    rule = gcp.storage.BucketLifecycleRuleArgs
    rules = [rule(action=gcp.storage.BucketLifecycleRuleActionArgs(type="AbortIncompleteMultipartUpload"), condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=7))]
    if noncurrent_days:
        rules.append(rule(action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"), condition=gcp.storage.BucketLifecycleRuleConditionArgs(days_since_noncurrent_time=noncurrent_days, with_state="ARCHIVED")))
    if expire_days:
        rules.append(rule(action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"), condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=expire_days)))
    return rules


class ObjectStorage(pulumi.ComponentResource):
    """The environment's buckets, their access-log bucket and their key.

    Unless delete_with_environment is set, every resource is protected and retained on delete,
    so `down` leaves the data, its key and its settings in place.
    """

    bucket_names: pulumi.Output[dict[str, str]]
    bucket_urls: pulumi.Output[dict[str, str]]
    kms_key_id: pulumi.Output[str] | None

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:gcp:ObjectStorage", name, None, opts)
        raise_if("aiinfra:gcp:ObjectStorage", name, base_storage.buckets(args.buckets))
        keep = not args.delete_with_environment
        data_opts = child(self, protect=keep, retain_on_delete=keep)

        encryption: dict = {}
        depends: list[pulumi.Resource] = []
        key = None
        if args.cmek:
            key, grant = data_key(name, args, data_opts)
            encryption["encryption"] = gcp.storage.BucketEncryptionArgs(default_kms_key_name=key.id)
            depends.append(grant)
        bucket_opts = pulumi.ResourceOptions.merge(data_opts, pulumi.ResourceOptions(depends_on=depends))
        logs = _bucket(f"{name}-access-logs", args, bucket_opts, "access-logs", housekeeping(args.access_log_days, 7), **encryption)
        gcp.storage.BucketIAMMember(f"{name}-access-logs-writer", bucket=logs.name, role="roles/storage.objectCreator", member=LOG_WRITER, opts=data_opts)
        buckets = {
            b: _bucket(
                f"{name}-{b}",
                args,
                bucket_opts,
                b,
                housekeeping(None, args.noncurrent_version_days),
                logging=gcp.storage.BucketLoggingArgs(log_bucket=logs.name, log_object_prefix=f"{b}/"),
                **encryption,
            )
            for b in args.buckets
        }

        self.kms_key_id = key.id if key is not None else None
        self.access_log_bucket = logs.name
        self.bucket_names = pulumi.Output.all(**{k: b.name for k, b in buckets.items()}) if buckets else pulumi.Output.from_input({})
        self.bucket_urls = base_storage.bucket_urls("gcp", self.bucket_names)
        self.register_outputs({"bucket_names": self.bucket_names, "bucket_urls": self.bucket_urls})
