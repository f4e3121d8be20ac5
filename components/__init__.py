"""Pulumi components for AI infrastructure. `Environment` turns a spec into a cloud's components;
the per-cloud components (aiinfra.components.aws.Network, ...) are usable on their own."""

from __future__ import annotations

from typing import Any

__all__ = ["Environment"]


def __getattr__(name: str) -> Any:
    # Lazy, so importing the package does not pull in Pulumi until a component is used.
    if name == "Environment":
        from aiinfra.components.base.environment import Environment

        return Environment
    raise AttributeError(name)
