"""Google Cloud Managed Lustre on the environment's network, filled from its bucket, and the volumes pods mount.

Facts: ../shared/reference/accelerators-capacity-data.md §5.2, gpu-fabrics.md §1.8 (cluster-toolkit managed-lustre
module: private services access with a /22, a firewall rule for TCP 988 from that range, gke_support_enabled).
There is no Pulumi resource for an import (the API's instances.importData), so the import runs in the cluster as a
Job: `gcloud lustre instances import-data` under the workload identity. Managed Lustre's transfer-data page names
what that takes: the caller needs lustre.instances.importData (roles/lustre.admin, or a custom role with only
that), and the Managed Lustre service agent, service-PROJECT_NUMBER@gcp-sa-lustre.iam.gserviceaccount.com, reads
the bucket (roles/storage.objectViewer for imports; objectUser only where results are exported, which aiinfra
does not do) — https://cloud.google.com/managed-lustre/docs/transfer-data, .../access-control.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import pulumi

from aiinfra.components.base.storage import url as bucket_url
from aiinfra.components.base.util import child
from aiinfra.resolve.result import ResolvedFileSystem

PSA_PREFIX = 22
# gke_support_enabled moves the servers off 988 (GKE's own port); GKE clients then use the legacy LNet port 6988.
LUSTRE_PORTS = ["988", "6988"]
GCLOUD_IMAGE = "gcr.io/google.com/cloudsdktool/google-cloud-cli:stable"
# Import only: starting the transfer (transfer-data page), and following the long-running operation that gcloud
# waits on (lustre.operations.get: inferred from gcloud's polling, unverified).
IMPORT_PERMISSIONS = ["lustre.instances.importData", "lustre.operations.get"]
AGENT_BUCKET_ROLE = "roles/storage.objectViewer"


@dataclass
class FileSystemArgs:
    project: str
    filesystems: list[ResolvedFileSystem]
    network_id: pulumi.Input[str]
    buckets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict, metadata={"doc": "spec bucket name -> physical name"})
    delete_with_environment: bool = False
    importer: pulumi.Input[str] | None = field(default=None, metadata={"doc": "IAM member that runs the import Jobs"})
    labels: dict[str, str] = field(default_factory=dict)


def lustre_name(fs_name: str) -> str:
    """The file system name Lustre clients mount: at most 8 letters and digits."""
    return (re.sub(r"[^a-z0-9]", "", fs_name) or "lustre")[:8]


def private_service_access(name: str, args: FileSystemArgs, opts: pulumi.ResourceOptions):
    import pulumi_gcp as gcp

    block = gcp.compute.GlobalAddress(
        f"{name}-psa", project=args.project, network=args.network_id, purpose="VPC_PEERING", address_type="INTERNAL", prefix_length=PSA_PREFIX, opts=opts
    )
    peering = gcp.servicenetworking.Connection(
        f"{name}-psa", network=args.network_id, service="servicenetworking.googleapis.com", reserved_peering_ranges=[block.name], opts=opts
    )
    gcp.compute.Firewall(
        f"{name}-lustre",
        project=args.project,
        network=args.network_id,
        direction="INGRESS",
        source_ranges=[pulumi.Output.concat(block.address, f"/{PSA_PREFIX}")],
        allows=[gcp.compute.FirewallAllowArgs(protocol="tcp", ports=LUSTRE_PORTS)],
        description="Managed Lustre servers (private services access range) to the nodes",
        opts=opts,
    )
    return peering


class FileSystems(pulumi.ComponentResource):
    """The environment's Managed Lustre instances; `volumes` says how a PersistentVolume reaches each."""

    volumes: dict[str, dict[str, Any]]
    details: dict[str, Any]
    imports: list[dict[str, Any]]

    def __init__(self, name: str, args: FileSystemArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:gcp:FileSystems", name, None, opts)
        import pulumi_gcp as gcp

        keep = not args.delete_with_environment
        data_opts = child(self, protect=keep, retain_on_delete=keep)
        peering = private_service_access(name, args, data_opts)
        self.volumes, self.details, self.imports = {}, {}, []
        self.grants: list[pulumi.Resource] = []
        for fs in args.filesystems:
            instance = gcp.lustre.Instance(
                f"{name}-{fs.name}",
                project=args.project,
                instance_id=f"{name}-{fs.name}",
                location=fs.zone,
                filesystem=lustre_name(fs.name),
                network=args.network_id,
                capacity_gib=str(int(fs.capacity)),
                per_unit_storage_throughput=str(fs.throughput),
                gke_support_enabled=True,
                description=f"aiinfra {name} file system {fs.name}",
                labels=args.labels,
                opts=pulumi.ResourceOptions.merge(data_opts, pulumi.ResourceOptions(depends_on=[peering], custom_timeouts=pulumi.CustomTimeouts(create="1h", delete="1h"))),
            )
            ip = instance.mount_point.apply(lambda m: m.split("@", 1)[0] if m else "")
            self.volumes[fs.claim_name] = {
                "driver": "lustre.csi.storage.gke.io",
                "volumeHandle": pulumi.Output.concat(args.project, "/", fs.zone or "", "/", instance.instance_id),
                "volumeAttributes": {"ip": ip, "filesystem": instance.filesystem},
                "capacity": f"{int(fs.capacity)}Gi",
            }
            self.details[fs.name] = {
                "instance": instance.instance_id,
                "zone": fs.zone,
                "mount": instance.mount_point,
                "path": fs.mount_path,
                "claim": fs.claim_name,
                "import_from": fs.import_from,
            }
            if fs.import_from:
                self.imports.append(
                    {
                        "filesystem": fs.name,
                        "instance": instance.instance_id,
                        "zone": fs.zone,
                        "bucket": args.buckets[fs.import_from],
                        "bucket_name": fs.import_from,
                        "path": f"/{fs.import_from}",
                    }
                )
        if self.imports:
            self.grants = import_grants(name, args, self.imports, self)
        self.register_outputs({"filesystems": self.details})


def import_grants(name: str, args: FileSystemArgs, imports: list[dict[str, Any]], parent: pulumi.Resource) -> list[pulumi.Resource]:
    """What an import needs: the Managed Lustre service agent reads each imported bucket, and the identity running
    the import Job may start imports (a custom role with only that; roles/lustre.admin could also delete instances)."""
    import pulumi_gcp as gcp

    # The agent exists once the project's first instance does; generating it here lets the grant come first.
    agent = gcp.projects.ServiceIdentity(f"{name}-lustre-agent", project=args.project, service="lustre.googleapis.com", opts=child(parent))
    grants: list[pulumi.Resource] = [
        gcp.storage.BucketIAMMember(f"{name}-lustre-agent-{b}", bucket=args.buckets[b], role=AGENT_BUCKET_ROLE, member=agent.member, opts=child(parent))
        for b in sorted({i["bucket_name"] for i in imports})
    ]
    if args.importer is not None:
        # A deleted custom role lingers for days under its id; the Google provider undeletes it when the same id
        # comes back (provider behaviour, not re-read: unverified).
        role = gcp.projects.IAMCustomRole(
            f"{name}-lustre-import",
            project=args.project,
            role_id=re.sub(r"[^A-Za-z0-9_.]", "_", f"{name}_lustre_import")[:64],
            title=f"Managed Lustre import ({name})",
            description="aiinfra: start imports from Cloud Storage into Managed Lustre and follow them",
            permissions=IMPORT_PERMISSIONS,
            opts=child(parent),
        )
        grants.append(gcp.projects.IAMMember(f"{name}-lustre-import", project=args.project, role=role.name, member=args.importer, opts=child(parent)))
    return grants


def import_job(namespace: str, service_account: str, project: str, imp: Mapping[str, Any]) -> dict[str, Any]:
    """A one-shot Job that asks Managed Lustre to copy the bucket into the file system (instances.importData)."""
    args = [
        "lustre", "instances", "import-data", imp["instance"], f"--location={imp['zone']}", f"--project={project}",
        pulumi.Output.concat("--gcs-path-uri=", bucket_url("gcp", imp["bucket"]), "/"), f"--lustre-path={imp['path']}",
    ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"lustre-import-{imp['filesystem']}", "namespace": namespace},
        "spec": {
            "backoffLimit": 3,
            "template": {
                "spec": {
                    "serviceAccountName": service_account,
                    "restartPolicy": "OnFailure",
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [
                        {
                            "name": "import",
                            "image": GCLOUD_IMAGE,
                            "command": ["gcloud"],
                            "args": args,
                            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
                        }
                    ],
                }
            },
        },
    }


