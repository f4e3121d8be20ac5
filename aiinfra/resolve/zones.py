"""The zone rule, stated once: which of the zones that offer a pool's type its nodes use.

The offered zones come from the resolver (the catalog, for preview and the mocks) or, in a real program, from
the cloud's API (EC2 instance type offerings, GCE machine types), which knows today's offer better. Either way
the choice is this function's, so preview, the network layout (GKE's zonal RoCE networks) and the node pools
agree.
"""

from __future__ import annotations

from typing import Sequence


def choose(offered: Sequence[str], pinned: str | None = None, one: bool = False, regional: bool = False) -> list[str] | None:
    """A pinned zone wins. `regional` leaves placement to the cloud (None: AKS GPU pools, whose scarce sizes fail
    when zone-pinned, and zone-less regions). `one` (a GPU fabric or compact placement needs every node in one
    zone) takes the first offered zone; otherwise every offered zone."""
    if pinned:
        return [pinned]
    if regional or not offered:
        return None
    return list(offered[:1]) if one else list(offered)
