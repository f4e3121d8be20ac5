"""The registry contract: rules every cloud's ContainerRegistry states once. Each returns Problems with Args paths."""

from __future__ import annotations

from typing import Sequence

from aiinfra.problems import Problem


def images(names: Sequence[str], path: str = "repositories") -> list[Problem]:
    return [] if names else [Problem(path, "a registry needs at least one repository (image name)")]
