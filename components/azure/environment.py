"""Assemble one Azure environment from a resolved spec: network, AKS, node pools, storage, registry, identity."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native as az

from aiinfra.components.azure.cluster import Cluster, ClusterArgs
from aiinfra.components.azure.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.azure.identity import WorkloadIdentity, WorkloadIdentityArgs
from aiinfra.components.azure.nap import nap_pools
from aiinfra.components.azure.network import Network, NetworkArgs
from aiinfra.components.azure.registry import ContainerRegistry, RegistryArgs
from aiinfra.components.azure.storage import ObjectStorage, StorageArgs
from aiinfra.components.base.built import BuiltEnvironment, assemble
from aiinfra.components.base.cluster import common_args
from aiinfra.components.base.util import child
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool


class NapPools(pulumi.ComponentResource):
    """The pools node auto-provisioning starts nodes for: one AKSNodeClass and NodePool each (components/azure/nap.py),
    through a provider of their own once the cluster (which installs their CRDs with NAP) exists."""

    names: dict[str, str]
    node_pools: dict[str, pulumi.Resource]

    def __init__(self, name: str, env: ResolvedEnvironment, cluster: Cluster, subnet_id: pulumi.Input[str], tags: dict[str, str], opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:azure:NapPools", name, None, opts)
        import pulumi_kubernetes as k8s

        from aiinfra.components.azure.nap import node_class, node_pool

        provider = k8s.Provider(f"{name}-nap-k8s", kubeconfig=cluster.kubeconfig, delete_unreachable=True, opts=child(self, depends_on=[cluster]))

        def apply(key: str, body: dict[str, Any], after: list[pulumi.Resource]) -> pulumi.Resource:
            return k8s.apiextensions.CustomResource(
                f"{name}-{key}", api_version=body["apiVersion"], kind=body["kind"], metadata=body["metadata"], spec=body["spec"],
                opts=child(self, provider=provider, depends_on=[cluster, *after]),
            )

        self.names, self.node_pools = {}, {}
        for pool in nap_pools(env):
            nc = apply(f"nodeclass-{pool.name}", node_class(pool, env.gpu_driver, subnet_id, tags), [])
            self.node_pools[pool.name] = apply(f"nodepool-{pool.name}", node_pool(env, pool), [nc])
            self.names[pool.name] = pool.name
        self.register_outputs({"names": self.names})


def provider_options(env: ResolvedEnvironment, parent: pulumi.Resource) -> tuple[dict[str, Any], pulumi.InvokeOptions]:
    """A spec that names a subscription gets an explicit provider for it; otherwise the ambient one (`az login`)."""
    subscription = env.account_id or env.spec.azure.subscription_id
    if not subscription:
        return {}, pulumi.InvokeOptions(parent=parent)
    provider = az.Provider(f"{env.name}-azure", subscription_id=subscription, location=env.region, opts=child(parent))
    return {"providers": [provider]}, pulumi.InvokeOptions(parent=parent, provider=provider)


def cluster_args(env: ResolvedEnvironment, tags: dict[str, str], **deployed: Any) -> ClusterArgs:
    """The AKS cluster's Args; `deployed` holds what exists only once resources do or the deployer is known (the
    resource group, VNet, subnet, subscription and client), which the preflight (components/azure/preflight.py)
    fills with placeholders."""
    settings = env.spec.azure
    return ClusterArgs(
        **common_args(env, tags),
        location=env.region,
        vnet_cidr=env.cidr,
        zones=env.zones,
        etcd_kms=settings.etcd_kms,
        container_insights=settings.container_insights,
        node_provisioning=env.autoscaler == "nap",
        **deployed,
    )


def pool_args(env: ResolvedEnvironment, pool: ResolvedPool, tags: dict[str, str], **deployed: Any) -> NodePoolArgs:
    """An AKS agent pool's Args; `deployed` as in cluster_args (resource group, cluster, subnet, cluster identity)."""
    return NodePoolArgs.from_resolved(
        pool,
        vm_size=pool.instance_type,
        capacity_taints=[str(t) for t in pool.taints],
        infiniband=pool.fabric_kind == "infiniband",
        gpu_driver=env.gpu_driver,
        autoscale=env.autoscaler != "none",
        zones=env.zones,
        tags=tags,
        **deployed,
    )


def storage_args(env: ResolvedEnvironment, tags: dict[str, str], **deployed: Any) -> StorageArgs:
    """The storage account's Args; `deployed` as in cluster_args (resource group, subscription, subnets)."""
    return StorageArgs(
        location=env.region,
        env=env.name,
        buckets=env.buckets,
        zone_redundant=bool(env.zones),
        lustre_import=any(fs.import_from for fs in env.filesystems),
        delete_with_environment=env.delete_with_environment,
        tags=tags,
        **deployed,
    )


