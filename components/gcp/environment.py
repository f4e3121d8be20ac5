"""Assemble one GCP environment from a resolved spec: network with GPU NIC networks, GKE, node pools,
GCS, Artifact Registry and Workload Identity."""

from __future__ import annotations

from typing import Any

import pulumi

from aiinfra.components.base.built import BuiltEnvironment, assemble
from aiinfra.components.base.cluster import common_args
from aiinfra.components.base.errors import ComponentInputError
from aiinfra.components.base.util import child, per_key
from aiinfra.components.gcp.cluster import Cluster, ClusterArgs
from aiinfra.components.gcp.compute_class import resource_limits
from aiinfra.components.gcp.gpu_pool import NodePool, NodePoolArgs, pick_zones
from aiinfra.components.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs
from aiinfra.components.gcp.network import POD_RANGE, SERVICE_RANGE, FabricSite, GpuNic, Network, NetworkArgs
from aiinfra.components.gcp.registry import ContainerRegistry, RegistryArgs
from aiinfra.components.gcp.storage import ObjectStorage, StorageArgs
from aiinfra.components.kubernetes.addons.model import GpuNetwork
from aiinfra.problems import Problem
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool


def _pool_zones(project: str, pool: ResolvedPool, region_zones: list[str], needs_nics: bool, component: str = "") -> list[str]:
    """Chosen before the network, because RoCE networks are zonal (their network profile names the zone)."""
    return pick_zones(project, pool.machine_type, region_zones, pool.zone, needs_nics or pool.fabric is not None, component)


def gpu_networks(nics_by_site: dict[str, list[GpuNic]]) -> list[GpuNetwork]:
    """A GKE Network per GPU NIC network, named as the pods' networking.gke.io/interfaces annotations name it.
    Those names are per fabric kind (vpc1.., rdma-0..), so two sites needing one name on different VPCs cannot
    share a cluster."""
    owner: dict[str, str] = {}
    out = []
    for site, nics in nics_by_site.items():
        for nic in nics:
            if nic.k8s_name in owner:
                message = f"fabric sites {owner[nic.k8s_name]} and {site} both need a GPU NIC network named {nic.k8s_name}"
                hint = "one GKE cluster holds one network of each name: put such pools in separate environments"
                raise ComponentInputError("aiinfra:gcp:Environment", "", [Problem("node_pools", message, hint)])
            owner[nic.k8s_name] = site
            out.append(GpuNetwork(nic.k8s_name, nic.network, nic.subnetwork, nic.device_mode))
    return out


