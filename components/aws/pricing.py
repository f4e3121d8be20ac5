"""AWS on-demand prices from the public Price List bulk offer files (no credentials): the EC2 region index, then
each catalog region's offer file, streamed (shared/reference market-2026.md §1.5).

The offer is read as CSV, the bulk API's other format of the same file: the JSON of a large region runs to gigabytes
and cannot be parsed a row at a time with the standard library, while CSV rows stream.
Rules (Karpenter's query filters): OnDemand terms, Linux, Shared tenancy, no pre-installed software, capacity
status Used, hourly USD rates. Spot is not in the Price List (it needs ec2:DescribeSpotPriceHistory, with
credentials), so spot stays the catalog snapshot's; the refresh says so.
"""

from __future__ import annotations

import csv
from typing import Any, Iterator, Mapping

from aiinfra.components.base.pricing import Fetched, PriceSourceError, Progress, Want, get_json, no_progress, session, stream_lines

BASE_URL = "https://pricing.us-east-1.amazonaws.com"
INDEX = "/offers/v1.0/aws/AmazonEC2/current/region_index.json"
SOURCE = "AWS Price List bulk offer files (pricing.us-east-1.amazonaws.com, AmazonEC2)"
SPOT_NOTE = "AWS spot prices are not in the public Price List (DescribeSpotPriceHistory needs credentials): spot stays the catalog snapshot's"
RULES = {
    "TermType": "OnDemand",
    "Operating System": "Linux",
    "Tenancy": "Shared",
    "Pre Installed S/W": "NA",
    "CapacityStatus": "Used",
    "Unit": "Hrs",
    "Currency": "USD",
}


def offer_rows(lines: Iterator[str], names: set[str] | None = None) -> Iterator[dict[str, str]]:
    """The rows of an offer CSV as dicts: its metadata lines (FormatVersion … OfferCode) skipped, up to the header.
    With `names`, only lines that quote one of them are parsed at all (a file holds every EC2 type's rows)."""
    for line in lines:
        if line.startswith('"SKU"'):
            header = next(csv.reader([line]))
            break
    else:
        raise PriceSourceError("AWS offer file: no header row (\"SKU\",...): not an EC2 price list CSV")
    if names is not None and "Instance Type" in header:
        at = header.index("Instance Type")

        def wanted(line: str) -> bool:
            cells = line.split('","', at + 1)  # cheap: the quoted cells up to Instance Type, no CSV parse
            return len(cells) > at and cells[at] in names

        lines = (line for line in lines if wanted(line))
    for row in csv.reader(lines):
        if row:
            yield dict(zip(header, row))


def rate(row: Mapping[str, str]) -> float | None:
    """The hourly on-demand USD rate of a Linux, shared-tenancy, plain instance row; None for every other row."""
    if any(row.get(k) != v for k, v in RULES.items()):
        return None
    if row.get("MarketOption", "OnDemand") != "OnDemand" or row.get("Operation", "RunInstances") != "RunInstances":
        return None  # Capacity Block rows (newer files), SQL/BYOL operations
    try:
        usd = float(row.get("PricePerUnit", ""))
    except ValueError:
        return None
    return usd if usd > 0 else None


def _region_urls(http: Any, base: str) -> dict[str, str]:
    index = get_json(http, base + INDEX, "AWS region index")
    regions = index.get("regions") if isinstance(index, dict) else None
    if not isinstance(regions, dict):
        raise PriceSourceError("AWS region index: no regions object (not a Price List region_index.json)")
    return {code: str(r.get("currentVersionUrl", "")) for code, r in regions.items() if isinstance(r, dict)}


def fetch(wanted: Mapping[str, Want], base_url: str | None = None, progress: Progress = no_progress, http: Any = None) -> Fetched:
    """On-demand prices of the wanted types in their regions; progress counts regions (bytes as fractions)."""
    http = http or session()
    base = (base_url or BASE_URL).rstrip("/")
    out = Fetched(SOURCE, notes=[SPOT_NOTE])
    urls = _region_urls(http, base)
    regions = sorted({r for w in wanted.values() for r in w.regions})

    def per_region(step: float, total: float | None) -> None:  # progress in regions, a file's bytes as a fraction
        progress(step / total if total else 0.0, len(regions))

    for region in regions:
        names = {w.name for w in wanted.values() if region in w.regions}
        path = urls.get(region)
        if not path:
            out.notes.append(f"the AWS region index has no {region}")
            progress(1, len(regions))
            continue
        csv_path = path[: -len(".json")] + ".csv" if path.endswith(".json") else path
        for row in offer_rows(stream_lines(http, base + csv_path, f"AWS prices for {region}", per_region), names):
            out.items_read += 1
            name = row.get("Instance Type")
            if name in names and row.get("Region Code", region) == region:
                usd = rate(row)
                if usd is not None:
                    out.put(name, region, "on_demand", usd)
    out.missing(wanted, ("on_demand",))
    return out
