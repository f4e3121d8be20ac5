"""The Azure components' checks on the Args environment.build() passes them, built by the same functions
(cluster_args, pool_args, storage_args) with placeholders for what exists only after deploy (components.base.preflight)."""

from __future__ import annotations

from aiinfra.components.azure import cluster, environment, gpu_pool, storage
from aiinfra.components.base import identity as base_identity
from aiinfra.components.base import registry as base_registry
from aiinfra.components.base.preflight import PLACEHOLDER, Collector
from aiinfra.resolve.result import ResolvedEnvironment

# Whoever deploys (az.authorization.get_client_config) is known only at deploy time; any object id stands in.
DEPLOYER = "00000000-0000-0000-0000-000000000000"


def check(env: ResolvedEnvironment, c: Collector) -> None:
    name = env.name
    deployed = {f: PLACEHOLDER for f in ("resource_group_name", "subscription_id", "tenant_id", "vnet_id", "node_subnet_id")}
    c.check("aiinfra:azure:Cluster", name, cluster.check(environment.cluster_args(env, {}, deployer_object_id=DEPLOYER, **deployed)))
    placed = {f: PLACEHOLDER for f in ("resource_group_name", "cluster_name", "node_subnet_id", "cluster_identity_principal_id")}
    for pool in env.worker_pools:
        c.check("aiinfra:azure:NodePool", f"{name}-{pool.name}", gpu_pool.check(environment.pool_args(env, pool, {}, **placed)))
    store = environment.storage_args(env, {}, resource_group_name=PLACEHOLDER, subscription_id=PLACEHOLDER, node_subnet_id=PLACEHOLDER)
    c.check("aiinfra:azure:ObjectStorage", name, storage.check(store))
    c.check("aiinfra:azure:ContainerRegistry", name, base_registry.images(env.repositories, "repositories"))
    c.check("aiinfra:azure:WorkloadIdentity", name, base_identity.binding(env.namespace, env.service_account))
