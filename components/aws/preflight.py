"""The AWS components' checks on the Args environment.build() passes them, built by the same functions
(cluster_args, pool_args) with placeholders for what exists only after deploy (components.base.preflight)."""

from __future__ import annotations

from aiinfra.components.aws import cluster, environment, gpu_pool, network
from aiinfra.components.base import identity as base_identity
from aiinfra.components.base import registry as base_registry
from aiinfra.components.base import storage as base_storage
from aiinfra.components.base.preflight import PLACEHOLDER, Collector, args
from aiinfra.resolve.result import ResolvedEnvironment


def check(env: ResolvedEnvironment, c: Collector) -> None:
    name = env.name
    net = args(network.NetworkArgs, cluster_name=name, zones=env.zones, cidr=env.cidr, nat_gateways=env.nat_gateways)
    c.check("aiinfra:aws:Network", name, network.check(net))
    subnets = {z: f"subnet-{z}" for z in env.zones}
    c.check("aiinfra:aws:Cluster", name, cluster.check(environment.cluster_args(env, {}, vpc_id=PLACEHOLDER, private_subnets=subnets)))
    deployed = {f: PLACEHOLDER for f in ("cluster_name", "node_role_arn", "cluster_security_group_id", "vpc_id")}
    for pool in env.worker_pools:
        c.check("aiinfra:aws:NodePool", f"{name}-{pool.name}", gpu_pool.check(environment.pool_args(pool, {}, subnets=subnets, **deployed)))
    c.check("aiinfra:aws:ObjectStorage", name, base_storage.buckets(env.buckets))
    c.check("aiinfra:aws:ContainerRegistry", name, base_registry.images(env.repositories, "repositories"))
    c.check("aiinfra:aws:WorkloadIdentity", name, base_identity.binding(env.namespace, env.service_account))
