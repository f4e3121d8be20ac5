"""The cloud-neutral cluster platform: GPU stack, fabric plugins, monitoring, queueing, training,
tracking and serving, from upstream Helm charts, on any cloud's cluster."""

from __future__ import annotations

from typing import Any

__all__ = ["Platform", "PlatformArgs"]


def __getattr__(name: str) -> Any:
    # Lazy, so that the plan (addons/, plain data) is read without Pulumi: `validate` runs the fit check over it.
    if name in __all__:
        from aiinfra.components.kubernetes import platform

        return getattr(platform, name)
    raise AttributeError(name)
