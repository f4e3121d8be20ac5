"""ECR repositories: scanned on push, immutable tags, encrypted, untagged images expire."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from aiinfra.components.base import registry as base_registry
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child

UNTAGGED_EXPIRY = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "expire untagged images after 14 days",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
                "action": {"type": "expire"},
            }
        ]
    }
)


@dataclass
class RegistryArgs:
    repositories: list[str]
    tags: dict[str, str] = field(default_factory=dict)


class ContainerRegistry(pulumi.ComponentResource):
    repository_urls: pulumi.Output[dict[str, str]]
    repository_arns: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:aws:ContainerRegistry", name, None, opts)
        raise_if("aiinfra:aws:ContainerRegistry", name, base_registry.images(args.repositories, "repositories"))
        repos = {}
        for repo in args.repositories:
            r = aws.ecr.Repository(
                f"{name}-{repo}",
                name=f"{name}/{repo}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
                encryption_configurations=[aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS")],
                force_delete=False,
                tags=args.tags,
                opts=child(self),
            )
            aws.ecr.LifecyclePolicy(f"{name}-{repo}", repository=r.name, policy=UNTAGGED_EXPIRY, opts=child(self))
            repos[repo] = r
        self.repository_urls = pulumi.Output.all(**{k: r.repository_url for k, r in repos.items()})
        self.repository_arns = pulumi.Output.all(**{k: r.arn for k, r in repos.items()})
        self.register_outputs({"repository_urls": self.repository_urls})
