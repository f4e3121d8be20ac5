"""What a cloud's build() hands back to the cloud-neutral layers (platform, workload)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import pulumi

from aiinfra.components.base.util import per_key

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment


@dataclass
class WorkloadBinding:
    """How a pod gets the environment's cloud identity: the Kubernetes service account to use and
    the annotations/labels each cloud's workload identity needs on it (none on EKS pod identity)."""

    namespace: str
    service_account: str
    annotations: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    pod_labels: dict[str, str] = field(default_factory=dict)


@dataclass
class BuiltEnvironment:
    """What a cloud's build() hands back: stack outputs, plus what the cloud-neutral layers on the
    cluster (platform add-ons, workloads) need to connect, order themselves and find the data."""

    outputs: dict[str, Any]
    kubeconfig: pulumi.Output[str]
    cluster: pulumi.Resource
    node_pools: dict[str, pulumi.Resource]
    workload: WorkloadBinding
    bucket_urls: dict[str, pulumi.Output[str]]
    storage_options: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    registry_urls: dict[str, pulumi.Output[str]] = field(default_factory=dict)
    gpu_networks: list[Any] = field(default_factory=list, metadata={"doc": "GKE: extra GPU NIC networks (kubernetes.addons.GpuNetwork)"})
    volumes: dict[str, dict[str, Any]] = field(default_factory=dict, metadata={"doc": "claim name -> CSI volume (file systems, mounted buckets)"})
    storage_objects: list[dict[str, Any]] = field(default_factory=list, metadata={"doc": "Kubernetes objects the data layer runs (GKE: Lustre import Jobs)"})
    storage_addons: list[str] = field(default_factory=list, metadata={"doc": "charts.yaml keys (charts or manifests) the volumes' drivers need"})
    storage_grants: list[pulumi.Resource] = field(default_factory=list, metadata={"doc": "identities the data layer's drivers and Jobs need before they start"})
    kube_context: str | None = field(default=None, metadata={"doc": "the kubeconfig context the providers use, where kubeconfig is a file with several (cloud: existing)"})


def assemble(
    env: ResolvedEnvironment,
    *,
    cluster: Any,
    system_pool: pulumi.Resource,
    pools: Mapping[str, pulumi.Resource],
    pool_names: Mapping[str, Any],
    storage: Any,
    registry: Any,
    identity: Any,
    outputs: Mapping[str, Any] | None = None,
    **parts: Any,
) -> BuiltEnvironment:
    """The BuiltEnvironment from the parts every cloud has, through their contracts: the cluster (name, endpoint,
    kubeconfig), the pools, storage (bucket_names, bucket_urls), registry (repository_urls) and identity (binding).
    `outputs` adds the cloud's own stack outputs (network ids, identity ids), `parts` the other fields."""
    return BuiltEnvironment(
        outputs={
            "cluster_name": cluster.name,
            "cluster_endpoint": cluster.endpoint,
            "kubeconfig": cluster.kubeconfig,
            "node_pools": dict(pool_names),
            "buckets": storage.bucket_names,
            "registry": registry.repository_urls,
            "workload_service_account": env.workload_service_account,
            **(outputs or {}),
        },
        kubeconfig=cluster.kubeconfig,
        cluster=cluster,
        node_pools={"system": system_pool, **pools},
        workload=identity.binding,
        bucket_urls=per_key(storage.bucket_urls, env.buckets),
        registry_urls=per_key(registry.repository_urls, env.repositories),
        **parts,
    )