def bucket_volumes(buckets: Mapping[str, pulumi.Input[str]]) -> dict[str, dict[str, Any]]:
    """Cloud Storage FUSE volumes (the GKE add-on); pods carry gke-gcsfuse/volumes: "true" for the sidecar."""
    return {
        f"bucket-{b}": {"driver": "gcsfuse.csi.storage.gke.io", "volumeHandle": physical, "mountOptions": ["implicit-dirs"], "capacity": "5Gi"}
        for b, physical in buckets.items()
    }


def add_data_layer(
    name: str, env: Any, tags: dict[str, str], project: str, network: Any, storage: Any, built: Any, parent: pulumi.Resource, importer: pulumi.Input[str] | None = None
) -> None:
    """File systems, their import Jobs and bucket volumes into the built environment."""
    from aiinfra.components.base.util import per_key
    from aiinfra.components.gcp.labels import gcp_labels

    physical = per_key(storage.bucket_names, env.buckets)
    if env.filesystems:
        fs = FileSystems(
            name,
            FileSystemArgs(
                project=project,
                filesystems=list(env.filesystems),
                network_id=network.network_id,
                buckets=physical,
                delete_with_environment=env.delete_with_environment,
                importer=importer,
                labels=gcp_labels(tags),
            ),
            opts=child(parent),
        )
        built.outputs["filesystems"] = fs.details
        built.volumes.update(fs.volumes)
        built.storage_grants += fs.grants
        built.storage_objects += [import_job(env.namespace, env.service_account, project, imp) for imp in fs.imports]
    if env.mount_buckets:
        built.volumes.update(bucket_volumes(physical))
