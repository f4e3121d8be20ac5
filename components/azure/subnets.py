"""How the environment's VNet is cut into subnets, as plain address arithmetic (no SDK), so that the resolver can
check a spec's network has room before anything is created."""

from __future__ import annotations

import ipaddress


def plan_subnets(cidr: str) -> tuple[str, str]:
    """Nodes get the first half of the VNet; endpoints a /24-sized slice (or smaller) of the second half."""
    net = ipaddress.ip_network(cidr)
    nodes, rest = net.subnets(prefixlen_diff=1)
    endpoints = next(rest.subnets(new_prefix=max(rest.prefixlen, min(rest.prefixlen + 3, 24))))
    return str(nodes), str(endpoints)


def plan_lustre_subnets(cidr: str, endpoint_cidr: str, prefixes: list[int]) -> list[str] | None:
    """One subnet per file system from the VNet's second half, clear of the endpoint subnet; None: no room."""
    net = ipaddress.IPv4Network(cidr)  # the spec takes IPv4 ranges only
    rest = list(net.subnets(prefixlen_diff=1))[1]
    taken = [ipaddress.ip_network(endpoint_cidr)]
    out = []
    for prefix in prefixes:
        if prefix < rest.prefixlen:
            return None
        free = next((c for c in rest.subnets(new_prefix=prefix) if not any(c.overlaps(t) for t in taken)), None)
        if free is None:
            return None
        taken.append(free)
        out.append(str(free))
    return out