class ComputeClasses(pulumi.ComponentResource):
    """The environment's ComputeClasses, applied through a provider of their own once the cluster and its node pools exist."""

    names: dict[str, str]

    def __init__(self, name: str, env: ResolvedEnvironment, cluster: Cluster, pools: dict[str, NodePool], opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:gcp:ComputeClasses", name, None, opts)
        import pulumi_kubernetes as k8s

        from aiinfra.components.gcp.compute_class import compute_class

        after = [cluster, *pools.values()]
        provider = k8s.Provider(f"{name}-classes-k8s", kubeconfig=cluster.kubeconfig, delete_unreachable=True, opts=child(self, depends_on=after))
        self.names = {}
        for pool in env.worker_pools:
            if not pool.compute_class:
                continue
            body = compute_class(pool, pool.name, cluster.node_service_account)
            k8s.apiextensions.CustomResource(
                f"{name}-class-{pool.name}", api_version=body["apiVersion"], kind=body["kind"], metadata=body["metadata"], spec=body["spec"],
                opts=child(self, provider=provider, depends_on=after),
            )
            self.names[pool.name] = pool.compute_class
        self.register_outputs({"names": self.names})


def managed_gateway(env: ResolvedEnvironment) -> bool:
    """Cache-aware routing on GKE's own Gateway: the cluster's Gateway API and the network's proxy-only subnet."""
    routing = env.workload.routing if env.workload and env.mlops.serving != "none" else None
    return bool(routing and routing["provider"] == "gke")


def cluster_args(env: ResolvedEnvironment, project: str, tags: dict[str, str], multi_networking: bool, **deployed: Any) -> ClusterArgs:
    """The GKE cluster's Args; `deployed` holds what exists only once resources do (the VPC and its subnetwork),
    which the preflight (components/gcp/preflight.py) fills with placeholders."""
    return ClusterArgs(
        **common_args(env, tags),
        project=project,
        region=env.region,
        zones=env.zones,
        pods_range=POD_RANGE,
        services_range=SERVICE_RANGE,
        multi_networking=multi_networking,
        lustre_csi=bool(env.filesystems),
        gpu_monitoring=bool(env.gpu_pools),
        auto_provisioning_limits=resource_limits(env.pools) if any(p.compute_class for p in env.worker_pools) else [],
        gateway_api=managed_gateway(env),
        **deployed,
    )


def pool_args(env: ResolvedEnvironment, pool: ResolvedPool, project: str, tags: dict[str, str], **deployed: Any) -> NodePoolArgs:
    """A GKE node pool's Args; `deployed` as in cluster_args (the cluster, its node service account, the fabric's
    GPU NICs and the zone chosen from the zones offering the type)."""
    return NodePoolArgs.from_resolved(
        pool,
        project=project,
        location=env.region,
        candidate_zones=list(env.region_zones),
        machine_type=pool.machine_type,
        accelerator_type=pool.accelerator_type,
        fabric_kind=pool.fabric_kind,
        compact_placement=pool.fabric is not None,
        disk_type=pool.boot_disk_type,
        local_ssd_count=pool.local_ssd_count,
        tags=tags,
        compute_class=pool.compute_class,
        autoscale=env.autoscaler != "none",
        **deployed,
    )


def fabric_sites(env: ResolvedEnvironment, project: str) -> tuple[dict[str, list[str]], dict[str, FabricSite], dict[str, str]]:
    """Each worker pool's zones, the fabric sites (GPU NIC network sets) they need, and which site each pool uses."""
    zones = {p.name: _pool_zones(project, p, list(env.region_zones), p.fabric_networks is not None, f"{env.name}-{p.name}") for p in env.worker_pools}
    sites: dict[str, FabricSite] = {}
    pool_site: dict[str, str] = {}
    for p in env.worker_pools:
        layout = p.fabric_networks
        if layout is None or p.fabric is None:
            continue
        site = FabricSite(p.fabric.kind, layout, p.fabric.interfaces, zones[p.name][0] if layout.network_profile else None)
        sites.setdefault(site.key, site)
        pool_site[p.name] = site.key
    return zones, sites, pool_site


def nic_outputs(pools: dict[str, NodePool]) -> dict[str, list[dict[str, Any]]]:
    return {
        n: [{"name": nic.k8s_name, "network": nic.network, "subnetwork": nic.subnetwork, "device_mode": nic.device_mode} for nic in p.gpu_nics]
        for n, p in pools.items()
        if p.gpu_nics
    }


def build(env: ResolvedEnvironment, tags: dict[str, str], parent: pulumi.Resource) -> BuiltEnvironment:
    name, region = env.name, env.region
    project = env.account_id or env.spec.gcp.project  # a hand-built ResolvedEnvironment may carry only the spec
    if not project:
        raise ComponentInputError("aiinfra:gcp:Environment", name, [Problem("gcp.project", "a GCP environment needs gcp.project")])
    zones, sites, pool_site = fabric_sites(env, project)
    network = Network(name, NetworkArgs(project=project, region=region, cidr=env.cidr, fabrics=list(sites.values()), proxy_only_subnet=managed_gateway(env)), opts=child(parent))
    deployed = {"network": network.network_id, "subnetwork": network.subnetwork_id}
    cluster = Cluster(name, cluster_args(env, project, tags, multi_networking=bool(sites), **deployed), opts=child(parent))
    pools = {
        p.name: NodePool(
            f"{name}-{p.name}",
            pool_args(
                env, p, project, tags, cluster=cluster.id, gpu_nics=network.gpu_nics.get(pool_site.get(p.name, ""), []),
                zone=zones[p.name][0] if len(zones[p.name]) == 1 else p.zone, service_account=cluster.node_service_account,
                node_prerequisites=cluster.node_prerequisites,
            ),
            opts=child(parent),
        )
        for p in env.worker_pools
    }
    classes = ComputeClasses(name, env, cluster, pools, opts=child(parent)) if any(p.compute_class for p in env.worker_pools) else None
    storage = ObjectStorage(
        name, StorageArgs(project=project, region=region, buckets=env.buckets, delete_with_environment=env.delete_with_environment, tags=tags), opts=child(parent)
    )
    readers: list[pulumi.Input[str]] = [cluster.node_service_account_member]
    registry = ContainerRegistry(name, RegistryArgs(project=project, region=region, images=env.repositories, readers=readers, tags=tags), opts=child(parent))
    identity = WorkloadIdentity(
        name,
        WorkloadIdentityArgs(
            project=project, region=region, namespace=env.namespace, service_account=env.service_account,
            bucket_names=list(per_key(storage.bucket_names, env.buckets).values()), repository=registry.repository_name, tags=tags,
        ),
        opts=child(parent, depends_on=[cluster]),
    )
    own = {"project": project, "network_id": network.network_id, **({"compute_classes": classes.names} if classes else {}), "gpu_networks": nic_outputs(pools)}
    built = assemble(
        env, cluster=cluster, system_pool=cluster.system_pool, pools=pools, pool_names={n: p.pool_name for n, p in pools.items()},
        storage=storage, registry=registry, identity=identity, outputs={**own, "workload_gsa_email": identity.email}, gpu_networks=gpu_networks(network.gpu_nics),
    )
    if env.filesystems or env.mount_buckets:
        from aiinfra.components.gcp.filesystem import add_data_layer

        add_data_layer(name, env, tags, project, network, storage, built, parent, importer=identity.member)
    return built
