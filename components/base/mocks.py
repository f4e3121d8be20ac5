"""Realistic provider answers for the offline engine, one module per cloud (components/<cloud>/mocks.py).

`CloudMocks.outputs` finds the module of the cloud whose Pulumi package a type token names (`aws`, `gcp`,
`azure-native`; packages no cloud owns, such as `kubernetes`, have none) and calls its handler for the resource
kind, if any. A cloud's mocks.py declares:

- ``RESOURCES``: ``{"<module>_<Kind>": handler(m, name, inputs, out, h) -> id | None}``
- ``INVOKES``: ``{"<invoke token>": handler(m, args) -> dict}``
- optionally ``defaults(m, module, kind, name, inputs, out, h) -> id | None`` for every resource
  of that package (ARNs, tags, self links).

An invoke that no module answers raises, so a program never silently gets None.
"""

from __future__ import annotations

import hashlib
from types import ModuleType
from typing import Any, Callable


def hexid(seed: str, n: int) -> str:
    """A stable hex string: the same program gives the same IDs on every run."""
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def autoname(name: str, h: str) -> str:
    """What Pulumi auto-naming would give a physical name: the logical name plus a random suffix."""
    return f"{name}-{h[:7]}"


def _module_for(package: str) -> ModuleType | None:
    """The mocks of the cloud whose Pulumi package this is (components/<cloud>/mocks.py); None for the packages
    no cloud owns (kubernetes, random, tls, ...): their resources keep their inputs as outputs."""
    from aiinfra import clouds

    profile = clouds.by_package(package)
    return clouds.module(profile.name, "mocks", optional=True) if profile else None


def split_token(token: str) -> tuple[str, str, str]:
    """Package, module and kind of a type token: aws:ec2/vpc:Vpc -> aws, ec2, Vpc; azure-native:network:VirtualNetwork
    -> azure-native, network, VirtualNetwork."""
    package, _, rest = token.partition(":")
    module = rest.split("/")[0].split(":")[0]
    kind = token.rsplit(":", 1)[-1]
    return package, module, kind


class CloudMocks:
    """Provider outputs for the resource types aiinfra creates, stable across runs.

    cloud/region/zones describe where the program pretends to run; offered_zones answers
    'which zones offer this instance type' from the catalog; settings carries cloud account
    facts (GCP project, Azure subscription) the handlers put into IDs.
    """

    def __init__(
        self,
        cloud: str,
        region: str,
        zones: list[str],
        offered_zones: Callable[[str], list[str]],
        settings: dict[str, Any] | None = None,
    ):
        self.cloud = cloud
        self.region = region
        self.zones = zones
        self.offered_zones = offered_zones
        self.settings = dict(settings or {})

    def outputs(self, token: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        out = dict(inputs)
        package, module, kind = split_token(token)
        h = hexid(f"{token}::{name}", 17)
        rid = f"{name}-{h[:8]}"
        mod = _module_for(package)
        if mod is not None:
            defaults = getattr(mod, "defaults", None)
            if defaults is not None:
                rid = defaults(self, module, kind, name, inputs, out, h) or rid
            handler = getattr(mod, "RESOURCES", {}).get(f"{module}_{kind}")
            if handler is not None:
                rid = handler(self, name, inputs, out, h) or rid
        return rid, out

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        package = token.partition(":")[0]
        mod = _module_for(package)
        handler = getattr(mod, "INVOKES", {}).get(token) if mod else None
        if handler is None:
            raise NotImplementedError(
                f"the offline engine has no answer for invoke {token}; add one to the mocks.py of the cloud that owns it"
            )
        return handler(self, args)
