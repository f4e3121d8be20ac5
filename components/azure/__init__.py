"""Azure components: resource group and VNet, AKS with Entra ID, GPU pools with InfiniBand, blob storage,
ACR and workload identity."""

from aiinfra.components.base.sdk import STANDARD_EXPORTS, lazy_exports

__getattr__, __dir__ = lazy_exports(__name__)
__all__ = sorted(STANDARD_EXPORTS)
