"""Where regions are, so that a spec moved to another cloud gets that cloud's nearest region as a hint."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class Location(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    city: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


def _article(cloud: str) -> str:
    """'an AWS': from the cloud's profile."""
    from aiinfra import clouds

    return clouds.get(cloud).article


def _display(cloud: str) -> str:
    from aiinfra import clouds

    return clouds.get(cloud).display


@dataclass(frozen=True)
class Place:
    cloud: str
    region: str
    location: Location


@functools.cache
def locations() -> dict[str, dict[str, Location]]:
    from aiinfra.catalog import CLOUDS, _read_yaml

    raw = _read_yaml("locations.yaml")
    assert isinstance(raw, dict) and set(raw) == set(CLOUDS), "locations.yaml lists every cloud"
    return {cloud: {r: Location.model_validate(v) for r, v in raw[cloud].items()} for cloud in CLOUDS}


def find(region: str) -> Place | None:
    """The region, on whichever cloud names it, with its location."""
    for cloud, regions in locations().items():
        if region in regions:
            return Place(cloud, region, regions[region])
    return None


def _km(a: Location, b: Location) -> float:
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlon = lat2 - lat1, math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(min(1.0, h)))


def nearest(cloud: str, to: str, among: list[str] | None = None) -> list[Place]:
    """The cloud's regions (or those of `among`) by distance from region `to` of any cloud; ties keep catalog order."""
    here = find(to)
    if here is None:
        return []
    mine = locations()[cloud]
    names = [r for r in (among if among is not None else mine) if r in mine and r != to]
    return [Place(cloud, r, mine[r]) for r in sorted(names, key=lambda r: _km(here.location, mine[r]))]


def unknown_region(cloud: str, region: str, known: list[str]) -> tuple[str, str]:
    """Message and hint for a region the cloud's catalog lacks: another cloud's region maps to this cloud's nearest."""
    from aiinfra.problems import did_you_mean, shown

    elsewhere = find(region)
    if elsewhere and elsewhere.cloud != cloud:
        near = nearest(cloud, region, known)
        if near:
            best = near[0]
            return (
                f"{region} is {_article(elsewhere.cloud)} region ({elsewhere.location.city}), not {_article(cloud)} one",
                f"the nearest {_display(cloud)} region is {best.region} ({best.location.city}): set region: {best.region}",
            )
    return (
        f"{shown(region)} is not {_article(cloud)} region in aiinfra's catalog",
        did_you_mean(region, known) or f"{cloud} regions: {', '.join(known)}",
    )
