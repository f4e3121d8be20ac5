"""The GCP components' checks on the Args environment.build() passes them (components._preflight)."""

from __future__ import annotations

from aiinfra.components import _contracts
from aiinfra.components._preflight import PLACEHOLDER, Collector, args
from aiinfra.components.environment import default_tags
from aiinfra.components.gcp import cluster, gpu_pool
from aiinfra.components.gcp.labels import gcp_labels
from aiinfra.problems import Problem
from aiinfra.resolved import ResolvedEnvironment


def check(env: ResolvedEnvironment, c: Collector) -> None:
    spec = env.spec
    name = spec.name
    project = env.account_id or spec.gcp.project
    if not project:
        c.check("aiinfra:gcp:Environment", name, [Problem("gcp.project", "a GCP environment needs gcp.project")])
        return
    c.run(lambda: gcp_labels(default_tags(env)))
    system = env.system_pool
    control = args(
        cluster.ClusterArgs,
        project=project,
        region=spec.region,
        zones=env.zones,
        kubernetes_version=spec.cluster.kubernetes_version,
        public_endpoint=spec.cluster.public_endpoint,
        public_access_cidrs=spec.cluster.public_access_cidrs,
        admins=spec.cluster.admins,
        deletion_protection=spec.cluster.deletion_protection,
        system_machine_type=system.machine_type,
        system_nodes=system.nodes_max,
        system_disk_gib=system.disk_gib,
    )
    c.check("aiinfra:gcp:Cluster", name, cluster.check(control))
    for pool in env.worker_pools:
        component = f"{name}-{pool.name}"
        pool_args = gpu_pool.NodePoolArgs.from_resolved(
            pool,
            project=project,
            cluster=PLACEHOLDER,
            location=spec.region,
            candidate_zones=list(env.region_zones),
            machine_type=pool.machine_type,
            accelerator_type=pool.accelerator_type,
            fabric_kind=pool.fabric_kind,
            compact_placement=pool.fabric is not None,
            disk_type=pool.boot_disk_type,
            local_ssd_count=pool.local_ssd_count,
        )
        c.check("aiinfra:gcp:NodePool", component, gpu_pool.check(pool_args, component))
    c.check("aiinfra:gcp:ObjectStorage", name, _contracts.buckets(list(spec.storage.buckets)))
    c.check("aiinfra:gcp:ContainerRegistry", name, _contracts.images(list(spec.registry.repositories) or [name], "images"))
    c.check("aiinfra:gcp:WorkloadIdentity", name, _contracts.binding(spec.identity.namespace, spec.identity.service_account))
