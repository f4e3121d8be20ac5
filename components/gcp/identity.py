"""The Google service account that the environment's workload pods act as, through GKE Workload Identity."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from aiinfra.components.base import identity as base_identity
from aiinfra.components.base.built import WorkloadBinding
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child
from aiinfra.components.gcp.cluster import account_id

ANNOTATION = "iam.gke.io/gcp-service-account"
BUCKET_ROLE = "roles/storage.objectUser"
REGISTRY_ROLE = "roles/artifactregistry.writer"


@dataclass
class WorkloadIdentityArgs:
    project: str
    region: str
    namespace: str
    service_account: str
    bucket_names: list[pulumi.Input[str]]
    repository: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)


class WorkloadIdentity(pulumi.ComponentResource):
    """Pods running as <namespace>/<service_account> act as one Google service account that may read and
    write the buckets and push to the registry, and nothing else."""

    email: pulumi.Output[str]
    member: pulumi.Output[str]
    annotations: dict[str, pulumi.Output[str]]
    binding: WorkloadBinding

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:gcp:WorkloadIdentity", name, None, opts)
        raise_if("aiinfra:gcp:WorkloadIdentity", name, base_identity.binding(args.namespace, args.service_account))
        gsa = gcp.serviceaccount.Account(
            f"{name}-workload",
            project=args.project,
            account_id=account_id(name, "workload"),
            display_name=f"workloads of {name} ({args.namespace}/{args.service_account})",
            opts=child(self),
        )
        # The identity pool <project>.svc.id.goog exists once a Workload Identity cluster does; the caller orders this after it.
        gcp.serviceaccount.IAMMember(
            f"{name}-workload-ksa",
            service_account_id=gsa.name,
            role="roles/iam.workloadIdentityUser",
            member=f"serviceAccount:{args.project}.svc.id.goog[{args.namespace}/{args.service_account}]",
            opts=child(self),
        )
        for i, bucket in enumerate(args.bucket_names):
            gcp.storage.BucketIAMMember(f"{name}-workload-bucket-{i}", bucket=bucket, role=BUCKET_ROLE, member=gsa.member, opts=child(self))
        if args.repository is not None:
            gcp.artifactregistry.RepositoryIamMember(
                f"{name}-workload-registry", project=args.project, location=args.region, repository=args.repository, role=REGISTRY_ROLE, member=gsa.member, opts=child(self)
            )
        self.email = gsa.email
        self.member = gsa.member
        self.annotations = {ANNOTATION: gsa.email}
        self.binding = WorkloadBinding(args.namespace, args.service_account, annotations=dict(self.annotations))
        self.register_outputs({"email": self.email})
