"""Compute Engine regional GPU quotas the node pools count against, read with google-cloud-compute.

Metric names per GKE accelerator type are the Compute Engine quota page's (not in shared/reference: verified:
false); spot and flex-start GPUs count against the PREEMPTIBLE_ metric (flex-start: unverified). Reserved pools
use capacity already granted and are not counted.
"""

from __future__ import annotations

from typing import Any, Mapping

GPU_METRICS = {
    "nvidia-tesla-t4": "NVIDIA_T4_GPUS",
    "nvidia-l4": "NVIDIA_L4_GPUS",
    "nvidia-tesla-a100": "NVIDIA_A100_GPUS",
    "nvidia-a100-80gb": "NVIDIA_A100_80GB_GPUS",
    "nvidia-h100-80gb": "NVIDIA_H100_GPUS",
    "nvidia-h100-mega-80gb": "NVIDIA_H100_MEGA_GPUS",
    "nvidia-h200-141gb": "NVIDIA_H200_GPUS",
    "nvidia-b200": "NVIDIA_B200_GPUS",
}
RAISE = "gcloud beta quotas preferences create --service=compute.googleapis.com --quota-id={code}-per-project-region --preferred-value={value} --dimensions=region={region}"


def needs(pool: Any) -> list[Any]:
    from aiinfra.components.base.quotas import Need

    metric = GPU_METRICS.get(pool.accelerator_type or "")
    if metric is None or pool.capacity == "reserved":
        return []
    if pool.capacity in ("spot", "flex-start"):
        metric = "PREEMPTIBLE_" + metric
    return [Need(pool.name, metric, metric, "GPUs", float(pool.gpus_per_node * pool.nodes_max), RAISE)]


def lookup(project: str | None, region: str, codes: list[str]) -> Mapping[str, Any]:
    from aiinfra.components.base.quotas import Limit, QuotaUnavailable

    if not project:
        raise QuotaUnavailable("no GCP project")
    try:
        from google.api_core import exceptions
        from google.auth.exceptions import DefaultCredentialsError
        from google.cloud import compute_v1
    except ImportError:
        raise QuotaUnavailable("google-cloud-compute is not installed (pip install google-cloud-compute)") from None
    try:
        quotas = compute_v1.RegionsClient().get(project=project, region=region).quotas
    except (DefaultCredentialsError, exceptions.GoogleAPIError) as err:
        raise QuotaUnavailable(f"regional quotas could not be read ({type(err).__name__}: {err})") from None
    return {q.metric: Limit(float(q.limit), float(q.usage)) for q in quotas if q.metric in codes}
