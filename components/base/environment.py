"""The cloud-neutral component: one spec in, the chosen cloud's components out."""

from __future__ import annotations

from typing import Any

import pulumi

from aiinfra import clouds
from aiinfra.components.base.built import BuiltEnvironment, WorkloadBinding
from aiinfra.components.base.errors import ComponentInputError
from aiinfra.components.base.sdk import require
from aiinfra.components.base.util import child
from aiinfra.components.spec_paths import at_spec
from aiinfra.resolve.result import ResolvedEnvironment

__all__ = ["BuiltEnvironment", "Environment", "WorkloadBinding", "default_tags"]


def default_tags(env: ResolvedEnvironment) -> dict[str, str]:
    return {"aiinfra.dev/environment": env.name, "managed-by": "aiinfra", **env.tags}


class Environment(pulumi.ComponentResource):
    """Everything one environment needs on its cloud. Per-cloud assembly lives in
    aiinfra.components.<cloud>.environment.build, so adding a cloud adds a folder, not a branch here."""

    outputs: dict[str, Any]
    built: BuiltEnvironment
    platform: Any = None
    workload: Any = None

    def __init__(self, name: str, env: ResolvedEnvironment, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:index:Environment", name, None, opts)
        cloud = env.cloud
        require(cloud)
        builder = clouds.module(cloud, "environment", optional=True)
        if builder is None:
            raise NotImplementedError(f"aiinfra has no {cloud} components yet")
        try:
            self.built = builder.build(env, default_tags(env), self)
        except ComponentInputError as err:
            raise at_spec(env, err) from None
        self.outputs = self.built.outputs
        if env.mlops.any_on or self.built.volumes:
            from aiinfra.components.kubernetes import Platform, PlatformArgs

            args = PlatformArgs.from_env(env, self.built)
            self.platform = Platform(env.name, args, opts=child(self, depends_on=args.depends_on))
            self.outputs["platform"] = {"releases": self.platform.releases, "namespaces": self.platform.namespaces, "notes": self.platform.notes}
            self.outputs["mlflow_url"] = self.platform.mlflow_url
        if self.built.volumes:
            self.outputs["volumes"] = {claim: f"{env.namespace}/{claim}" for claim in sorted(self.built.volumes)}
        if env.spec.workload.enabled:
            self.workload = self._deploy_workload(env)
        self.register_outputs(self.outputs)

    def _deploy_workload(self, env: ResolvedEnvironment) -> pulumi.Resource:
        """The reference workload on the platform's provider, after the add-ons it needs (trainer, Kueue queue)."""
        import pulumi_kubernetes as k8s

        from aiinfra.components.workload_deployment import WorkloadDeployment, manifests_output

        built = self.built
        if self.platform is not None:
            provider, after = self.platform.provider, [self.platform]
        else:
            after = [built.cluster, *built.node_pools.values()]
            provider = k8s.Provider(f"{env.name}-workload-k8s", kubeconfig=built.kubeconfig, context=built.kube_context, delete_unreachable=True, opts=child(self, depends_on=after))
        manifests = manifests_output(env, built, identity_managed=self.platform is not None)
        return WorkloadDeployment(f"{env.name}-workload", manifests, provider, opts=child(self, depends_on=after))
