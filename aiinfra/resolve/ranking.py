"""How `aiinfra offers` orders its rows: one table of sort keys, so a new order (carbon, …) is one entry.

Every key starts from what the user can compare (the spec's preference, a price), and ends with the same
tie-breakers, so equal rows keep the registry's cloud/region order and the spec's own row comes first among
equals. Rows priced from another region's figure ("priced as us-central1") are kept apart: a borrowed figure
is not this region's price, so ranking it between regions would be false precision.
"""

from __future__ import annotations

from typing import Any, Callable

Row = dict[str, Any]
SortKey = Callable[[Row], tuple]


def _price(o: Row) -> tuple:
    return (o["hourly_usd_min"], o["hourly_usd_max"])


def _spot(o: Row) -> tuple:
    return (o["hourly_usd_spot_min"], o["hourly_usd_spot_max"], *_price(o))


def _carbon(o: Row) -> tuple:
    kg = o.get("kgco2e_per_month_max")
    return (kg is None, kg or 0.0, *_price(o))


# name -> (what it orders by, the key); `offers --sort NAME`
SORT_KEYS: dict[str, tuple[str, SortKey]] = {
    "preference": ("the spec's order of gpu: alternatives (or total: shapes) first, then on-demand price", lambda o: (o["preference"], *_price(o))),
    "price": ("on-demand $/h, whatever alternative it uses", _price),
    "spot": ("$/h with every GPU pool on spot, then on-demand price", _spot),
    "carbon": ("kgCO2e/month at maximum size (location-based), unknown last, then on-demand price", _carbon),
}
DEFAULT_SORT = "preference"


def rank(rows: list[Row], order: dict[tuple[str, str], int], sort: str = DEFAULT_SORT) -> list[Row]:
    """The rows sorted by SORT_KEYS[sort], then the spec's own row first, then registry order."""
    key = SORT_KEYS[sort][1]
    return sorted(rows, key=lambda r: (*key(r), not r["chosen"], order[(r["cloud"], r["region"])]))


def split_borrowed(rows: list[Row], include_borrowed: bool) -> tuple[list[Row], list[Row]]:
    """(ranked, apart): rows whose pools have their own region's price, and those priced as another region."""
    if include_borrowed:
        return rows, []
    return [r for r in rows if not r["borrowed"]], [r for r in rows if r["borrowed"]]
