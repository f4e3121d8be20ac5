"""An Artifact Registry Docker repository: immutable tags, vulnerability scanning, untagged images cleaned up."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from aiinfra.components.base import registry as base_registry
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child
from aiinfra.components.gcp.labels import gcp_labels

UNTAGGED_AFTER = "1209600s"  # 14 days, as on ECR


@dataclass
class RegistryArgs:
    project: str
    region: str
    images: list[str] = field(metadata={"doc": "image names; each is a path in the one repository"})
    readers: list[pulumi.Input[str]] = field(default_factory=list, metadata={"doc": "IAM members that pull (the node service account)"})
    tags: dict[str, str] = field(default_factory=dict)


class ContainerRegistry(pulumi.ComponentResource):
    """One Docker repository per environment; the spec's repositories are image paths inside it."""

    repository_name: pulumi.Output[str]
    repository_id: pulumi.Output[str]
    repository_urls: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:gcp:ContainerRegistry", name, None, opts)
        raise_if("aiinfra:gcp:ContainerRegistry", name, base_registry.images(args.images, "images"))
        repo = gcp.artifactregistry.Repository(
            f"{name}-images",
            project=args.project,
            location=args.region,
            repository_id=name,
            format="DOCKER",
            description=f"container images of {name}",
            docker_config=gcp.artifactregistry.RepositoryDockerConfigArgs(immutable_tags=True),
            vulnerability_scanning_config=gcp.artifactregistry.RepositoryVulnerabilityScanningConfigArgs(enablement_config="INHERITED"),
            cleanup_policy_dry_run=False,
            cleanup_policies=[
                gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                    id="delete-untagged",
                    action="DELETE",
                    condition=gcp.artifactregistry.RepositoryCleanupPolicyConditionArgs(tag_state="UNTAGGED", older_than=UNTAGGED_AFTER),
                )
            ],
            labels=gcp_labels(args.tags),
            opts=child(self),
        )
        for i, member in enumerate(args.readers):
            gcp.artifactregistry.RepositoryIamMember(
                f"{name}-images-reader-{i}", project=args.project, location=args.region, repository=repo.name, role="roles/artifactregistry.reader", member=member, opts=child(self)
            )
        self.repository_name = repo.name
        self.repository_id = repo.repository_id
        self.repository_urls = pulumi.Output.all(**{i: pulumi.Output.concat(repo.registry_uri, "/", i) for i in args.images})
        self.register_outputs({"repository_urls": self.repository_urls})
