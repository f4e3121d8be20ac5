"""Node pools of any cloud as PoolViews: each cloud's policy module reads its own pool resource type."""

from __future__ import annotations

import importlib
from functools import lru_cache
from typing import Callable

from aiinfra.policy.model import PoolView, Resource


@lru_cache(maxsize=1)
def cloud_modules() -> tuple:
    """aiinfra.policy.<cloud> for every registered cloud that has one (a cloud without rules has none yet)."""
    from aiinfra import clouds

    found = []
    for name in clouds.names():
        try:
            found.append(importlib.import_module(f"aiinfra.policy.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"aiinfra.policy.{name}":
                raise
    return tuple(found)


def readers() -> dict[str, Callable[[Resource], PoolView]]:
    return {token: read for m in cloud_modules() for token, read in m.POOLS.items()}


def pool_types() -> tuple[str, ...]:
    return tuple(readers())


def view(r: Resource) -> PoolView | None:
    read = readers().get(r.type)
    return read(r) if read else None
