"""Moved: the reference workload's deployment is aiinfra.components.workload_deployment (one meaning of "workload"
per module). Kept so that `from aiinfra.components.workload import WorkloadDeployment` still works."""

from aiinfra.components.workload_deployment import WorkloadDeployment, manifests_output

__all__ = ["WorkloadDeployment", "manifests_output"]
