"""What a cloud's build() hands back to the cloud-neutral layers (platform, workload)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi


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
