"""`aiinfra catalog refresh`: current prices of the catalog's own types and regions from each cloud's public price
list, written to the overlay (catalog.overlay). Each cloud's fetcher is components/<cloud>/pricing.py; this module
only says what to price, runs them one by one and keeps what worked: a cloud that fails keeps its previous overlay
entry, and when no cloud succeeds the overlay file is not touched at all.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from aiinfra import clouds
from aiinfra.catalog import overlay
from aiinfra.components.base.pricing import PriceSourceError, Progress, SourceSkipped, Want, no_progress

URL_VAR = "AIINFRA_PRICING_URL_{}"


def url_var(cloud: str) -> str:
    return URL_VAR.format(cloud.upper())


def wanted(cloud: str) -> dict[str, Want]:
    """The shipped catalog's types and regions of a cloud (those its price files add too), with what a summed price needs."""
    from aiinfra.catalog import shipped_data
    from aiinfra.catalog.models import CloudCatalog

    cat = CloudCatalog.model_validate(shipped_data(cloud))
    return {
        name: Want(name, tuple(it.regions), it.vcpus, it.memory_gib, it.gpu_count, it.accelerator_type, it.machine_type)
        for name, it in cat.instance_types.items()
    }


def fetcher(cloud: str) -> Callable[..., Any]:
    return clouds.module(cloud, "pricing").fetch


@dataclass
class CloudResult:
    cloud: str
    status: str  # refreshed | partial | failed | skipped
    message: str
    source: str | None = None
    priced: int = 0
    unpriced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    items_read: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("refreshed", "partial")


def _one(cloud: str, progress: Progress, now: dt.datetime) -> tuple[CloudResult, dict[str, Any] | None]:
    start = time.perf_counter()
    want = wanted(cloud)
    try:
        got = fetcher(cloud)(want, base_url=os.environ.get(url_var(cloud)) or None, progress=progress)
    except SourceSkipped as exc:
        return CloudResult(cloud, "skipped", str(exc), seconds=time.perf_counter() - start), None
    except PriceSourceError as exc:
        return CloudResult(cloud, "failed", f"{exc}; its previous prices are kept", seconds=time.perf_counter() - start), None
    seconds = time.perf_counter() - start
    priced = sum(len(kinds) for regions in got.prices.values() for kinds in regions.values())
    base = {"source": got.source, "unpriced": got.unpriced, "notes": got.notes, "items_read": got.items_read, "seconds": round(seconds, 3)}
    if not priced:
        return CloudResult(cloud, "failed", f"{clouds.get(cloud).display}: the price list had no price for any catalog type; its previous prices are kept", **base), None
    status = "partial" if got.unpriced else "refreshed"
    message = f"{priced} prices of {len(got.prices)} types" + (f"; {len(got.unpriced)} could not be priced" if got.unpriced else "")
    entry = {"fetched": now.isoformat(timespec="seconds"), "as_of": now.date().isoformat(), "source": got.source, "prices": got.prices, "unpriced": got.unpriced, "notes": got.notes}
    return CloudResult(cloud, status, message, priced=priced, **base), entry


def refresh(asked: Sequence[str], progress_for: Callable[[str], Progress] = lambda cloud: no_progress, now: dt.datetime | None = None) -> dict[str, Any]:
    """Refresh the asked clouds in registry order; write the overlay once, only if at least one cloud got prices."""
    from aiinfra.catalog.freshness import today

    now = now or dt.datetime.combine(today(), dt.datetime.now(dt.timezone.utc).time(), dt.timezone.utc)
    entries = dict(overlay.load())
    results = []
    for cloud in asked:
        result, entry = _one(cloud, progress_for(cloud), now)
        results.append(result)
        if entry is not None:
            entries[cloud] = entry
    written = any(r.ok for r in results)
    if written:
        overlay.write(entries)
    return {"overlay": str(overlay.path()), "written": written, "clouds": [asdict(r) for r in results]}
