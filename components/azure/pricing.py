"""Azure prices from the Retail Prices API (public, no credentials): one filtered query per region, every page
followed through NextPageLink (shared/reference market-2026.md §1.5).

Rules: Linux consumption rates only; Windows products, "Low Priority" meters, DevTest, reservation and savings-plan
rates are dropped; a row whose skuName ends in " Spot" is the spot rate; USD only (a page billed in another
currency fails the source rather than mixing currencies).
"""

from __future__ import annotations

from typing import Any, Mapping

from aiinfra.components.base.pricing import Fetched, PriceSourceError, Progress, Want, get_json, no_progress, session

BASE_URL = "https://prices.azure.com"
PATH = "/api/retail/prices"
API_VERSION = "2023-01-01-preview"
SOURCE = "Azure Retail Prices API (prices.azure.com/api/retail/prices)"
MAX_PAGES = 10_000  # a loop guard: a region's VM rows are a few dozen pages


def region_filter(region: str) -> str:
    return f"serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armRegionName eq '{region}'"


def rate_kind(item: Mapping[str, Any]) -> str | None:
    """"on_demand", "spot", or None for a row that is not a Linux pay-as-you-go VM rate."""
    if item.get("type") != "Consumption" or item.get("unitOfMeasure") != "1 Hour":
        return None
    product, meter, sku = (str(item.get(k) or "") for k in ("productName", "meterName", "skuName"))
    if "Windows" in product or "Low Priority" in meter or "Low Priority" in sku:
        return None
    return "spot" if sku.endswith(" Spot") else "on_demand"


def fetch(wanted: Mapping[str, Want], base_url: str | None = None, progress: Progress = no_progress, http: Any = None) -> Fetched:
    """Prices of the wanted types in their regions; progress counts regions."""
    http = http or session()
    out = Fetched(SOURCE)
    regions = sorted({r for w in wanted.values() for r in w.regions})
    names_in = {r: {w.name for w in wanted.values() if r in w.regions} for r in regions}
    skipped_currency = 0
    for region in regions:
        url: str | None = (base_url or BASE_URL).rstrip("/") + PATH
        params: dict[str, str] | None = {"api-version": API_VERSION, "$filter": region_filter(region)}
        seen: dict[tuple[str, str], str] = {}
        pages = 0
        while url:
            page = get_json(http, url, f"Azure prices for {region}", params)
            pages += 1
            if not isinstance(page, dict) or not isinstance(page.get("Items"), list):
                raise PriceSourceError(f"Azure prices for {region}: the answer has no Items list (not a Retail Prices API page)")
            currency = page.get("BillingCurrency", "USD")
            if currency != "USD":
                raise PriceSourceError(f"Azure prices for {region}: billed in {currency}, not USD; nothing was changed")
            for item in page["Items"]:
                out.items_read += 1
                name = item.get("armSkuName")
                if name not in names_in[region] or item.get("armRegionName") != region:
                    continue
                kind = rate_kind(item)
                if kind is None:
                    continue
                if item.get("currencyCode", "USD") != "USD":
                    skipped_currency += 1
                    continue
                usd = item.get("unitPrice", item.get("retailPrice"))
                if not isinstance(usd, (int, float)) or usd <= 0:
                    continue
                start = str(item.get("effectiveStartDate") or "")
                if seen.get((name, kind), "") > start:
                    continue  # an older rate of the same meter
                seen[(name, kind)] = start
                out.put(name, region, kind, float(usd))
            nxt = page.get("NextPageLink")
            if nxt and pages >= MAX_PAGES:
                raise PriceSourceError(f"Azure prices for {region}: more than {MAX_PAGES} pages; stopped")
            url, params = (nxt or None), None
        progress(1, len(regions))
    if skipped_currency:
        out.notes.append(f"{skipped_currency} Azure rows not in USD were skipped")
    out.missing(wanted, ("on_demand", "spot"))
    return out
