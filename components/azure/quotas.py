"""Azure per-family vCPU quotas the agent pools count against (Microsoft.Compute usages), read with azure-mgmt-compute.

Family names per VM size are the Azure portal's usage names (not in shared/reference: verified: false); spot
pools count against the regional lowPriorityCores quota. Reserved pools use capacity already granted.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

FAMILIES = (
    (r"^Standard_ND\d+isr_H100_v5$", "standardNDSH100v5Family", "Standard NDSH100v5 Family vCPUs"),
    (r"^Standard_ND\d+isr_H200_v5$", "standardNDSH200v5Family", "Standard NDSH200v5 Family vCPUs"),
    (r"^Standard_ND\d+amsr_A100_v4$", "standardNDAMSv4_A100Family", "Standard NDAMSv4_A100 Family vCPUs"),
    (r"^Standard_ND\d+asr_v4$", "standardNDASv4_A100Family", "Standard NDASv4_A100 Family vCPUs"),
    (r"^Standard_NC\d+adi?s_H100_v5$", "standardNCadsH100v5Family", "Standard NCadsH100v5 Family vCPUs"),
    (r"^Standard_NC\d+ads_A100_v4$", "StandardNCADSA100v4Family", "Standard NCADS_A100_v4 Family vCPUs"),
    (r"^Standard_NC\d+as_T4_v3$", "standardNCASv3_T4Family", "Standard NCASv3_T4 Family vCPUs"),
    (r"^Standard_NV\d+ads_A10_v5$", "StandardNVADSA10v5Family", "Standard NVADSA10v5 Family vCPUs"),
    (r"^Standard_D\d+s_v5$", "standardDSv5Family", "Standard DSv5 Family vCPUs"),
)
SPOT = ("lowPriorityCores", "Total Regional Low-priority vCPUs")
RAISE = "az quota update --resource-name {code} --scope /subscriptions/<subscription>/providers/Microsoft.Compute/locations/{region} --limit-object value={value}"


def needs(pool: Any) -> list[Any]:
    from aiinfra.components.base.quotas import Need

    if pool.capacity == "reserved" or not pool.vcpus:
        return []
    if pool.capacity == "spot":
        code, title = SPOT
    else:
        found = next(((c, t) for pattern, c, t in FAMILIES if re.match(pattern, pool.instance_type)), None)
        if found is None:
            return []
        code, title = found
    return [Need(pool.name, code, title, "vCPUs", float(pool.vcpus * pool.nodes_max), RAISE)]


def lookup(subscription: str | None, region: str, codes: list[str]) -> Mapping[str, Any]:
    from aiinfra.components.base.quotas import Limit, QuotaUnavailable

    if not subscription:
        raise QuotaUnavailable("no Azure subscription")
    try:
        from azure.core.exceptions import AzureError
        from azure.identity import DefaultAzureCredential
        from azure.mgmt.compute import ComputeManagementClient
    except ImportError:
        raise QuotaUnavailable("azure-identity and azure-mgmt-compute are not installed") from None
    try:
        usages = ComputeManagementClient(DefaultAzureCredential(), subscription).usage.list(region)
        return {u.name.value: Limit(float(u.limit), float(u.current_value)) for u in usages if u.name.value in codes}
    except AzureError as err:
        raise QuotaUnavailable(f"usages could not be read ({type(err).__name__}: {err})") from None
