"""AWS components: VPC, EKS, node pools with EFA, S3, ECR and pod identity."""

from aiinfra.components._sdk import require

require("aws")

# ruff: noqa: E402

from aiinfra.components.aws.cluster import Cluster, ClusterArgs
from aiinfra.components.aws.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.aws.identity import WorkloadIdentity, WorkloadIdentityArgs
from aiinfra.components.aws.network import Network, NetworkArgs
from aiinfra.components.aws.registry import ContainerRegistry, RegistryArgs
from aiinfra.components.aws.storage import ObjectStorage, StorageArgs

__all__ = [
    "Cluster", "ClusterArgs", "ContainerRegistry", "RegistryArgs", "Network", "NetworkArgs",
    "NodePool", "NodePoolArgs", "ObjectStorage", "StorageArgs", "WorkloadIdentity", "WorkloadIdentityArgs",
]
