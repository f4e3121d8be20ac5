"""Assemble one AWS environment from a resolved spec: network, EKS, node pools, storage, registry, identity."""

from __future__ import annotations

from typing import Any

import pulumi

from aiinfra.components.aws.cluster import Cluster, ClusterArgs
from aiinfra.components.aws.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.aws.identity import WorkloadIdentity, WorkloadIdentityArgs
from aiinfra.components.aws.karpenter import AutoscalingArgs, ClusterAutoscaler, Karpenter
from aiinfra.components.aws.karpenter_plan import karpenter_pools
from aiinfra.components.aws.network import Network, NetworkArgs
from aiinfra.components.aws.registry import ContainerRegistry, RegistryArgs
from aiinfra.components.aws.storage import ObjectStorage, StorageArgs
from aiinfra.components.base.built import BuiltEnvironment, assemble
from aiinfra.components.base.cluster import common_args
from aiinfra.components.base.util import child, per_key
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool


def autoscaling(name: str, env: ResolvedEnvironment, cluster: Cluster, vpc_id: Any, tags: dict[str, str], parent: pulumi.Resource) -> pulumi.Resource | None:
    """What cluster.autoscaling chose, where a pool autoscales: Karpenter, or the Cluster Autoscaler over the node groups."""
    args = AutoscalingArgs(env=env, cluster=cluster, vpc_id=vpc_id, tags=tags)
    if karpenter_pools(env):
        return Karpenter(f"{name}-karpenter", args, opts=child(parent))
    if env.autoscaler == "cluster-autoscaler" and any(p.nodes_min < p.nodes_max for p in env.worker_pools):
        return ClusterAutoscaler(f"{name}-cluster-autoscaler", args, opts=child(parent))
    return None


def cluster_args(env: ResolvedEnvironment, tags: dict[str, str], **deployed: Any) -> ClusterArgs:
    """The EKS cluster's Args; `deployed` holds what exists only once resources do (the VPC, its subnets), which
    the preflight (components/aws/preflight.py) fills with placeholders."""
    return ClusterArgs(**common_args(env, tags), **deployed)


def pool_args(pool: ResolvedPool, tags: dict[str, str], **deployed: Any) -> NodePoolArgs:
    """A managed node group's Args; `deployed` as in cluster_args (cluster, node role, VPC, subnets)."""
    return NodePoolArgs.from_resolved(
        pool, instance_type=pool.instance_type, efa_interfaces=pool.fabric.interfaces if pool.fabric and pool.fabric_kind == "efa" else 0, tags=tags, **deployed
    )


def build(env: ResolvedEnvironment, tags: dict[str, str], parent: pulumi.Resource) -> BuiltEnvironment:
    name = env.name
    scaled = {p.name for p in karpenter_pools(env)}
    network = Network(
        name,
        NetworkArgs(cluster_name=name, zones=env.zones, cidr=env.cidr, nat_gateways=env.nat_gateways, tags=tags, karpenter_discovery=bool(scaled)),
        opts=child(parent),
    )
    private_subnets = {z: s.id for z, s in network.private_subnets.items()}
    cluster = Cluster(name, cluster_args(env, tags, vpc_id=network.vpc_id, private_subnets=private_subnets), opts=child(parent))
    deployed = {"cluster_name": cluster.name, "node_role_arn": cluster.node_role_arn, "cluster_security_group_id": cluster.security_group_id,
                "vpc_id": network.vpc_id, "subnets": private_subnets, "node_prerequisites": cluster.node_prerequisites}
    # Karpenter's NodePool replaces the managed node group of a pool it scales.
    pools: dict[str, Any] = {p.name: NodePool(f"{name}-{p.name}", pool_args(p, tags, **deployed), opts=child(parent)) for p in env.worker_pools if p.name not in scaled}
    node_pools: dict[str, Any] = {n: p.pool_name for n, p in pools.items()}
    scalers = autoscaling(name, env, cluster, network.vpc_id, tags, parent)
    if isinstance(scalers, Karpenter):
        node_pools.update(scalers.pool_names)
        pools.update({n: scalers for n in scalers.pool_names})
    storage = ObjectStorage(name, StorageArgs(buckets=env.buckets, delete_with_environment=env.delete_with_environment, tags=tags), opts=child(parent))
    registry = ContainerRegistry(name, RegistryArgs(repositories=env.repositories, tags=tags), opts=child(parent))
    identity = WorkloadIdentity(
        name,
        WorkloadIdentityArgs(
            cluster_name=cluster.name,
            namespace=env.namespace,
            service_account=env.service_account,
            bucket_arns=list(per_key(storage.bucket_arns, env.buckets).values()),
            kms_key_arn=storage.kms_key_arn,
            repository_arns=list(per_key(registry.repository_arns, env.repositories).values()),
            tags=tags,
        ),
        opts=child(parent, depends_on=[cluster]),
    )
    order = [p.name for p in env.worker_pools]
    built = assemble(
        env, cluster=cluster, system_pool=cluster.system_pool, pools=pools, pool_names={n: node_pools[n] for n in sorted(node_pools, key=order.index)},
        storage=storage, registry=registry, identity=identity, outputs={"vpc_id": network.vpc_id, "workload_role_arn": identity.role_arn},
    )
    if env.filesystems or env.mount_buckets:
        from aiinfra.components.aws.filesystem import add_data_layer

        add_data_layer(name, env, tags, cluster, network, storage, built, parent)
    return built
