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
from aiinfra.components.base.built import BuiltEnvironment
from aiinfra.components.base.util import child, per_key
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
    provider = az.Provider(f"{env.spec.name}-azure", subscription_id=subscription, location=env.spec.region, opts=child(parent))
    return {"providers": [provider]}, pulumi.InvokeOptions(parent=parent, provider=provider)


def cluster_args(env: ResolvedEnvironment, tags: dict[str, str], **deployed: Any) -> ClusterArgs:
    """The AKS cluster's Args; `deployed` holds what exists only once resources do or the deployer is known (the
    resource group, VNet, subnet, subscription and client), which the preflight (components/azure/preflight.py)
    fills with placeholders."""
    spec, system = env.spec, env.system_pool
    return ClusterArgs(
        location=spec.region,
        vnet_cidr=spec.network.cidr,
        zones=env.zones,
        kubernetes_version=spec.cluster.kubernetes_version,
        extended_support=env.kubernetes_extended,
        public_endpoint=spec.cluster.public_endpoint,
        public_access_cidrs=spec.cluster.public_access_cidrs,
        admins=spec.cluster.admins,
        etcd_kms=spec.azure.etcd_kms,
        container_insights=spec.azure.container_insights,
        deletion_protection=spec.cluster.deletion_protection,
        system_vm_size=system.instance_type,
        system_nodes=system.nodes_max,
        system_disk_gib=system.disk_gib,
        tags=tags,
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
    spec = env.spec
    return StorageArgs(
        location=spec.region,
        env=spec.name,
        buckets=list(spec.storage.buckets),
        zone_redundant=bool(env.zones),
        lustre_import=any(fs.import_from for fs in env.filesystems),
        delete_with_environment=spec.storage.delete_with_environment,
        tags=tags,
        **deployed,
    )


def build(env: ResolvedEnvironment, tags: dict[str, str], parent: pulumi.Resource) -> BuiltEnvironment:
    spec = env.spec
    name = spec.name
    region = spec.region
    provider_opts, invoke_opts = provider_options(env, parent)
    client = az.authorization.get_client_config(opts=invoke_opts)
    subscription = client.subscription_id
    keep_data = not spec.storage.delete_with_environment

    def opts(**kw: Any) -> pulumi.ResourceOptions:
        return child(parent, **provider_opts, **kw)

    network = Network(
        name,
        NetworkArgs(
            resource_group_name=spec.azure.resource_group or f"{name}-rg",
            location=region,
            cidr=spec.network.cidr,
            keep_resource_group=keep_data,
            protect_resource_group=spec.cluster.deletion_protection,
            tags=tags,
        ),
        opts=opts(),
    )
    rg = network.resource_group_name
    deployed = {"resource_group_name": rg, "subscription_id": subscription, "tenant_id": client.tenant_id, "vnet_id": network.vnet_id,
                "node_subnet_id": network.node_subnet_id, "deployer_object_id": client.object_id, "deployer_client_id": client.client_id}
    cluster = Cluster(name, cluster_args(env, tags, **deployed), opts=opts())
    provisioned = {p.name for p in nap_pools(env)}
    pools = {}
    for pool in env.worker_pools:
        if pool.name in provisioned:
            continue
        pools[pool.name] = NodePool(
            f"{name}-{pool.name}",
            pool_args(
                env,
                pool,
                tags,
                resource_group_name=rg,
                cluster_name=cluster.name,
                node_subnet_id=network.node_subnet_id,
                cluster_identity_principal_id=cluster.identity_principal_id,
            ),
            opts=opts(),
        )
    nap = NapPools(name, env, cluster, network.node_subnet_id, tags, opts=opts(depends_on=[cluster])) if provisioned else None
    outputs: dict[str, Any] = {
        "cluster_name": cluster.name,
        "cluster_endpoint": cluster.endpoint,
        "kubeconfig": cluster.kubeconfig,
        "resource_group": rg,
        "vnet_id": network.vnet_id,
        "oidc_issuer_url": cluster.oidc_issuer_url,
        "node_pools": {**{n: p.pool_name for n, p in pools.items()}, **(nap.names if nap else {})},
    }
    fs_args = subnets = None
    if env.filesystems:
        from aiinfra.components.azure.filesystem import LustreSubnets, lustre_args

        fs_args = lustre_args(env, name, rg, network.vnet_id, network.endpoint_subnet_id, tags, subscription)
        subnets = LustreSubnets(name, fs_args, opts=opts())
    storage = ObjectStorage(
        name,
        storage_args(
            env,
            tags,
            resource_group_name=rg,
            subscription_id=subscription,
            node_subnet_id=network.node_subnet_id,
            extra_subnet_ids=list(subnets.ids.values()) if subnets else [],
        ),
        opts=opts(),
    )
    outputs["storage_account"] = storage.account_name
    outputs["buckets"] = storage.container_names
    repositories = list(spec.registry.repositories) or [name]
    registry = ContainerRegistry(
        name,
        RegistryArgs(
            resource_group_name=rg,
            location=region,
            env=name,
            subscription_id=subscription,
            repositories=repositories,
            # Nodes pull images with the kubelet identity AKS created.
            pullers={"kubelet": cluster.kubelet_object_id},
            tags=tags,
        ),
        opts=opts(),
    )
    outputs["registry"] = registry.repository_urls
    identity = WorkloadIdentity(
        name,
        WorkloadIdentityArgs(
            resource_group_name=rg,
            location=region,
            subscription_id=subscription,
            oidc_issuer_url=cluster.oidc_issuer_url,
            namespace=spec.identity.namespace,
            service_account=spec.identity.service_account,
            container_ids=[storage.container_ids[b] for b in spec.storage.buckets],
            registry_id=registry.registry_id,
            tags=tags,
        ),
        opts=opts(depends_on=[cluster]),
    )
    outputs["workload_client_id"] = identity.client_id
    outputs["workload_service_account"] = f"{spec.identity.namespace}/{spec.identity.service_account}"
    built = BuiltEnvironment(
        outputs=outputs,
        kubeconfig=cluster.kubeconfig,
        cluster=cluster,
        # The system pool is part of the ManagedCluster resource (AKS needs one at creation).
        node_pools={"system": cluster.managed_cluster, **{n: p.agent_pool for n, p in pools.items()}, **(nap.node_pools if nap else {})},
        workload=identity.binding,
        bucket_urls=per_key(storage.container_names, spec.storage.buckets, "az://{}"),
        storage_options={"account_name": storage.account_name},
        registry_urls=per_key(registry.repository_urls, repositories),
    )
    if env.filesystems or spec.storage.mount_buckets:
        from aiinfra.components.azure.filesystem import add_data_layer

        add_data_layer(env, name, fs_args, subnets, storage, identity, rg, built, opts())
    return built
