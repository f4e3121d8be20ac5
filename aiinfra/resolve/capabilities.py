"""Which spec features the cloud offers: a pool's capacity, capacity blocks, queued provisioning and reservation
shapes, each refused with the reason its profile's facts give and the clouds that do offer it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from aiinfra import clouds
from aiinfra.problems import Problem, shown

if TYPE_CHECKING:
    from aiinfra.components.base.facts import CloudFacts
    from aiinfra.spec import EnvironmentSpec

# Which capability a pool's `capacity:` needs.
_CAPACITY_NEEDS = {"spot": "spot", "reserved": "reservations", "flex-start": "flex_start"}


def unsupported(spec: EnvironmentSpec) -> list[Problem]:
    """Spec features the cloud does not offer, each refused with the reason its profile gives and the clouds
    that offer it."""
    profile = clouds.facts(spec.cloud)
    problems = []

    def lacks(need: str) -> str | None:
        cap = profile.capabilities.get(need)
        return None if cap is None or cap.supported else f"{profile.display} has no {clouds.CAPABILITIES[need]}: {cap.reason} (offered on: {clouds.offered_on(need)})"

    for i, pool in enumerate(spec.node_pools):
        path = f"node_pools[{i}]"
        need = _CAPACITY_NEEDS.get(pool.capacity)
        no_capacity = lacks(need) if need else None
        no_block = lacks("capacity_blocks") if pool.reservation_kind == "capacity-block" else None
        no_queue = lacks("queued_provisioning") if pool.queued else None
        if no_capacity:
            problems.append(Problem(f"{path}.capacity", no_capacity, "use capacity: on-demand", pool.capacity))
        if no_block:
            problems.append(Problem(f"{path}.reservation.kind", no_block, "use a targeted reservation (kind: targeted)", "capacity-block"))
        if no_queue:
            problems.append(Problem(f"{path}.queued", no_queue, "remove queued", True))
        if pool.reservation is not None and not (no_capacity or no_block):
            problems += reservation_problems(profile, f"{path}.reservation", pool.reservation)
            shape = profile.reservation
            # A capacity block's or reservation block's zone rule is the profile's own check (it names the block).
            named_block = pool.reservation_kind == "capacity-block" or getattr(pool.reservation, "block", None)
            if shape and shape.zonal and not pool.zone and not named_block:
                problems.append(Problem(f"{path}.zone", shape.zonal, f"set zone: to the reservation's zone ({shape.zone_lookup})"))
    return problems


def reservation_problems(profile: CloudFacts, path: str, reservation: Any) -> list[Problem]:
    """A reservation written in a shape the cloud does not take (its profile's ReservationShape)."""
    shape = profile.reservation
    if shape is None:
        return []
    rid = reservation if isinstance(reservation, str) else reservation.id
    block = None if isinstance(reservation, str) else reservation.block
    problems = []
    if not re.match(shape.id_pattern, rid):
        problems.append(Problem(f"{path}" if isinstance(reservation, str) else f"{path}.id", f"{shown(rid)} is not {shape.id_words}", f"e.g. {shape.example}", rid))
    if block is not None and not shape.blocks:
        where = ", ".join(p.display for p in clouds.all_facts() if p.reservation and p.reservation.blocks) or "no cloud aiinfra knows"
        problems.append(Problem(f"{path}.block", f"{profile.display} reservations have no blocks (reservation blocks exist on: {where})", "remove block", block))
    elif block is not None and not re.match(shape.block_pattern, block):
        problems.append(Problem(f"{path}.block", f"{shown(block)} is not a reservation block name", "lowercase letters, digits and hyphens, e.g. my-res-block-001", block))
    return problems


