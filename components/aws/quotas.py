"""EC2 vCPU quotas the node groups count against (Service Quotas, service code ec2), read with boto3.

The quota codes are the Service Quotas console's (not in shared/reference: verified: false). Reserved pools
use capacity already granted and are not counted; Trainium, Inferentia and DL types have quotas of their own
that aiinfra does not map yet.
"""

from __future__ import annotations

from typing import Any, Mapping

# (family, spot) -> (quota code, title)
EC2_QUOTAS = {
    ("p", False): ("L-417A185B", "Running On-Demand P instances"),
    ("p", True): ("L-7212CCBC", "All P Spot Instance Requests"),
    ("g", False): ("L-DB2E81BA", "Running On-Demand G and VT instances"),
    ("g", True): ("L-3819A6DF", "All G and VT Spot Instance Requests"),
    ("standard", False): ("L-1216C47A", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances"),
    ("standard", True): ("L-34B43A08", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"),
}
RAISE = "aws service-quotas request-service-quota-increase --service-code ec2 --quota-code {code} --desired-value {value} --region {region}"
OWN_QUOTAS = ("trn", "inf", "dl", "f1", "u-", "x")


def family(instance_type: str) -> str | None:
    name = instance_type.lower()
    if name.startswith(OWN_QUOTAS):
        return None
    if name.startswith("p"):
        return "p"
    if name.startswith(("g", "vt")):
        return "g"
    return "standard" if name[:1] in "acdhimrtz" else None


def needs(pool: Any) -> list[Any]:
    from aiinfra.components.base.quotas import Need

    fam = family(pool.instance_type)
    if fam is None or pool.capacity == "reserved" or not pool.vcpus:
        return []
    code, title = EC2_QUOTAS[(fam, pool.capacity == "spot")]
    return [Need(pool.name, code, title, "vCPUs", float(pool.vcpus * pool.nodes_max), RAISE)]


def lookup(region: str, codes: list[str]) -> Mapping[str, Any]:
    from aiinfra.components.base.quotas import Limit, QuotaUnavailable

    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError:
        raise QuotaUnavailable("boto3 is not installed (pip install boto3)") from None
    try:
        # One try with short timeouts: this check must not hold `up` up where the API is unreachable.
        config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10)
        client = boto3.client("service-quotas", region_name=region, config=config)
        return {code: Limit(float(client.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"])) for code in codes}
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as err:
        raise QuotaUnavailable(f"Service Quotas could not be read ({type(err).__name__}: {err})") from None
