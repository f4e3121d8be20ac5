"""The Azure components' checks on the Args environment.build() passes them (components._preflight)."""

from __future__ import annotations

from aiinfra.components import _contracts
from aiinfra.components._preflight import PLACEHOLDER, Collector, args
from aiinfra.components.azure import cluster, gpu_pool, storage
from aiinfra.resolved import ResolvedEnvironment

# Whoever deploys (az.authorization.get_client_config) is known only at deploy time; any object id stands in.
DEPLOYER = "00000000-0000-0000-0000-000000000000"


def check(env: ResolvedEnvironment, c: Collector) -> None:
    spec = env.spec
    name = spec.name
    system = env.system_pool
    control = args(
        cluster.ClusterArgs,
        location=spec.region,
        vnet_cidr=spec.network.cidr,
        zones=env.zones,
        kubernetes_version=spec.cluster.kubernetes_version,
        public_endpoint=spec.cluster.public_endpoint,
        public_access_cidrs=spec.cluster.public_access_cidrs,
        admins=spec.cluster.admins,
        deployer_object_id=DEPLOYER,
        etcd_kms=spec.azure.etcd_kms,
        deletion_protection=spec.cluster.deletion_protection,
        system_vm_size=system.instance_type,
        system_nodes=system.nodes_max,
        system_disk_gib=system.disk_gib,
    )
    c.check("aiinfra:azure:Cluster", name, cluster.check(control))
    for pool in env.worker_pools:
        pool_args = gpu_pool.NodePoolArgs.from_resolved(
            pool,
            resource_group_name=PLACEHOLDER,
            cluster_name=PLACEHOLDER,
            node_subnet_id=PLACEHOLDER,
            vm_size=pool.instance_type,
            capacity_taints=[str(t) for t in pool.taints],
            cluster_identity_principal_id=PLACEHOLDER,
            infiniband=pool.fabric_kind == "infiniband",
            gpu_driver=env.gpu_driver,  # type: ignore[arg-type]
            zones=env.zones,
        )
        c.check("aiinfra:azure:NodePool", f"{name}-{pool.name}", gpu_pool.check(pool_args))
    store = args(storage.StorageArgs, location=spec.region, env=name, buckets=list(spec.storage.buckets), zone_redundant=bool(env.zones), delete_with_environment=spec.storage.delete_with_environment)
    c.check("aiinfra:azure:ObjectStorage", name, storage.check(store))
    c.check("aiinfra:azure:ContainerRegistry", name, _contracts.images(list(spec.registry.repositories) or [name], "repositories"))
    c.check("aiinfra:azure:WorkloadIdentity", name, _contracts.binding(spec.identity.namespace, spec.identity.service_account))
