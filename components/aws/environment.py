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
from aiinfra.components.base.built import BuiltEnvironment
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
    spec, system = env.spec, env.system_pool
    return ClusterArgs(
        kubernetes_version=spec.cluster.kubernetes_version,
        extended_support=env.kubernetes_extended,
        public_endpoint=spec.cluster.public_endpoint,
        public_access_cidrs=spec.cluster.public_access_cidrs,
        admins=spec.cluster.admins,
        deletion_protection=spec.cluster.deletion_protection,
        system_instance_type=system.instance_type,
        system_nodes=system.nodes_max,
        system_disk_gib=system.disk_gib,
        tags=tags,
        **deployed,
    )


def pool_args(pool: ResolvedPool, tags: dict[str, str], **deployed: Any) -> NodePoolArgs:
    """A managed node group's Args; `deployed` as in cluster_args (cluster, node role, VPC, subnets)."""
    return NodePoolArgs.from_resolved(
        pool, instance_type=pool.instance_type, efa_interfaces=pool.fabric.interfaces if pool.fabric and pool.fabric_kind == "efa" else 0, tags=tags, **deployed
    )


def build(env: ResolvedEnvironment, tags: dict[str, str], parent: pulumi.Resource) -> BuiltEnvironment:
    spec = env.spec
    name = spec.name
    scaled = {p.name for p in karpenter_pools(env)}
    network = Network(
        name,
        NetworkArgs(cluster_name=name, zones=env.zones, cidr=spec.network.cidr, nat_gateways=spec.network.nat_gateways, tags=tags, karpenter_discovery=bool(scaled)),
        opts=child(parent),
    )
    private_subnets = {z: s.id for z, s in network.private_subnets.items()}
    cluster = Cluster(name, cluster_args(env, tags, vpc_id=network.vpc_id, private_subnets=private_subnets), opts=child(parent))
    pools: dict[str, Any] = {}
    for pool in env.worker_pools:
        if pool.name in scaled:
            continue  # Karpenter's NodePool replaces the managed node group
        deployed = {"cluster_name": cluster.name, "node_role_arn": cluster.node_role_arn, "cluster_security_group_id": cluster.security_group_id}
        pools[pool.name] = NodePool(
            f"{name}-{pool.name}",
            pool_args(pool, tags, vpc_id=network.vpc_id, subnets=private_subnets, node_prerequisites=cluster.node_prerequisites, **deployed),
            opts=child(parent),
        )
    node_pools: dict[str, Any] = {n: p.pool_name for n, p in pools.items()}
    scalers = autoscaling(name, env, cluster, network.vpc_id, tags, parent)
    if isinstance(scalers, Karpenter):
        node_pools.update(scalers.pool_names)
        pools.update({n: scalers for n in scalers.pool_names})
    outputs: dict[str, Any] = {
        "cluster_name": cluster.name,
        "cluster_endpoint": cluster.endpoint,
        "kubeconfig": cluster.kubeconfig,
        "vpc_id": network.vpc_id,
        "node_pools": {n: node_pools[n] for n in sorted(node_pools, key=[p.name for p in env.worker_pools].index)},
    }
    storage = ObjectStorage(name, StorageArgs(buckets=list(spec.storage.buckets), delete_with_environment=spec.storage.delete_with_environment, tags=tags), opts=child(parent))
    outputs["buckets"] = storage.bucket_names
    repositories = list(spec.registry.repositories) or [name]
    registry = ContainerRegistry(name, RegistryArgs(repositories=repositories, tags=tags), opts=child(parent))
    outputs["registry"] = registry.repository_urls
    identity = WorkloadIdentity(
        name,
        WorkloadIdentityArgs(
            cluster_name=cluster.name,
            namespace=spec.identity.namespace,
            service_account=spec.identity.service_account,
            bucket_arns=list(per_key(storage.bucket_arns, spec.storage.buckets).values()),
            kms_key_arn=storage.kms_key_arn,
            repository_arns=list(per_key(registry.repository_arns, repositories).values()),
            tags=tags,
        ),
        opts=child(parent, depends_on=[cluster]),
    )
    outputs["workload_role_arn"] = identity.role_arn
    outputs["workload_service_account"] = f"{spec.identity.namespace}/{spec.identity.service_account}"
    built = BuiltEnvironment(
        outputs=outputs,
        kubeconfig=cluster.kubeconfig,
        cluster=cluster,
        node_pools={"system": cluster.system_pool, **pools},
        workload=identity.binding,
        bucket_urls=per_key(storage.bucket_names, spec.storage.buckets, "s3://{}"),
        registry_urls=per_key(registry.repository_urls, repositories),
    )
    if env.filesystems or spec.storage.mount_buckets:
        from aiinfra.components.aws.filesystem import add_data_layer

        add_data_layer(name, env, tags, cluster, network, storage, built, parent)
    return built
