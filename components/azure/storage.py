"""A storage account with one blob container per spec bucket: HTTPS and TLS 1.2 only, no public blob
access, no shared keys (Entra ID only), reachable from the node subnet only, versioned, with soft delete,
and kept on `down` unless told otherwise."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as az

from aiinfra.components.base import storage as base_storage
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child, merge_tags
from aiinfra.problems import Problem


@dataclass
class StorageArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    env: str
    subscription_id: str
    buckets: list[str]
    node_subnet_id: pulumi.Input[str] | None = None
    extra_subnet_ids: list[pulumi.Input[str]] = field(default_factory=list, metadata={"doc": "more subnets the account admits (Lustre HSM)"})
    lustre_import: bool = False  # an Azure Managed Lustre file system imports from the account (needs key-based SAS)
    zone_redundant: bool = True
    delete_with_environment: bool = False
    retention_days: int = 30
    tags: dict[str, str] = field(default_factory=dict)


SHARED_KEY_TAG = "aiinfra.dev/shared-key"
SHARED_KEY_REASON = "lustre-hsm-import"


def account_name(env: str, subscription_id: str) -> str:
    """Storage account names are global, 3-24 lowercase letters and digits: the env's letters plus a hash."""
    stem = re.sub("[^a-z0-9]", "", env.lower())[:16]
    name = f"{stem}{hashlib.sha256(f'{subscription_id}/{env}'.encode()).hexdigest()[:8]}"
    assert 3 <= len(name) <= 24 and name.isalnum() and name.islower(), name
    return name


def check(args: StorageArgs) -> list[Problem]:
    """The shared bucket contract plus Azure's container-name rule."""
    problems = base_storage.buckets(args.buckets)
    bad = [b for b in args.buckets if not re.fullmatch(r"[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]", b)]
    if bad:
        problems.append(Problem("buckets", f"blob container names are 3-63 lowercase letters, digits and single hyphens: {bad}", value=bad))
    return problems


class ObjectStorage(pulumi.ComponentResource):
    """The environment's blob containers in one hardened storage account.

    Unless delete_with_environment is set, every resource is protected and retained on delete, so
    `down` leaves the account, its containers and their data in place.
    """

    account_name: pulumi.Output[str]
    account_id: pulumi.Output[str]
    blob_endpoint: pulumi.Output[str]
    container_names: pulumi.Output[dict[str, str]]
    bucket_names: pulumi.Output[dict[str, str]]
    bucket_urls: pulumi.Output[dict[str, str]]
    container_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:ObjectStorage", name, None, opts)
        raise_if("aiinfra:azure:ObjectStorage", name, check(args))
        keep = not args.delete_with_environment
        data_opts = child(self, protect=keep, retain_on_delete=keep)
        subnet_rules = [az.storage.VirtualNetworkRuleArgs(virtual_network_resource_id=args.node_subnet_id, action="Allow")] if args.node_subnet_id else []
        subnet_rules += [az.storage.VirtualNetworkRuleArgs(virtual_network_resource_id=s, action="Allow") for s in args.extra_subnet_ids]

        account = az.storage.StorageAccount(
            f"{name}-data",
            account_name=account_name(args.env, args.subscription_id),
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="StorageV2",
            sku=az.storage.SkuArgs(name="Standard_ZRS" if args.zone_redundant else "Standard_LRS"),
            access_tier="Hot",
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_blob_public_access=False,
            # Managed Lustre's HSM import reads the container through an account SAS, which needs shared key
            # access (Microsoft's amlfs-prerequisites); off otherwise. The tag names the reason for policy AI-AZ-011.
            allow_shared_key_access=args.lustre_import,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            public_network_access="Enabled",
            # Data-plane access only from the cluster's nodes (service endpoint on the node subnet);
            # Pulumi's own calls are ARM control-plane calls and are not affected.
            network_rule_set=az.storage.NetworkRuleSetArgs(default_action="Deny", bypass="AzureServices", virtual_network_rules=subnet_rules),
            encryption=az.storage.EncryptionArgs(
                key_source="Microsoft.Storage",
                require_infrastructure_encryption=True,
                services=az.storage.EncryptionServicesArgs(
                    blob=az.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                    file=az.storage.EncryptionServiceArgs(enabled=True, key_type="Account"),
                ),
            ),
            tags=merge_tags({**args.tags, **({SHARED_KEY_TAG: SHARED_KEY_REASON} if args.lustre_import else {})}),
            opts=data_opts,
        )
        retention = az.storage.DeleteRetentionPolicyArgs(enabled=True, days=args.retention_days)
        blob_service = az.storage.BlobServiceProperties(
            f"{name}-blob",
            blob_services_name="default",
            account_name=account.name,
            resource_group_name=args.resource_group_name,
            is_versioning_enabled=True,
            delete_retention_policy=retention,
            container_delete_retention_policy=retention,
            opts=data_opts,
        )
        containers = {
            b: az.storage.BlobContainer(
                f"{args.env}-{b}",
                container_name=b,
                account_name=account.name,
                resource_group_name=args.resource_group_name,
                public_access="None",
                metadata={"aiinfra_environment": args.env},
                opts=pulumi.ResourceOptions.merge(data_opts, pulumi.ResourceOptions(depends_on=[blob_service])),
            )
            for b in args.buckets
        }

        self.account_name = account.name
        self.account_id = account.id
        self.blob_endpoint = account.primary_endpoints.apply(lambda e: e.blob)
        self.container_ids = {b: c.id for b, c in containers.items()}
        self.container_names = pulumi.Output.all(**{b: c.name for b, c in containers.items()}) if containers else pulumi.Output.from_input({})
        # The names every cloud's storage shares: a bucket here is a blob container.
        self.bucket_names = self.container_names
        self.bucket_urls = base_storage.bucket_urls("azure", self.bucket_names)
        self.register_outputs({"account_name": self.account_name, "container_names": self.container_names})