def network_args(env: ResolvedEnvironment, tags: dict[str, str]) -> NetworkArgs:
    """The resource group and VNet: the group is data kept on `down` unless delete_with_environment."""
    return NetworkArgs(
        resource_group_name=env.spec.azure.resource_group or f"{env.name}-rg",
        location=env.region,
        cidr=env.cidr,
        keep_resource_group=not env.delete_with_environment,
        protect_resource_group=env.cluster.deletion_protection,
        tags=tags,
    )


def build(env: ResolvedEnvironment, tags: dict[str, str], parent: pulumi.Resource) -> BuiltEnvironment:
    name, region = env.name, env.region
    provider_opts, invoke_opts = provider_options(env, parent)
    client = az.authorization.get_client_config(opts=invoke_opts)
    subscription = client.subscription_id

    def opts(**kw: Any) -> pulumi.ResourceOptions:
        return child(parent, **provider_opts, **kw)

    network = Network(name, network_args(env, tags), opts=opts())
    rg = network.resource_group_name
    deployed = {"resource_group_name": rg, "subscription_id": subscription, "tenant_id": client.tenant_id, "vnet_id": network.vnet_id,
                "node_subnet_id": network.node_subnet_id, "deployer_object_id": client.object_id, "deployer_client_id": client.client_id}
    cluster = Cluster(name, cluster_args(env, tags, **deployed), opts=opts())
    provisioned = {p.name for p in nap_pools(env)}
    attach = {"resource_group_name": rg, "cluster_name": cluster.name, "node_subnet_id": network.node_subnet_id, "cluster_identity_principal_id": cluster.identity_principal_id}
    pools = {p.name: NodePool(f"{name}-{p.name}", pool_args(env, p, tags, **attach), opts=opts()) for p in env.worker_pools if p.name not in provisioned}
    nap = NapPools(name, env, cluster, network.node_subnet_id, tags, opts=opts(depends_on=[cluster])) if provisioned else None
    fs_args = subnets = None
    if env.filesystems:
        from aiinfra.components.azure.filesystem import LustreSubnets, lustre_args

        fs_args = lustre_args(env, name, rg, network.vnet_id, network.endpoint_subnet_id, tags, subscription)
        subnets = LustreSubnets(name, fs_args, opts=opts())
    extra_subnets = list(subnets.ids.values()) if subnets else []
    storage = ObjectStorage(
        name, storage_args(env, tags, resource_group_name=rg, subscription_id=subscription, node_subnet_id=network.node_subnet_id, extra_subnet_ids=extra_subnets), opts=opts()
    )
    # Nodes pull images with the kubelet identity AKS created.
    pullers: dict[str, pulumi.Input[str]] = {"kubelet": cluster.kubelet_object_id}
    registry = ContainerRegistry(
        name,
        RegistryArgs(resource_group_name=rg, location=region, env=name, subscription_id=subscription, repositories=env.repositories, pullers=pullers, tags=tags),
        opts=opts(),
    )
    identity = WorkloadIdentity(
        name,
        WorkloadIdentityArgs(
            resource_group_name=rg, location=region, subscription_id=subscription, oidc_issuer_url=cluster.oidc_issuer_url, namespace=env.namespace,
            service_account=env.service_account, container_ids=[storage.container_ids[b] for b in env.buckets], registry_id=registry.registry_id, tags=tags,
        ),
        opts=opts(depends_on=[cluster]),
    )
    own = {"resource_group": rg, "vnet_id": network.vnet_id, "oidc_issuer_url": cluster.oidc_issuer_url, "storage_account": storage.account_name, "workload_client_id": identity.client_id}
    built = assemble(
        env,
        cluster=cluster,
        # The system pool is part of the ManagedCluster resource (AKS needs one at creation).
        system_pool=cluster.managed_cluster,
        pools={**{n: p.agent_pool for n, p in pools.items()}, **(nap.node_pools if nap else {})},
        pool_names={**{n: p.pool_name for n, p in pools.items()}, **(nap.names if nap else {})},
        storage=storage, registry=registry, identity=identity, outputs=own, storage_options={"account_name": storage.account_name},
    )
    if env.filesystems or env.mount_buckets:
        from aiinfra.components.azure.filesystem import add_data_layer

        add_data_layer(env, name, fs_args, subnets, storage, identity, rg, built, opts())
    return built
