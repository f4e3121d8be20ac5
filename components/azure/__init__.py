"""Azure components: resource group and VNet, AKS with Entra ID, GPU pools with InfiniBand, blob storage,
ACR and workload identity."""

from aiinfra.components._sdk import require

require("azure")

# ruff: noqa: E402

from aiinfra.components.azure.cluster import Cluster, ClusterArgs
from aiinfra.components.azure.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.azure.identity import WorkloadIdentity, WorkloadIdentityArgs
from aiinfra.components.azure.network import Network, NetworkArgs
from aiinfra.components.azure.registry import ContainerRegistry, RegistryArgs
from aiinfra.components.azure.storage import ObjectStorage, StorageArgs

__all__ = [
    "Cluster", "ClusterArgs", "ContainerRegistry", "RegistryArgs", "Network", "NetworkArgs",
    "NodePool", "NodePoolArgs", "ObjectStorage", "StorageArgs", "WorkloadIdentity", "WorkloadIdentityArgs",
]
