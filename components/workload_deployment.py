"""Deploy the reference workload's rendered manifests into the environment's cluster."""

from __future__ import annotations

from typing import Any

import pulumi

from aiinfra.components.base.built import BuiltEnvironment
from aiinfra.components.base.util import child
from aiinfra.resolve.result import ResolvedEnvironment


def manifests_output(env: ResolvedEnvironment, built: BuiltEnvironment, identity_managed: bool = False) -> pulumi.Output[list[dict[str, Any]]]:
    """The manifests rendered from a BuiltEnvironment's Outputs (bucket URLs, registry, identity), once they resolve.

    identity_managed: the platform already owns the workload Namespace and ServiceAccount, so they are
    left out here (two Pulumi resources must never manage one Kubernetes object)."""
    from aiinfra.manifests.context import Values, default_images, render
    from aiinfra.resolve.workload import plan

    wp = plan(env)  # the resolver's plan; a missing piece surfaces while the program is built, not inside an apply
    facts = pulumi.Output.from_input(
        {
            "buckets": dict(built.bucket_urls),
            "registry": dict(built.registry_urls),
            "annotations": dict(built.workload.annotations),
            "storage_options": dict(built.storage_options),
        }
    )

    def build(f: dict[str, Any]) -> list[dict[str, Any]]:
        train, serve = default_images(env, f["registry"])
        values = Values(
            train_image=train,
            serve_image=serve,
            bucket_urls=f["buckets"],
            storage_options=f["storage_options"],
            service_account_annotations=f["annotations"],
            service_account_labels=dict(built.workload.labels),
            pod_labels=dict(built.workload.pod_labels),
        )
        manifests = render(env, values, wp)
        if identity_managed:
            owned = {("Namespace", None, built.workload.namespace), ("ServiceAccount", built.workload.namespace, built.workload.service_account)}
            manifests = [m for m in manifests if (m["kind"], m["metadata"].get("namespace"), m["metadata"]["name"]) not in owned]
        return manifests

    return facts.apply(build)


class WorkloadDeployment(pulumi.ComponentResource):
    """Applies rendered manifests with the cluster's Kubernetes provider; the namespace comes first
    because ConfigGroup orders namespaces and CRD instances itself."""

    manifests: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        manifests: pulumi.Input[list[dict[str, Any]]],
        provider: pulumi.ProviderResource,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("aiinfra:index:WorkloadDeployment", name, None, opts)
        if provider is None:
            raise ValueError("a Kubernetes provider for the environment's cluster is required")
        import pulumi_kubernetes as k8s

        self.manifests = pulumi.Output.from_input(manifests)
        k8s.yaml.v2.ConfigGroup(f"{name}-manifests", objs=self.manifests, opts=child(self, provider=provider))
        self.register_outputs({"manifests": self.manifests})
