"""The cloud registry: one `CloudProfile` per cloud, and the one loader of a cloud's modules.

Cloud-neutral modules (spec, resolve, deploy, preview, the Kubernetes platform, the CLI) iterate this registry
instead of naming clouds. A cloud is the folder components/<cloud>/: its profile.py registers itself, and every
other per-cloud concern is the file of the same name as its base in components/base/ (`module(cloud, concern)`),
so adding a cloud is copying a folder's shape (docs/adding-a-cloud.md).

Built-in profiles are found as components/<dir>/profile.py on first use; `register` adds others (a plugin, or a
test's fake cloud).
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, overload

from aiinfra.components.base.profile import CAPABILITIES, REQUIRED, TERMS, Capability, CapacityErrors, CloudProfile, ReservationShape

if TYPE_CHECKING:
    from aiinfra.problems import Problem
    from aiinfra.spec import EnvironmentSpec

__all__ = ["CAPABILITIES", "REQUIRED", "TERMS", "Capability", "CapacityErrors", "CloudProfile", "ReservationShape", "register", "get", "names", "module"]

# components/base/ holds the contracts, not a cloud.
BASE = "base"

_REGISTRY: dict[str, CloudProfile] = {}
_loaded = False


def register(cls: type[CloudProfile]) -> type[CloudProfile]:
    """Class decorator: add a cloud's profile to the registry (after the built-in ones)."""
    _load()
    profile = cls()
    unset = [a for a in REQUIRED if not isinstance(getattr(profile, a, None), str)]
    if unset:
        raise TypeError(f"cloud profile {cls.__name__} must set {', '.join(unset)} (see docs/adding-a-cloud.md)")
    missing = [c for c in CAPABILITIES if c not in profile.capabilities]
    if missing:
        raise TypeError(f"cloud profile {profile.name!r} must declare capabilities {', '.join(missing)} (each with a reason)")
    unnamed = [t for t in TERMS if t not in profile.terms]
    if unnamed:
        raise TypeError(f"cloud profile {profile.name!r} must name {', '.join(unnamed)} in terms")
    _REGISTRY[profile.name] = profile
    return cls


def unregister(name: str) -> None:
    """Remove a cloud (tests that register a fake one clean up with this)."""
    _REGISTRY.pop(name, None)


def _load() -> None:
    """Import every components/<dir>/profile.py once; each registers itself."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    spec = importlib.util.find_spec("aiinfra.components")
    for base in (spec.submodule_search_locations or []) if spec else []:
        for folder in sorted(Path(base).iterdir()):
            if folder.name != BASE and (folder / "profile.py").is_file():
                importlib.import_module(f"aiinfra.components.{folder.name}.profile")


def all_profiles() -> list[CloudProfile]:
    _load()
    return sorted(_REGISTRY.values(), key=lambda p: (p.order, p.name))


def names() -> tuple[str, ...]:
    return tuple(p.name for p in all_profiles())


def get(name: str) -> CloudProfile:
    """The profile of a cloud; an unknown name says which clouds there are."""
    _load()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a cloud aiinfra knows; clouds: {', '.join(names())}") from None


def by_package(package: str) -> CloudProfile | None:
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
    return ", ".join(f"{p.bucket_scheme}://" for p in all_profiles())


def region_examples() -> str:
    """'aws us-east-1, gcp us-central1, ...': each cloud with its reference region."""
    return ", ".join(f"{p.name} {p.example_region}" for p in all_profiles())


# Which capability a pool's `capacity:` needs.
_CAPACITY_NEEDS = {"spot": "spot", "reserved": "reservations", "flex-start": "flex_start"}


def offered_on(capability: str) -> str:
    """'AWS, GCP': the clouds whose profiles offer a capability."""
    return ", ".join(p.display for p in all_profiles() if p.capabilities.get(capability, Capability(False, "")).supported) or "no cloud aiinfra knows"


def unsupported(spec: "EnvironmentSpec") -> list["Problem"]:
    """Spec features the cloud does not offer, each refused with the reason its profile gives and the clouds
    that offer it."""
    from aiinfra.problems import Problem

    profile = get(spec.cloud)
    problems = []

    def lacks(need: str) -> str | None:
        cap = profile.capabilities.get(need)
        return None if cap is None or cap.supported else f"{profile.display} has no {CAPABILITIES[need]}: {cap.reason} (offered on: {offered_on(need)})"

    for i, pool in enumerate(spec.node_pools):
        path = f"node_pools[{i}]"
        need = _CAPACITY_NEEDS.get(pool.capacity)
        no_capacity = lacks(need) if need else None
        no_block = lacks("capacity_blocks") if pool.reservation_kind == "capacity-block" else None
        no_queue = lacks("queued_provisioning") if pool.queued else None
        if no_capacity:
            problems.append(Problem(f"{path}.capacity", no_capacity, "use capacity: on-demand", pool.capacity))
        if no_block:
            problems.append(Problem(f"{path}.reservation.kind", no_block, "use a targeted reservation (kind: targeted)", "capacity-block"))
        if no_queue:
            problems.append(Problem(f"{path}.queued", no_queue, "remove queued", True))
        if pool.reservation is not None and not (no_capacity or no_block):
            problems += reservation_problems(profile, f"{path}.reservation", pool.reservation)
            shape = profile.reservation
            # A capacity block's or reservation block's zone rule is the profile's own check (it names the block).
            named_block = pool.reservation_kind == "capacity-block" or getattr(pool.reservation, "block", None)
            if shape and shape.zonal and not pool.zone and not named_block:
                problems.append(Problem(f"{path}.zone", shape.zonal, f"set zone: to the reservation's zone ({shape.zone_lookup})"))
    return problems


def reservation_problems(profile: CloudProfile, path: str, reservation: Any) -> list["Problem"]:
    """A reservation written in a shape the cloud does not take (its profile's ReservationShape)."""
    import re

    from aiinfra.problems import Problem, shown

    shape = profile.reservation
    if shape is None:
        return []
    rid = reservation if isinstance(reservation, str) else reservation.id
    block = None if isinstance(reservation, str) else reservation.block
    problems = []
    if not re.match(shape.id_pattern, rid):
        problems.append(Problem(f"{path}" if isinstance(reservation, str) else f"{path}.id", f"{shown(rid)} is not {shape.id_words}", f"e.g. {shape.example}", rid))
    if block is not None and not shape.blocks:
        where = ", ".join(p.display for p in all_profiles() if p.reservation and p.reservation.blocks) or "no cloud aiinfra knows"
        problems.append(Problem(f"{path}.block", f"{profile.display} reservations have no blocks (reservation blocks exist on: {where})", "remove block", block))
    elif block is not None and not re.match(shape.block_pattern, block):
        problems.append(Problem(f"{path}.block", f"{shown(block)} is not a reservation block name", "lowercase letters, digits and hyphens, e.g. my-res-block-001", block))
    return problems


def capability_table() -> list[dict[str, Any]]:
    """One row per cloud and capability, with offers and reason: for `aiinfra catalog` and docs."""
    return [
        {"cloud": p.name, "capability": c, "supported": cap.supported, "offers": list(cap.offers), "reason": cap.reason}
        for p in all_profiles()
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
