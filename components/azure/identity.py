"""The managed identity that the environment's workload pods use through AKS workload identity, and
the role-assignment helper every Azure component uses."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as az

from aiinfra.components.base import identity as base_identity
from aiinfra.components.base.built import WorkloadBinding
from aiinfra.components.base.errors import raise_if
from aiinfra.components.base.util import child

# Built-in role definition IDs, the same in every tenant (Azure built-in roles documentation).
ROLES = {
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    "Storage Account Contributor": "17d1049b-9a84-46fb-8f53-869881c3d3ab",
    "Key Vault Crypto User": "12338af0-0e69-4776-bea7-57ae8d297424",
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    "Contributor": "b24988ac-6180-42a0-ab88-20f7382dd24c",
}
TOKEN_AUDIENCE = "api://AzureADTokenExchange"


def assignment_name(scope: str, role: str, principal_id: str) -> str:
    """Role assignment names are GUIDs the caller picks; derive them so every run picks the same one."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{scope.lower()}|{ROLES[role]}|{principal_id}"))


def role_definition_id(subscription_id: str, role: str) -> str:
    return f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{ROLES[role]}"


def grant(
    name: str,
    role: str,
    scope: pulumi.Input[str],
    principal_id: pulumi.Input[str],
    subscription_id: str,
    parent: pulumi.Resource,
    principal_type: str = "ServicePrincipal",
) -> az.authorization.RoleAssignment:
    """One role assignment. principal_type must match the principal (Azure checks it); ServicePrincipal also
    lets Azure assign to a just-created managed identity before Entra ID has replicated it."""
    return az.authorization.RoleAssignment(
        name,
        role_assignment_name=pulumi.Output.all(scope, principal_id).apply(lambda a: assignment_name(a[0], role, a[1])),
        scope=scope,
        principal_id=principal_id,
        principal_type=principal_type,
        role_definition_id=role_definition_id(subscription_id, role),
        description=f"aiinfra: {role}",
        opts=child(parent),
    )


@dataclass
class WorkloadIdentityArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    subscription_id: str
    oidc_issuer_url: pulumi.Input[str]
    namespace: str
    service_account: str
    container_ids: list[pulumi.Input[str]] = field(default_factory=list)
    registry_id: pulumi.Input[str] | None = None
    tags: dict[str, str] = field(default_factory=dict)


class WorkloadIdentity(pulumi.ComponentResource):
    """Pods running as <namespace>/<service_account> get read-write access to the environment's blob
    containers and can pull from its registry, and nothing else."""

    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]
    identity_id: pulumi.Output[str]
    binding: WorkloadBinding

    def __init__(self, name: str, args: WorkloadIdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:WorkloadIdentity", name, None, opts)
        raise_if("aiinfra:azure:WorkloadIdentity", name, base_identity.binding(args.namespace, args.service_account))
        identity = az.managedidentity.UserAssignedIdentity(
            f"{name}-workload",
            resource_name_=f"{name}-workload",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=args.tags,
            opts=child(self),
        )
        az.managedidentity.FederatedIdentityCredential(
            f"{name}-workload",
            federated_identity_credential_resource_name=f"{args.namespace}-{args.service_account}",
            resource_name_=identity.name,
            resource_group_name=args.resource_group_name,
            issuer=args.oidc_issuer_url,
            subject=f"system:serviceaccount:{args.namespace}:{args.service_account}",
            audiences=[TOKEN_AUDIENCE],
            opts=child(self),
        )
        for i, container in enumerate(args.container_ids):
            grant(f"{name}-workload-blob-{i}", "Storage Blob Data Contributor", container, identity.principal_id, args.subscription_id, self)
        if args.registry_id is not None:
            grant(f"{name}-workload-acr", "AcrPull", args.registry_id, identity.principal_id, args.subscription_id, self)

        self.client_id = identity.client_id
        self.principal_id = identity.principal_id
        self.identity_id = identity.id
        self.binding = WorkloadBinding(
            args.namespace,
            args.service_account,
            annotations={"azure.workload.identity/client-id": identity.client_id},
            pod_labels={"azure.workload.identity/use": "true"},
        )
        self.register_outputs({"client_id": self.client_id, "principal_id": self.principal_id})
