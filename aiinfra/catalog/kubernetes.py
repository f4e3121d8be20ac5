"""Kubernetes versions that exist: which minor versions each managed service offers on a day, in standard or in
paid extended support (data: aiinfra/catalog/data/kubernetes.yaml), the default version, and the spec's check."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from aiinfra.problems import Problem

STANDARD, EXTENDED, NOT_OFFERED = "standard", "extended", "not offered"
# DRA (resource.k8s.io/v1) and Kueue's topology-aware scheduling need 1.34 (shared/reference k8s-ai-2026.md).
MIN_DEFAULT = (1, 34)


@dataclass(frozen=True)
class Version:
    version: str
    standard_until: dt.date
    extended_until: dt.date
    source: str
    verified: bool = True
    offered_verified: bool = True

    @property
    def key(self) -> tuple[int, int]:
        major, minor = self.version.split(".")
        return int(major), int(minor)

    def status(self, on: dt.date) -> str:
        if on <= self.standard_until:
            return STANDARD
        return EXTENDED if on <= self.extended_until else NOT_OFFERED


@dataclass(frozen=True)
class CloudVersions:
    service: str
    extended: dict[str, Any]
    versions: dict[str, Version]

    def offered(self, on: dt.date) -> list[Version]:
        return sorted((v for v in self.versions.values() if v.status(on) != NOT_OFFERED), key=lambda v: v.key, reverse=True)


@functools.cache
def table() -> dict[str, CloudVersions]:
    from aiinfra.catalog import _read_yaml

    data: Any = _read_yaml("kubernetes.yaml")
    return {
        cloud: CloudVersions(entry["service"], dict(entry["extended"]), {v: Version(v, **row) for v, row in entry["versions"].items()})
        for cloud, entry in data["clouds"].items()
    }


def _today() -> dt.date:
    from aiinfra.catalog.freshness import today

    return today()


def default_version(on: dt.date | None = None) -> str:
    """The newest version every cloud offers in standard support on the day (rows whose existence is verified),
    past the table's dates, the newest version every cloud lists. tests/test_kubernetes_versions.py holds it at
    MIN_DEFAULT or newer on the days the table covers."""
    on = on or _today()
    clouds = table().values()
    common = set.intersection(*({v.key for v in c.versions.values() if v.offered_verified and v.status(on) == STANDARD} for c in clouds))
    if not common:
        common = set.intersection(*({v.key for v in c.versions.values() if v.offered_verified} for c in clouds))
    return ".".join(map(str, max(common)))


def support(cloud: str, version: str, on: dt.date | None = None) -> tuple[str, Version | None]:
    if cloud not in table():  # a cluster aiinfra does not create (cloud: existing) runs the version it runs
        return STANDARD, None
    row = table()[cloud].versions.get(version)
    return (row.status(on or _today()), row) if row else (NOT_OFFERED, None)


def extended(cloud: str, version: str, on: dt.date | None = None) -> bool:
    """The version runs in the cloud's paid extended / long-term support on the day (the cluster asks for it)."""
    return support(cloud, version, on)[0] == EXTENDED


def check(cloud: str, version: str, on: dt.date | None = None) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings): a version the cloud does not offer on the day is a problem listing those it does;
    one in extended support a warning with its price; one the table lists without confirming it exists a warning."""
    on = on or _today()
    if cloud not in table():
        return [], []
    entry = table()[cloud]
    state, row = support(cloud, version, on)
    path = "cluster.kubernetes_version"
    if row is None or state == NOT_OFFERED:
        offered = entry.offered(on)
        listing = ", ".join(f"{v.version} ({v.status(on)} until {v.standard_until if v.status(on) == STANDARD else v.extended_until})" for v in offered)
        why = f"{entry.service} does not offer Kubernetes {version} on {on}" + (f" (all support ended {row.extended_until})" if row else "")
        return [Problem(path, why, f"{entry.service} offers: {listing}" if offered else None, version)], []
    warnings = []
    if state == EXTENDED:
        ext = entry.extended
        price = f"${ext['hourly_usd']:.2f}/h per cluster" + ("" if ext.get("verified") else " (unverified)")
        warnings.append(
            Problem(
                path,
                f"{entry.service} {version} left standard support on {row.standard_until}: the cluster runs in {ext['name']} at {price} until {row.extended_until}",
                f"use {default_version(on)} (the default) to stay in standard support",
                version,
            )
        )
    elif not row.offered_verified:
        warnings.append(Problem(path, f"aiinfra's version table could not confirm that {entry.service} offers {version} (dates estimated)", f"check {entry.service}'s release calendar, or use {default_version(on)}", version))
    return [], warnings


def control_plane_price(cloud: str, version: str, on: dt.date | None = None) -> dict[str, Any] | None:
    """The extended-support price that replaces the control plane's standard one, or None in standard support."""
    return table()[cloud].extended if extended(cloud, version, on) else None
