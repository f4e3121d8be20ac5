"""The identity contract: rules every cloud's WorkloadIdentity states once. Each returns Problems with Args paths."""

from __future__ import annotations

from aiinfra.problems import Problem


def binding(namespace: str, service_account: str) -> list[Problem]:
    """Who the workload identity is for: one Kubernetes service account in one namespace."""
    return [Problem(path, f"namespace and service_account are required ({path} is empty)") for path, value in (("namespace", namespace), ("service_account", service_account)) if not value]
