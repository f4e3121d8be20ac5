"""API-contract rules shared by every cloud's storage, registry, identity and cluster components, each stated
once (the spec states the user-facing version with its hints). Each returns Problems with Args paths."""

from __future__ import annotations

from typing import Sequence

from aiinfra.problems import Problem


def buckets(names: Sequence[str]) -> list[Problem]:
    repeated = sorted({b for b in names if list(names).count(b) > 1})
    return [Problem("buckets", f"bucket names repeat: {repeated}", "list each bucket once", list(names))] if repeated else []


def images(names: Sequence[str], path: str = "repositories") -> list[Problem]:
    return [] if names else [Problem(path, "a registry needs at least one repository (image name)")]


def binding(namespace: str, service_account: str) -> list[Problem]:
    """Who the workload identity is for: one Kubernetes service account in one namespace."""
    return [Problem(path, f"namespace and service_account are required ({path} is empty)") for path, value in (("namespace", namespace), ("service_account", service_account)) if not value]


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
