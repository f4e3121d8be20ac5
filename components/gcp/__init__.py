"""GCP components: VPC with GPU NIC networks, GKE, GPU node pools with GPUDirect, GCS, Artifact Registry and Workload Identity."""

from aiinfra.components._sdk import require

require("gcp")

# ruff: noqa: E402

from aiinfra.components.gcp.cluster import Cluster, ClusterArgs
from aiinfra.components.gcp.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs
from aiinfra.components.gcp.network import Network, NetworkArgs
from aiinfra.components.gcp.registry import ContainerRegistry, RegistryArgs
from aiinfra.components.gcp.storage import ObjectStorage, StorageArgs

__all__ = [
    "Cluster", "ClusterArgs", "ContainerRegistry", "RegistryArgs", "Network", "NetworkArgs",
    "NodePool", "NodePoolArgs", "ObjectStorage", "StorageArgs", "WorkloadIdentity", "WorkloadIdentityArgs",
]
