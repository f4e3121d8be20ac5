"""Azure Managed Lustre (AmlFilesystem) in its own subnet, importing from a blob container, and the volumes pods
mount (the Azure Lustre CSI driver from its pinned manifests; the AKS Blob CSI driver for mounted buckets).

Facts: ../shared/reference/accelerators-capacity-data.md §5.3, gpu-fabrics.md §3.5. The file systems and their
subnets are data: protected and kept on `down` unless delete_with_environment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import pulumi

from aiinfra.components.azure.profile import PLACEHOLDER
from aiinfra.components.azure.subnets import plan_lustre_subnets, plan_subnets
from aiinfra.components.base.util import child
from aiinfra.resolve.result import ResolvedFileSystem

MAINTENANCE = {"day_of_week": "Sunday", "time_of_day_utc": "02:00"}  # AMLFS requires a weekly 30-minute window
LOGGING_CONTAINER = "lustre-logs"
# Pinned manifests of the Azure Lustre CSI driver v0.4.0, in install-driver.sh's order (charts.yaml).
CSI_MANIFESTS = [
    "rbac-csi-azurelustre-controller",
    "rbac-csi-azurelustre-node",
    "csi-azurelustre-driver",
    "csi-azurelustre-controller",
    "csi-azurelustre-node-jammy",
    "csi-azurelustre-node-noble",
]
# Blob integration: the "HPC Cache Resource Provider" service principal needs these roles on the storage account
# before the file system is created, or creation fails (Learn amlfs-prerequisites, "Access roles for blob
# integration"). Its object ID differs per tenant, hence azure.lustre_principal_id. The same page also asks for
# the account's key access to be enabled, which the account (and the policy pack) keep off: open, unverified
# whether imports fail without it.
HSM_ROLES = ("Storage Account Contributor", "Storage Blob Data Contributor")
BLOBFUSE_OPTIONS = ["-o allow_other", "--file-cache-timeout-in-seconds=120", "-o attr_timeout=120", "-o entry_timeout=120", "-o negative_timeout=120"]


@dataclass
class FileSystemArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    vnet_name: pulumi.Input[str]
    subnet_cidrs: list[str]
    filesystems: list[ResolvedFileSystem]
    storage_account_name: pulumi.Input[str] = ""
    storage_account_id: pulumi.Input[str] = ""
    subscription_id: str = ""
    lustre_principal_id: str = PLACEHOLDER
    container_ids: Mapping[str, pulumi.Input[str]] = field(default_factory=dict, metadata={"doc": "spec bucket name -> container resource id"})
    delete_with_environment: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class LustreSubnets(pulumi.ComponentResource):
    """The file systems' subnets, made before the storage account so that its network rules can admit them."""

    ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: FileSystemArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:LustreSubnets", name, None, opts)
        import pulumi_azure_native as az

        keep = not args.delete_with_environment
        self.ids = {}
        previous: list[pulumi.Resource] = []
        for fs, cidr in zip(args.filesystems, args.subnet_cidrs):
            subnet = az.network.Subnet(
                f"{name}-{fs.name}-lustre",
                subnet_name=f"lustre-{fs.name}",
                resource_group_name=args.resource_group_name,
                virtual_network_name=args.vnet_name,
                address_prefix=cidr,
                service_endpoints=[az.network.ServiceEndpointPropertiesFormatArgs(service="Microsoft.Storage")],
                default_outbound_access=False,
                # Azure updates one VNet's subnets one at a time.
                opts=child(self, protect=keep, retain_on_delete=keep, depends_on=previous),
            )
            previous = [subnet]
            self.ids[fs.name] = subnet.id
        self.register_outputs({"subnets": self.ids})


