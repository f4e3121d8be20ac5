"""The existing cluster's component checks, run without Pulumi (components.base.preflight): the placeholder
cluster's Args, built as environment.build() builds them."""

from __future__ import annotations

from aiinfra.components.base import identity as base_identity
from aiinfra.components.base.preflight import Collector
from aiinfra.components.existing import cluster
from aiinfra.components.existing.profile import provider_kubeconfig
from aiinfra.resolve.result import ResolvedEnvironment


def check(env: ResolvedEnvironment, c: Collector) -> None:
    spec = env.spec
    args = cluster.ClusterArgs(context=spec.region, kubeconfig=provider_kubeconfig(spec))
    c.check("aiinfra:existing:Cluster", spec.name, cluster.check(args))
    c.check("aiinfra:existing:Environment", spec.name, base_identity.binding(spec.identity.namespace, spec.identity.service_account))
