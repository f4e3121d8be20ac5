"""The cluster contract: rules every cloud's Cluster states once. Each returns Problems with Args paths."""

from __future__ import annotations

from typing import Sequence

from aiinfra.problems import Problem


def public_endpoint(public: bool, cidrs: Sequence[str]) -> list[Problem]:
    """Every cloud's rule for an API server reachable from the internet: only from named ranges."""
    if public and (not cidrs or "0.0.0.0/0" in cidrs):
        return [
            Problem(
                "public_access_cidrs",
                "a public endpoint needs public_access_cidrs, and not 0.0.0.0/0",
                "name the ranges that may reach the API server",
                list(cidrs),
            )
        ]
    return []
