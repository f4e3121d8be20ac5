"""Reserved and flexible capacity, cloud-neutral: the price a pool is shown at and the reservation fields the
components read. Which cloud offers which kind, and the shape of its reservation ids, are the clouds' profiles'
(aiinfra.clouds: capabilities, ReservationShape); the rules every cloud shares are in aiinfra.spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiinfra import catalog
from aiinfra.catalog.freshness import Origin

if TYPE_CHECKING:
    from aiinfra.spec import NodePool

# Why a reserved pool costs its full size: the cloud bills the reservation, not the nodes running in it.
PAID_ANYWAY = "reserved capacity is paid whether used or not"


def money(v: float | None) -> str:
    """Dollars as every output shows them: 4 decimals under a cent, 3 under a dollar, else 2."""
    if v is None:
        return "—"
    if 0 < v < 0.01:
        return f"${v:,.4f}"
    return f"${v:,.3f}" if v < 1 else f"${v:,.2f}"


def reservation_fields(pool: NodePool) -> dict[str, Any]:
    """ResolvedPool's reservation fields: the id, its kind and block, and the queued-provisioning switch."""
    r = pool.reservation
    return {
        "reservation": pool.reservation_id,
        "reservation_kind": pool.reservation_kind,
        "reservation_block": None if r is None or isinstance(r, str) else r.block,
        "queued": pool.queued,
    }


def pool_price(cloud: str, instance_type: str, region: str, pool: NodePool) -> catalog.Price:
    """One node's hourly price for the pool's capacity: a spec's reservation.price_per_hour wins; a capacity block
    without one shows the on-demand rate and says the block is prepaid; flex-start is priced by the catalog. A pinned
    type's own price_per_hour wins over the catalog's."""
    if pool.price_per_hour is not None:
        note = "price from the spec (node_pools[].price_per_hour)"
        return catalog.Price(pool.price_per_hour, f"{PAID_ANYWAY}; {note}" if pool.capacity == "reserved" else note, Origin("spec", "node_pools[].price_per_hour", None))
    own = getattr(pool.reservation, "price_per_hour", None)
    if own is not None:
        return catalog.Price(own, f"{PAID_ANYWAY}; price from the spec (reservation.price_per_hour)", Origin("spec", "reservation.price_per_hour", None))
    if instance_type not in catalog.cloud_catalog(cloud).instance_types:
        return catalog.Price(None, None)
    p = catalog.price(cloud, instance_type, region, pool.capacity)
    if pool.reservation_kind == "capacity-block" and p.known:
        return catalog.Price(
            p.hourly_usd,
            "capacity block: prepaid for its whole duration (the offering's upfront fee); on-demand rate shown, "
            "set reservation.price_per_hour to the block's rate",
            p.origin,
            "on-demand",
        )
    if pool.capacity == "reserved" and p.known and "whether used or not" not in (p.note or ""):
        return catalog.Price(p.hourly_usd, f"{p.note}; {PAID_ANYWAY}" if p.note else PAID_ANYWAY, p.origin, p.basis)
    return p


def paid_nodes(capacity: str, nodes_min: int, nodes_max: int) -> tuple[int, int]:
    """How many nodes a pool is billed for at least and at most: a reserved pool's whole size either way."""
    return (nodes_max, nodes_max) if capacity == "reserved" else (nodes_min, nodes_max)
