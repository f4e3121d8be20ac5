"""The cloud-neutral component: one spec in, the chosen cloud's components out."""

from __future__ import annotations

import importlib
from typing import Any

import pulumi

from aiinfra.components._sdk import require
from aiinfra.resolve import ResolvedEnvironment


def default_tags(env: ResolvedEnvironment) -> dict[str, str]:
    return {"aiinfra.dev/environment": env.spec.name, "managed-by": "aiinfra", **env.spec.tags}


class Environment(pulumi.ComponentResource):
    """Everything one environment needs on its cloud. Per-cloud assembly lives in
    aiinfra.components.<cloud>.environment.build, so adding a cloud adds a folder, not a branch here."""

    outputs: dict[str, Any]

    def __init__(self, name: str, env: ResolvedEnvironment, opts: pulumi.ResourceOptions | None = None):
        super().__init__("aiinfra:index:Environment", name, None, opts)
        cloud = env.spec.cloud
        require(cloud)
        try:
            builder = importlib.import_module(f"aiinfra.components.{cloud}.environment")
        except ModuleNotFoundError as exc:
            if exc.name == f"aiinfra.components.{cloud}.environment":
                raise NotImplementedError(f"aiinfra has no {cloud} components yet") from None
            raise
        self.outputs = builder.build(env, default_tags(env), self)
        self.register_outputs(self.outputs)
