"""The cloud registry, at the bottom of the house: each cloud's facts (`CloudFacts`), its profile (facts and
hooks, `CloudProfile`), and the one loader of a cloud's modules.

Cloud-neutral modules (spec, resolve, deploy, preview, the Kubernetes platform, the CLI) iterate this registry
instead of naming clouds. A cloud is the folder components/<cloud>/: its facts.py declares what the spec and every
other layer read (names, capabilities, patterns, settings), its profile.py extends those facts with the hooks
resolve, program and deploy call; every other per-cloud concern is the file of the same name as its base in
components/base/ (`module(cloud, concern)`), so adding a cloud is copying a folder's shape (docs/adding-a-cloud.md).

This module imports no spec, resolver or profile module, not even for types: `facts()` and `names()` load only the
facts files (which is all `import aiinfra.spec` needs); `get()` and `all_profiles()` load the profiles on first
use. `register` adds others (a plugin, or a test's fake cloud).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, overload

from aiinfra.components.base.facts import CAPABILITIES, REQUIRED, TERMS, Capability, CapacityErrors, CloudFacts, ReservationShape

__all__ = ["CAPABILITIES", "REQUIRED", "TERMS", "Capability", "CapacityErrors", "CloudFacts", "ReservationShape",
           "declare", "register", "facts", "all_facts", "get", "all_profiles", "names", "module"]

# components/base/ holds the contracts, not a cloud.
BASE = "base"

_FACTS: dict[str, CloudFacts] = {}
_REGISTRY: dict[str, Any] = {}  # name -> its CloudProfile (components/base/profile.py)
_loaded: set[str] = set()


def _complete(cls: type) -> CloudFacts:
    facts = cls()
    unset = [a for a in REQUIRED if not isinstance(getattr(facts, a, None), str)]
    if unset:
        raise TypeError(f"cloud profile {cls.__name__} must set {', '.join(unset)} (see docs/adding-a-cloud.md)")
    missing = [c for c in CAPABILITIES if c not in facts.capabilities]
    if missing:
        raise TypeError(f"cloud profile {facts.name!r} must declare capabilities {', '.join(missing)} (each with a reason)")
    unnamed = [t for t in TERMS if t not in facts.terms]
    if unnamed:
        raise TypeError(f"cloud profile {facts.name!r} must name {', '.join(unnamed)} in terms")
    return facts


def declare(cls: type) -> type:
    """Class decorator of a components/<cloud>/facts.py: add the cloud's facts (after the built-in ones)."""
    _load("facts")
    facts = _complete(cls)
    _FACTS.setdefault(facts.name, facts)
    return cls


def register(cls: type) -> type:
    """Class decorator of a cloud's profile (facts and hooks): add it, and its facts, to the registry."""
    _load("profile")
    profile = _complete(cls)
    _REGISTRY[profile.name] = profile
    _FACTS[profile.name] = profile
    return cls


def unregister(name: str) -> None:
    """Remove a cloud (tests that register a fake one clean up with this)."""
    _REGISTRY.pop(name, None)
    _FACTS.pop(name, None)


def _load(concern: str) -> None:
    """Import every components/<dir>/<concern>.py once (facts or profile); each declares or registers itself."""
    if concern in _loaded:
        return
    _loaded.add(concern)
    spec = importlib.util.find_spec("aiinfra.components")
    for base in (spec.submodule_search_locations or []) if spec else []:
        for folder in sorted(Path(base).iterdir()):
            if folder.name != BASE and (folder / f"{concern}.py").is_file():
                importlib.import_module(f"aiinfra.components.{folder.name}.{concern}")


def all_facts() -> list[CloudFacts]:
    _load("facts")
    return sorted(_FACTS.values(), key=lambda p: (p.order, p.name))


def all_profiles() -> list[Any]:
    """Every cloud's CloudProfile (components/base/profile.py), loading the profiles."""
    _load("profile")
    return sorted(_REGISTRY.values(), key=lambda p: (p.order, p.name))


def names() -> tuple[str, ...]:
    return tuple(p.name for p in all_facts())


def _unknown(name: str) -> KeyError:
    return KeyError(f"{name!r} is not a cloud aiinfra knows; clouds: {', '.join(names())}")


def facts(name: str) -> CloudFacts:
    """The facts of a cloud, without its hooks; an unknown name says which clouds there are."""
    _load("facts")
    try:
        return _FACTS[name]
    except KeyError:
        raise _unknown(name) from None


def get(name: str) -> Any:
    """The CloudProfile of a cloud (components/base/profile.py: facts and hooks); an unknown name says which
    clouds there are. Typed Any here so that the registry names no type of the layers above it."""
    _load("profile")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise _unknown(name) from None


def by_package(package: str) -> Any:
    """The cloud whose Pulumi type tokens start with `package:`."""
    return next((p for p in all_profiles() if p.pulumi_package == package), None)


def cloud_literal() -> Any:
    """A `Literal` of the registered clouds' names, in registry order, for pydantic models."""
    return Literal[names()]


def choices() -> str:
    """'aws, gcp or azure': for help texts and hints."""
    n = list(names())
    return n[0] if len(n) == 1 else f"{', '.join(n[:-1])} or {n[-1]}"


def bucket_urls() -> str:
    """'s3://, gs://, az://': the URL schemes of the clouds' buckets."""
    return ", ".join(f"{p.bucket_scheme}://" for p in all_facts())


def region_examples() -> str:
    """'aws us-east-1, gcp us-central1, ...': each cloud with its reference region."""
    return ", ".join(f"{p.name} {p.example_region}" for p in all_facts())


def offered_on(capability: str) -> str:
    """'AWS, GCP': the clouds whose profiles offer a capability."""
    return ", ".join(p.display for p in all_facts() if p.capabilities.get(capability, Capability(False, "")).supported) or "no cloud aiinfra knows"


def capability_table() -> list[dict[str, Any]]:
    """One row per cloud and capability, with offers and reason: for `aiinfra catalog` and docs."""
    return [
        {"cloud": p.name, "capability": c, "supported": cap.supported, "offers": list(cap.offers), "reason": cap.reason}
        for p in all_facts()
        for c, cap in ((c, p.capabilities[c]) for c in CAPABILITIES)
    ]


@overload
def module(cloud: str, concern: str) -> ModuleType: ...


@overload
def module(cloud: str, concern: str, *, optional: bool) -> ModuleType | None: ...


def module(cloud: str, concern: str, *, optional: bool = False) -> ModuleType | None:
    """The cloud's file for a concern: aiinfra.components.<cloud>.<concern> (components/base/<concern>.py states
    its contract). The one loader of per-cloud modules; `optional` gives None where the cloud opts out."""
    name = f"aiinfra.components.{cloud}.{concern}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if optional and exc.name == name:
            return None
        raise
