"""Azure components: resource group and VNet, AKS with Entra ID, GPU pools with InfiniBand, blob storage,
ACR and workload identity."""

from aiinfra.components._sdk import lazy_exports

# The classes load on first use (and then need the SDK, naming the extra if it is missing), so that
# aiinfra.clouds can read components/azure/profile.py without importing the Pulumi SDK.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Cluster": "cluster", "ClusterArgs": "cluster",
        "NodePool": "gpu_pool", "NodePoolArgs": "gpu_pool",
        "WorkloadIdentity": "identity", "WorkloadIdentityArgs": "identity",
        "Network": "network", "NetworkArgs": "network",
        "ContainerRegistry": "registry", "RegistryArgs": "registry",
        "ObjectStorage": "storage", "StorageArgs": "storage",
    },
)

__all__ = [
    "Cluster", "ClusterArgs", "ContainerRegistry", "RegistryArgs", "Network", "NetworkArgs",
    "NodePool", "NodePoolArgs", "ObjectStorage", "StorageArgs", "WorkloadIdentity", "WorkloadIdentityArgs",
]
