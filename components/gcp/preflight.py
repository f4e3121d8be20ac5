"""The GCP components' checks on the Args environment.build() passes them, built by the same functions
(cluster_args, pool_args) with placeholders for what exists only after deploy (components.base.preflight)."""

from __future__ import annotations

from aiinfra.components.base import identity as base_identity
from aiinfra.components.base import registry as base_registry
from aiinfra.components.base import storage as base_storage
from aiinfra.components.base.environment import default_tags
from aiinfra.components.base.preflight import PLACEHOLDER, Collector
from aiinfra.components.gcp import cluster, environment, gpu_pool, network
from aiinfra.components.gcp.labels import gcp_labels
from aiinfra.problems import Problem
from aiinfra.resolve.result import ResolvedEnvironment


def check(env: ResolvedEnvironment, c: Collector) -> None:
    name = env.name
    project = env.account_id or env.spec.gcp.project
    if not project:
        c.check("aiinfra:gcp:Environment", name, [Problem("gcp.project", "a GCP environment needs gcp.project")])
        return
    c.run(lambda: gcp_labels(default_tags(env)))
    fabric_networks = any(p.fabric_networks is not None and p.fabric is not None for p in env.worker_pools)
    control = environment.cluster_args(env, project, {}, multi_networking=fabric_networks, network=PLACEHOLDER, subnetwork=PLACEHOLDER)
    c.check("aiinfra:gcp:Cluster", name, cluster.check(control))
    if environment.managed_gateway(env):
        c.run(lambda: network.proxy_range(env.cidr))
    for pool in env.worker_pools:
        component = f"{name}-{pool.name}"
        pool_args = environment.pool_args(env, pool, project, {}, cluster=PLACEHOLDER)
        c.check("aiinfra:gcp:NodePool", component, gpu_pool.check(pool_args, component))
    c.check("aiinfra:gcp:Environment", name, dra_installers(env))
    c.check("aiinfra:gcp:ObjectStorage", name, base_storage.buckets(env.buckets))
    c.check("aiinfra:gcp:ContainerRegistry", name, base_registry.images(env.repositories, "images"))
    c.check("aiinfra:gcp:WorkloadIdentity", name, base_identity.binding(env.namespace, env.service_account))


def dra_installers(env: ResolvedEnvironment) -> list[Problem]:
    """Google's driver installers for DRA GPU pools are one DaemonSet name (kube-system/nvidia-driver-installer) per
    host architecture, and the x86 one also matches A4X nodes: `dra: true` pools here are of one architecture, and of
    a machine type their installer selects (gcp facts dra_driver_installer_types), else their nodes get no driver."""
    from aiinfra.components.gcp.facts import GcpFacts

    pools = [p for p in env.worker_pools if p.dra]
    names = [p.name for p in env.spec.node_pools]
    out = [
        Problem(
            f"node_pools[{names.index(p.name)}].dra",
            f"dra: true pools on GKE get the NVIDIA driver from Google's installer DaemonSet, and the {p.architecture} one "
            f"({GcpFacts.dra_driver_installers[p.architecture]}) runs on {', '.join(GcpFacts.dra_driver_installer_types[p.architecture])} "
            f"nodes only: {p.instance_type} nodes would get no driver",
            f"remove dra: true from pool {p.name} (GKE installs the driver and its device plugin serves the GPUs), or use {GcpFacts.dra_driver_installer_types[p.architecture][0]}",
            True,
        )
        for p in pools
        if p.instance_type not in GcpFacts.dra_driver_installer_types.get(p.architecture, (p.instance_type,))
    ]
    if out or len({p.architecture for p in pools}) < 2:
        return out
    last = pools[-1]
    archs = ", ".join(f"{p.name} ({p.architecture})" for p in pools)
    return [
        Problem(
            f"node_pools[{names.index(last.name)}].dra",
            f"dra: true pools on GKE get the NVIDIA driver from Google's installer DaemonSet, one per host architecture under one name ({', '.join(GcpFacts.dra_driver_installers.values())}), so they cannot be mixed: {archs}",
            "keep dra: true on pools of one architecture; the others take GPUs from GKE's device plugin (remove dra)",
            True,
        )
    ]
