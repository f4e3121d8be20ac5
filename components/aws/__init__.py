"""AWS components: VPC, EKS, node pools with EFA, S3, ECR and pod identity."""

from aiinfra.components.base.sdk import STANDARD_EXPORTS, lazy_exports

__getattr__, __dir__ = lazy_exports(__name__)
__all__ = sorted(STANDARD_EXPORTS)
