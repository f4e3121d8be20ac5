"""Regional price files (data/prices/<cloud>.yaml) laid over a cloud's catalog rows before validation.

A cloud file holds what each instance type is and the prices sourced by hand; a price file holds per-region
on-demand and spot figures generated from one dated upstream snapshot (scripts/sky_prices.py). The price file
fills only figures the cloud file leaves null, so hand-checked newer figures carry over, and each filled figure
records its source key so `origin` and the freshness lines name the snapshot it came from. A region the source
prices a type in but the cloud file does not list becomes one the type is offered in (the source's rows are the
availability), if the cloud file declares the region.
"""

from __future__ import annotations

from typing import Any

FIELDS = ("on_demand", "spot")


def ordered(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Price files newest snapshot first (by their source's as_of; an unknown date last), so that a newer figure
    fills a gap before an older one can."""
    from aiinfra.catalog.freshness import parse_as_of

    def newest_first(f: dict[str, Any]) -> tuple[bool, int]:
        day = parse_as_of(str(f["source"].get("as_of") or ""))[0]
        return (day is None, -day.toordinal() if day else 0)

    return sorted(files, key=newest_first)


def lay_over(data: dict[str, Any], prices: dict[str, Any] | None) -> dict[str, Any]:
    """The cloud file's data with the price file's figures filled in (a new dict; the inputs are not changed)."""
    if not prices:
        return data
    source = prices["source"]
    key = source["key"]
    out = {**data, "sources": {**data["sources"], key: {k: v for k, v in source.items() if k != "key"}}}
    known_regions = set(data["regions"])
    types = dict(data["instance_types"])
    for name, per_region in (prices.get("prices") or {}).items():
        row = types.get(name)
        if row is None:
            continue
        regions = {r: dict(v or {}) for r, v in row["regions"].items()}
        for region, figures in per_region.items():
            if region not in known_regions:
                continue
            here = regions.setdefault(region, {})
            filled = dict(here.get("sources") or {})
            for field in FIELDS:
                value = (figures or {}).get(field)
                if value is not None and here.get(field) is None:
                    here[field] = value
                    filled[field] = key
            if filled:
                here["sources"] = filled
        types[name] = {**row, "regions": regions}
    out["instance_types"] = types
    return out
