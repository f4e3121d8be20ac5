"""The cluster contract: the Args every cloud's Cluster shares (common_args) and the rules it states once; each rule
returns Problems with Args paths."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from aiinfra.components.base.gpu_pool import SystemPool
from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment


def common_args(env: ResolvedEnvironment, tags: dict[str, str]) -> dict[str, Any]:
    """The ClusterArgs fields every cloud's cluster takes, from the resolved environment; a cloud adds its own."""
    c = env.cluster
    return {
        "kubernetes_version": c.kubernetes_version,
        "extended_support": env.kubernetes_extended,
        "public_endpoint": c.public_endpoint,
        "public_access_cidrs": c.public_access_cidrs,
        "admins": c.admins,
        "deletion_protection": c.deletion_protection,
        "system": SystemPool.from_resolved(env.system_pool),
        "tags": tags,
    }


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
