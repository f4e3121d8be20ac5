"""GCP components: VPC with GPU NIC networks, GKE, GPU node pools with GPUDirect, GCS, Artifact Registry and Workload Identity."""

from aiinfra.components.base.sdk import STANDARD_EXPORTS, lazy_exports

__getattr__, __dir__ = lazy_exports(__name__)
__all__ = sorted(STANDARD_EXPORTS)
