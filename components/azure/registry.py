"""Azure Container Registry: Entra ID only (admin user and anonymous pull off)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as az

from aiinfra.components.azure.identity import grant
from aiinfra.components.base import registry as base_registry
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child


@dataclass
class RegistryArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    env: str
    subscription_id: str
    repositories: list[str]
    pullers: dict[str, pulumi.Input[str]] = field(default_factory=dict, metadata={"doc": "label -> principal id granted AcrPull"})
    sku: str = "Standard"
    tags: dict[str, str] = field(default_factory=dict)


def registry_name(env: str, subscription_id: str) -> str:
    """Registry names are global, 5-50 letters and digits."""
    stem = re.sub("[^a-z0-9]", "", env.lower())[:30]
    return f"{stem}{hashlib.sha256(f'{subscription_id}/{env}/acr'.encode()).hexdigest()[:8]}"


class ContainerRegistry(pulumi.ComponentResource):
    """One registry for the environment; ACR creates a repository on first push, so each spec repository
    is a path under <login server>/<env>/."""

    login_server: pulumi.Output[str]
    registry_id: pulumi.Output[str]
    repository_urls: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:ContainerRegistry", name, None, opts)
        raise_if("aiinfra:azure:ContainerRegistry", name, base_registry.images(args.repositories, "repositories"))
        registry = az.containerregistry.Registry(
            f"{name}-acr",
            registry_name=registry_name(args.env, args.subscription_id),
            resource_group_name=args.resource_group_name,
            location=args.location,
            sku=az.containerregistry.SkuArgs(name=args.sku),
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            tags=args.tags,
            opts=child(self),
        )
        for label, principal in args.pullers.items():
            grant(f"{name}-{label}-acr-pull", "AcrPull", registry.id, principal, args.subscription_id, self)
        repos = list(args.repositories)
        self.login_server = registry.login_server
        self.registry_id = registry.id
        self.repository_urls = registry.login_server.apply(lambda s: {r: f"{s}/{args.env}/{r}" for r in repos})
        self.register_outputs({"login_server": self.login_server, "repository_urls": self.repository_urls})
