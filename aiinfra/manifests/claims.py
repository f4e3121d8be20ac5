"""DRA claims and Kueue TAS annotations of a training or fabric-test job (issue 25).

A job on a GB200/GB300 NVLink pool gets its own ComputeDomain ("a ComputeDomain per workload job", EKS user guide
ml-eks-nvidia-ultraserver): the NVIDIA DRA driver creates the ResourceClaimTemplate the domain names, and every pod
claims its IMEX channel from it. A job on a `dra: true` pool claims its GPUs through a ResourceClaimTemplate of
resource.k8s.io/v1 (deviceClassName gpu.nvidia.com). A pool under Kueue TAS asks for its level per pod template.
Facts: k8s-ai-2026.md §4.2, §5.1-5.3."""

from __future__ import annotations

from typing import Any

from aiinfra.resolve.result import ResolvedPool

RESOURCE_API = "resource.k8s.io/v1"
CHANNEL_CLAIM = "compute-domain-channel"
GPU_CLAIM = "gpus"
GPU_CLASS = "gpu.nvidia.com"
TAS_ANNOTATION = "kueue.x-k8s.io/podset-{kind}-topology"


def job_claims(name: str, pool: ResolvedPool) -> dict[str, Any]:
    """The job's ComputeDomain and ResourceClaimTemplate (None where it has none) and its pods' resourceClaims."""
    claims: list[dict[str, str]] = []
    domain: dict[str, Any] | None = None
    template: dict[str, Any] | None = None
    if pool.nvlink_domain is not None:
        channel = f"{name}-channel"
        # numNodes 0: the domain follows the pods (elastic since driver 25.8.0; its CRD default, recommended with
        # IMEXDaemonsWithDNSNames). allocationMode Single: one IMEX channel per pod.
        domain = {"name": f"{name}-domain", "numNodes": 0, "channel": {"resourceClaimTemplate": {"name": channel}, "allocationMode": "Single"}}
        claims.append({"name": CHANNEL_CLAIM, "resourceClaimTemplateName": channel})
    if pool.dra:
        template = {
            "name": f"{name}-gpus",
            "spec": {"spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": GPU_CLASS, "allocationMode": "ExactCount", "count": pool.gpus_per_node}}]}}},
        }
        claims.append({"name": GPU_CLAIM, "resourceClaimTemplateName": template["name"]})
    return {"compute_domain": domain, "claim_template": template, "resource_claims": claims, "container_claims": [{"name": c["name"]} for c in claims]}


def tas_annotations(pool: ResolvedPool) -> dict[str, str]:
    if pool.topology_request is None:
        return {}
    kind, level = pool.topology_request
    return {TAS_ANNOTATION.format(kind=kind): level}
