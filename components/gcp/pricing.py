"""GCP prices from the Cloud Billing Catalog API (Compute Engine service 6F81-5844-456A): an API key
(AIINFRA_GCP_API_KEY or GOOGLE_API_KEY) or application default credentials (shared/reference market-2026.md §1.5).

A GPU VM has no single price: it is the series' vCPU SKU × vCPUs + RAM SKU × GiB + the GPU SKU × GPUs, each in the
region. SKUs are matched on their whole description ("<name> running in <geography>", spot ones prefixed
"Spot Preemptible ") plus usageType (OnDemand / Preemptible), never a substring's first hit (SkyPilot's bug that
priced A100-80GB below A100-40GB); a component with no single match leaves the type unpriced. Bundled Local SSD is
not added. The description names below follow gpu-catalog.md §5.3; those of the newest series (A3 Mega / Ultra
hosts, B200) are not verified against a live answer.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping

from aiinfra.components.base.pricing import Fetched, PriceSourceError, Progress, SourceSkipped, Want, get_json, no_progress, session

BASE_URL = "https://cloudbilling.googleapis.com"
SERVICE = "6F81-5844-456A"
SOURCE = "GCP Cloud Billing Catalog API (cloudbilling.googleapis.com, Compute Engine SKUs)"
KEY_VARS = ("AIINFRA_GCP_API_KEY", "GOOGLE_API_KEY")
USAGE = {"on_demand": "OnDemand", "spot": "Preemptible"}
SPOT_PREFIX = "Spot Preemptible "

# Machine series (the type's first word) -> the series name in host SKU descriptions ("A2 Instance Core ...").
HOST_SERIES = {"a2": "A2", "a3": "A3", "a4": "A4", "g2": "G2", "n1": "N1 Predefined", "n2": "N2", "e2": "E2"}
# GKE accelerator name -> the GPU SKU's description before " running in".
GPU_SKUS = {
    "nvidia-tesla-t4": "Nvidia Tesla T4 GPU",
    "nvidia-l4": "Nvidia L4 GPU",
    "nvidia-tesla-a100": "Nvidia Tesla A100 GPU",
    "nvidia-a100-80gb": "Nvidia A100 80GB GPU",
    "nvidia-h100-80gb": "Nvidia H100 80GB GPU",
    "nvidia-h100-mega-80gb": "Nvidia H100 80GB Mega GPU",
    "nvidia-h200-141gb": "Nvidia H200 141GB GPU",
    "nvidia-b200": "Nvidia B200 (1 gpu slice)",
}
_DESCRIPTION = re.compile(r"^(?P<spot>Spot Preemptible )?(?P<name>.+?) running in (?P<geo>[A-Za-z][A-Za-z .,()-]*)$")


def credential(environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(query params, headers) that authenticate a Catalog call, or SourceSkipped saying how to give one."""
    environ = os.environ if environ is None else environ
    for var in KEY_VARS:
        if environ.get(var):
            return {"key": environ[var]}, {}
    try:
        import google.auth
        import google.auth.transport.requests
    except ImportError:
        google = None  # type: ignore[assignment]
    if google is not None:
        try:
            creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-billing.readonly"])
            creds.refresh(google.auth.transport.requests.Request())
            return {}, {"Authorization": f"Bearer {creds.token}"}
        except Exception:  # noqa: BLE001  (no ADC, or ADC that cannot mint a token: both mean "skip GCP")
            pass
    raise SourceSkipped(
        "the GCP Cloud Billing Catalog API needs an API key or application default credentials; "
        "set AIINFRA_GCP_API_KEY (or GOOGLE_API_KEY), or run `gcloud auth application-default login`"
    )


def unit_price(sku: Mapping[str, Any]) -> float | None:
    """The first tier's USD price of the SKU's current pricing (units + nanos / 1e9)."""
    infos = sku.get("pricingInfo") or []
    if not infos:
        return None
    rates = (infos[-1].get("pricingExpression") or {}).get("tieredRates") or []
    if not rates:
        return None
    price = rates[-1].get("unitPrice") or {}
    if price.get("currencyCode", "USD") != "USD":
        raise PriceSourceError(f"GCP SKU {sku.get('skuId')}: priced in {price.get('currencyCode')}, not USD; nothing was changed")
    return int(price.get("units") or 0) + int(price.get("nanos") or 0) / 1e9


def index(skus: list[Mapping[str, Any]]) -> dict[tuple[str, str, str], set[float]]:
    """{(description name, usageType, region): prices} of Compute SKUs, descriptions parsed exactly."""
    out: dict[tuple[str, str, str], set[float]] = {}
    for sku in skus:
        cat = sku.get("category") or {}
        m = _DESCRIPTION.match(str(sku.get("description", "")))
        if not m or cat.get("resourceFamily") != "Compute":
            continue
        usage = cat.get("usageType")
        if not isinstance(usage, str) or usage not in USAGE.values() or (usage == "Preemptible") != bool(m["spot"]):
            continue
        price = unit_price(sku)
        if price is None:
            continue
        for region in sku.get("serviceRegions") or []:
            out.setdefault((m["name"], usage, region), set()).add(price)
    return out


def components(w: Want) -> list[tuple[str, float]] | None:
    """(SKU description name, quantity) pairs whose sum is the machine's hourly price; None for an unknown series."""
    series = HOST_SERIES.get((w.machine_type or w.name).split("-")[0])
    if series is None:
        return None
    parts = [(f"{series} Instance Core", float(w.vcpus)), (f"{series} Instance Ram", float(w.memory_gib))]
    if w.gpu_count:
        gpu = GPU_SKUS.get(w.accelerator_type or "")
        if gpu is None:
            return None
        parts.append((gpu, float(w.gpu_count)))
    return parts


def fetch(wanted: Mapping[str, Want], base_url: str | None = None, progress: Progress = no_progress, http: Any = None, environ: Mapping[str, str] | None = None) -> Fetched:
    """Every Compute SKU page, then each wanted type's sum per region and usage; pages count as progress."""
    params, headers = credential(environ)
    http = http or session()
    url = (base_url or BASE_URL).rstrip("/") + f"/v1/services/{SERVICE}/skus"
    skus: list[Mapping[str, Any]] = []
    token = ""
    while True:
        page = get_json(http, url, "GCP SKUs", {**params, "currencyCode": "USD", "pageSize": "5000", **({"pageToken": token} if token else {})}, headers)
        if not isinstance(page, dict) or not isinstance(page.get("skus", []), list):
            raise PriceSourceError("GCP SKUs: the answer has no skus list (not a Cloud Billing Catalog page)")
        skus += page.get("skus", [])
        progress(1, None)
        token = page.get("nextPageToken") or ""
        if not token:
            break
    out = Fetched(SOURCE, items_read=len(skus))
    prices = index(skus)
    for w in wanted.values():
        parts = components(w)
        if parts is None:
            out.notes.append(f"{w.name}: no SKU names known for its series or GPU")
            continue
        for region in w.regions:
            for kind, usage in USAGE.items():
                found = [prices.get((name, usage, region), set()) for name, _ in parts]
                if all(len(p) == 1 for p in found):
                    out.put(w.name, region, kind, sum(next(iter(p)) * qty for p, (_, qty) in zip(found, parts)))
                elif any(len(p) > 1 for p in found):
                    out.notes.append(f"{w.name} {region} {kind.replace('_', '-')}: more than one SKU price matches; left unpriced")
    out.missing(wanted, tuple(USAGE))
    return out
