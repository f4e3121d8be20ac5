"""Where a price came from and how old it is: a refreshed overlay price ("refreshed 2026-11-26") or the shipped
snapshot's ("snapshot of 2026-07-20, 129 days old"), and the warning past STALE_DAYS."""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from dataclasses import dataclass
from typing import Any, Iterable

STALE_DAYS = 30
TODAY_VAR = "AIINFRA_TODAY"
REFRESH_HINT = "run `aiinfra catalog refresh` for current prices"


def today() -> dt.date:
    """The UTC date, or AIINFRA_TODAY (YYYY-MM-DD) so that outputs and tests can be pinned to a day."""
    pinned = os.environ.get(TODAY_VAR)
    if pinned:
        return dt.date.fromisoformat(pinned)
    return dt.datetime.now(dt.timezone.utc).date()


@functools.lru_cache(maxsize=256)
def parse_as_of(text: str | None) -> tuple[dt.date | None, str | None]:
    """The date a source's free-text as_of names first, with how it was written: '2026-07-20 (header …)' ->
    (2026-07-20, '2026-07-20'); '2025-04/05 (estimated)' -> (2025-04-01, '2025-04'); 'unknown (…, 2024-2025)' ->
    (None, None)."""
    text = text or ""
    if text.strip().lower().startswith("unknown"):
        return None, None
    for pattern, fmt in ((r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d"), (r"\d{4}-(?:0[1-9]|1[0-2])(?!\d)", "%Y-%m"), (r"(?<!\d)(?:19|20)\d{2}(?!\d)", "%Y")):
        m = re.search(pattern, text)
        if m:
            return dt.datetime.strptime(m[0], fmt).date(), m[0]
    return None, None


@dataclass(frozen=True)
class Origin:
    """One price's provenance: kind "refreshed" (the overlay), "snapshot" (shipped data) or "spec" (the user's figure), its source, its date."""

    kind: str
    source: str
    as_of: str | None

    @property
    def date(self) -> dt.date | None:
        return parse_as_of(self.as_of)[0]

    def age_days(self, on: dt.date) -> int | None:
        return None if self.date is None else (on - self.date).days

    def stale(self, on: dt.date) -> bool:
        if self.kind == "spec":
            return False
        age = self.age_days(on)
        return age is None or age > STALE_DAYS

    def describe(self, on: dt.date) -> str:
        written = parse_as_of(self.as_of)[1]
        if self.kind == "refreshed":
            return f"refreshed {written or self.as_of}"
        if self.kind == "spec":
            return "given in the spec"
        if written is None:
            return "snapshot of unknown date"
        age = self.age_days(on)
        about = "" if len(written) == 10 else "about "
        return f"snapshot of {written}, {about}{age} days old"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "as_of": parse_as_of(self.as_of)[1]}


def summary(priced: Iterable[tuple[str, Origin | None]], on: dt.date | None = None) -> dict[str, Any]:
    """The distinct origins of some named prices (pool name, origin), each with the names, its age, and the
    warning when any is past STALE_DAYS."""
    on = on or today()
    names: dict[Origin, list[str]] = {}
    for name, origin in priced:
        if origin is not None:
            names.setdefault(origin, []).append(name)
    stale = [o for o in names if o.stale(on)]
    return {
        "today": on.isoformat(),
        "prices": [
            {**o.as_dict(), "age_days": o.age_days(on), "stale": o.stale(on), "for": n, "text": f"{', '.join(n)}: {o.describe(on)} ({o.source})"}
            for o, n in names.items()
        ],
        "stale": bool(stale),
        "warning": warning(stale, on, names),
    }


def warning(stale: list[Origin], on: dt.date, names: dict[Origin, list[str]] | None = None) -> str | None:
    """Known ages as a number past STALE_DAYS; an undated price is said to be of unknown date, not over N days."""
    if not stale:
        return None
    ages = [a for a in (o.age_days(on) for o in stale) if a is not None]
    undated = [n for o in stale if o.age_days(on) is None for n in (names or {}).get(o, [])]
    if not ages:
        return f"prices are of unknown date (they may be over {STALE_DAYS} days old); {REFRESH_HINT}"
    also = f", and the price of {', '.join(undated)} is of unknown date" if undated else ""
    return f"prices are up to {max(ages)} days old (over {STALE_DAYS} days){also}; {REFRESH_HINT}"


def lines(fresh: dict[str, Any]) -> list[str]:
    """The human wording of a summary: where the prices come from, then the warning if any."""
    out = ["Prices: " + "; ".join(p["text"] for p in fresh["prices"]) + "."] if fresh["prices"] else []
    return out + ([f"warning: {fresh['warning']}."] if fresh["warning"] else [])