class FileSystems(pulumi.ComponentResource):
    """The environment's Azure Managed Lustre file systems; `volumes` says how a PersistentVolume reaches each."""

    volumes: dict[str, dict[str, Any]]
    details: dict[str, Any]

    def __init__(self, name: str, args: FileSystemArgs, subnets: Mapping[str, pulumi.Input[str]], opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:FileSystems", name, None, opts)
        import pulumi_azure_native as az

        keep = not args.delete_with_environment
        data_opts = child(self, protect=keep, retain_on_delete=keep)
        self.volumes, self.details = {}, {}
        logs, access = None, []
        if any(fs.import_from for fs in args.filesystems):
            access = hsm_access(name, args, self)
            # HSM logs go to a separate container of the same account (SDK docstring).
            logs = az.storage.BlobContainer(
                f"{name}-lustre-logs", container_name=LOGGING_CONTAINER, account_name=args.storage_account_name, resource_group_name=args.resource_group_name, opts=data_opts
            )
        for fs in args.filesystems:
            hsm = None
            if fs.import_from and logs is not None:
                hsm = az.storagecache.AmlFilesystemHsmArgs(
                    settings=az.storagecache.AmlFilesystemHsmSettingsArgs(
                        container=args.container_ids[fs.import_from], logging_container=logs.id, import_prefix="/"
                    )
                )
            system = az.storagecache.AmlFilesystem(
                f"{name}-{fs.name}",
                aml_filesystem_name=f"{name}-{fs.name}",
                resource_group_name=args.resource_group_name,
                location=args.location,
                sku=az.storagecache.SkuNameArgs(name=fs.tier),
                storage_capacity_ti_b=fs.capacity,
                filesystem_subnet=subnets[fs.name],
                zones=[fs.zone] if fs.zone else None,
                maintenance_window=az.storagecache.AmlFilesystemMaintenanceWindowArgs(**MAINTENANCE),
                hsm=hsm,
                root_squash_settings=az.storagecache.AmlFilesystemRootSquashSettingsArgs(mode="None"),
                tags={**args.tags, "aiinfra.dev/filesystem": fs.name},
                opts=pulumi.ResourceOptions.merge(data_opts, pulumi.ResourceOptions(depends_on=access)) if hsm else data_opts,
            )
            mgs = system.client_info.apply(lambda c: c.mgs_address if c else "")
            self.volumes[fs.claim_name] = {
                "driver": "azurelustre.csi.azure.com",
                "volumeHandle": pulumi.Output.concat(system.id, "#lustrefs"),
                "volumeAttributes": {"mgs-ip-address": mgs, "fs-name": "lustrefs"},
                "mountOptions": ["noatime", "flock"],
                "capacity": f"{fs.capacity:g}Ti",
            }
            self.details[fs.name] = {
                "id": system.id,
                "sku": fs.tier,
                "zone": fs.zone,
                "mount": pulumi.Output.concat(mgs, "@tcp:/lustrefs"),
                "path": fs.mount_path,
                "claim": fs.claim_name,
                "import_from": fs.import_from,
            }
        self.register_outputs({"filesystems": self.details})


def hsm_access(name: str, args: FileSystemArgs, parent: pulumi.Resource) -> list[pulumi.Resource]:
    """The storage account roles the Lustre resource provider needs for the import, made before the file system."""
    from aiinfra.components.azure.identity import grant

    return [
        grant(f"{name}-lustre-{role.split()[1].lower()}", role, args.storage_account_id, args.lustre_principal_id, args.subscription_id, parent)
        for role in HSM_ROLES
    ]


def bucket_volumes(resource_group: pulumi.Input[str], account: pulumi.Input[str], containers: Mapping[str, pulumi.Input[str]], client_id: pulumi.Input[str]):
    """Blob CSI (blobfuse2) volumes mounted with workload identity: the driver exchanges the pod's service account
    token for the workload identity's (`clientID`; blob-csi-driver docs/workload-identity-static-pv-mount.md)."""
    return {
        f"bucket-{b}": {
            "driver": "blob.csi.azure.com",
            "volumeHandle": pulumi.Output.concat(resource_group, "#", account, "#", c),
            "volumeAttributes": {
                "resourcegroup": resource_group,
                "storageaccount": account,
                "containerName": c,
                "protocol": "fuse2",
                "clientID": client_id,
            },
            "mountOptions": BLOBFUSE_OPTIONS,
            "capacity": "10Gi",
        }
        for b, c in containers.items()
    }


def lustre_args(
    env: Any, name: str, resource_group: pulumi.Input[str], vnet_id: pulumi.Input[str], after: pulumi.Input[str], tags: dict[str, str], subscription_id: str = ""
) -> FileSystemArgs:
    """`after`: the VNet's last subnet id; Azure changes one VNet's subnets at a time, so the Lustre subnets wait
    for it (through the VNet name) instead of for the whole network, which `down` would then have to keep."""
    spec = env.spec
    cidrs = plan_lustre_subnets(env.cidr, plan_subnets(env.cidr)[1], [f.subnet_prefix for f in env.filesystems]) or []
    return FileSystemArgs(
        resource_group_name=resource_group,
        location=env.region,
        vnet_name=pulumi.Output.all(vnet_id, after).apply(lambda a: a[0].rsplit("/", 1)[-1]),
        subnet_cidrs=cidrs,
        filesystems=list(env.filesystems),
        delete_with_environment=env.delete_with_environment,
        subscription_id=subscription_id,
        lustre_principal_id=spec.azure.lustre_principal_id or PLACEHOLDER,
        tags=tags,
    )


def add_data_layer(env: Any, name: str, fs_args: FileSystemArgs | None, subnets: Any, storage: Any, identity: Any, rg: Any, built: Any, opts: pulumi.ResourceOptions) -> None:
    """File systems and bucket volumes into the built environment (outputs, volumes, the Lustre CSI manifests)."""
    from aiinfra.components.base.util import per_key

    if fs_args is not None and subnets is not None:
        fs_args.storage_account_name = storage.account_name
        fs_args.storage_account_id = storage.account_id
        fs_args.container_ids = dict(storage.container_ids)
        fs = FileSystems(name, fs_args, subnets.ids, opts=opts)
        built.outputs["filesystems"] = fs.details
        built.volumes.update(fs.volumes)
        built.storage_addons += CSI_MANIFESTS
    if env.mount_buckets:
        built.volumes.update(bucket_volumes(rg, storage.account_name, per_key(storage.container_names, env.buckets), identity.client_id))
