"""The AWS components' checks on the Args environment.build() passes them (components._preflight)."""

from __future__ import annotations

from aiinfra.components import _contracts
from aiinfra.components._preflight import PLACEHOLDER, Collector, args
from aiinfra.components.aws import cluster, gpu_pool, network
from aiinfra.resolved import ResolvedEnvironment


def check(env: ResolvedEnvironment, c: Collector) -> None:
    spec = env.spec
    name = spec.name
    net = args(network.NetworkArgs, cluster_name=name, zones=env.zones, cidr=spec.network.cidr, nat_gateways=spec.network.nat_gateways)
    c.check("aiinfra:aws:Network", name, network.check(net))
    subnets = {z: f"subnet-{z}" for z in env.zones}
    system = env.system_pool
    control = args(
        cluster.ClusterArgs,
        private_subnets=subnets,
        kubernetes_version=spec.cluster.kubernetes_version,
        public_endpoint=spec.cluster.public_endpoint,
        public_access_cidrs=spec.cluster.public_access_cidrs,
        admins=spec.cluster.admins,
        deletion_protection=spec.cluster.deletion_protection,
        system_instance_type=system.instance_type,
        system_nodes=system.nodes_max,
        system_disk_gib=system.disk_gib,
    )
    c.check("aiinfra:aws:Cluster", name, cluster.check(control))
    for pool in env.worker_pools:
        pool_args = gpu_pool.NodePoolArgs.from_resolved(
            pool,
            **{f: PLACEHOLDER for f in ("cluster_name", "node_role_arn", "cluster_security_group_id", "vpc_id")},
            subnets=subnets,
            instance_type=pool.instance_type,
            efa_interfaces=pool.fabric.interfaces if pool.fabric_kind == "efa" else 0,
        )
        c.check("aiinfra:aws:NodePool", f"{name}-{pool.name}", gpu_pool.check(pool_args))
    c.check("aiinfra:aws:ObjectStorage", name, _contracts.buckets(list(spec.storage.buckets)))
    c.check("aiinfra:aws:ContainerRegistry", name, _contracts.images(list(spec.registry.repositories) or [name], "repositories"))
    c.check("aiinfra:aws:WorkloadIdentity", name, _contracts.binding(spec.identity.namespace, spec.identity.service_account))
