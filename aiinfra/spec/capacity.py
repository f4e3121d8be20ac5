"""The capacity rules of one node pool (flex-start, capacity blocks, the pool's own price), apart from
aiinfra.spec so that the spec's models stay short; each raises Invalid with the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiinfra.problems import Invalid

if TYPE_CHECKING:
    from aiinfra.spec import NodePool


def capacity_rules(pool: NodePool) -> None:
    flex_start_rules(pool)
    price_rules(pool)


def flex_start_rules(pool: NodePool) -> None:
    """Flex-start nodes come and go with demand and never from a reservation; a capacity block is its own
    capacity type, never spot."""
    kind = pool.reservation_kind
    if kind == "capacity-block" and pool.capacity == "spot":
        raise Invalid("a capacity block is prepaid reserved capacity; it cannot be spot", "set capacity: reserved (or drop the reservation to use spot)")
    if pool.capacity == "flex-start":
        if pool.reservation:
            raise Invalid("flex-start capacity is obtained on demand and cannot use a reservation", "remove reservation, or use capacity: reserved")
        if isinstance(pool.nodes, int) or pool.nodes.min:
            size = pool.nodes if isinstance(pool.nodes, int) else f"a minimum of {pool.nodes.min}"
            raise Invalid(
                f"flex-start pools scale from zero with demand; a fixed size or minimum ({size}) cannot be held",
                f"write nodes: {{min: 0, max: {max(1, pool.nodes_max)}}}",
            )
    if pool.queued and pool.capacity != "flex-start":
        raise Invalid("queued provisioning is a mode of flex-start capacity", "set capacity: flex-start, or remove queued")


def price_rules(pool: NodePool) -> None:
    """price_per_hour prices one pinned type; a reservation's price is the reservation's."""
    if pool.price_per_hour is None:
        return
    if not pool.instance_type:
        raise Invalid("price_per_hour prices a pinned type, and this pool has no instance_type", "set instance_type: to the type the price is for, or remove price_per_hour")
    if getattr(pool.reservation, "price_per_hour", None) is not None:
        raise Invalid("price_per_hour and reservation.price_per_hour are both given", "keep one: a reserved pool is billed at reservation.price_per_hour")
