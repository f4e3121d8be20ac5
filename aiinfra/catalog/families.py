"""Instance families (data/instance_families.yaml): the accelerator, its count and the CPU architecture a type's
name says, so that a pinned type aiinfra's catalog lacks is never taken for a CPU machine, and an arm64 host gets
an arm64 image."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from aiinfra.catalog.models import Taint, _Strict

Architecture = Literal["x86_64", "arm64"]
X86: Architecture = "x86_64"
ARM: Architecture = "arm64"


class Family(_Strict):
    accelerator: str = Field(description="canonical model (gpus.yaml)")
    pattern: str | None = Field(default=None, description="the family's type names; default: the cloud's pattern")
    sizes: dict[str, int] = Field(default_factory=dict, description="size (the pattern's `size` group) -> accelerators per node")
    architecture: Architecture = X86
    accelerator_type: str | None = Field(default=None, description="GKE's accelerator name")
    note: str | None = Field(default=None, description="what a user of the family must know, shown with the pinned type's warning")
    source: str
    verified: bool = True

    @field_validator("sizes", mode="before")
    @classmethod
    def _text_keys(cls, v: Any) -> Any:
        return {str(k): n for k, n in v.items()} if isinstance(v, dict) else v


class CloudFamilies(_Strict):
    pattern: str = Field(description="a family's type names, {family} for its key")
    families: dict[str, Family]
    arm64_taints: list[Taint] = Field(default_factory=list, description="taints the cloud puts on arm64 nodes itself")

    @model_validator(mode="after")
    def _patterns(self) -> CloudFamilies:
        for key, fam in self.families.items():
            groups = re.compile(self.pattern_of(key)).groupindex
            if ("gpus" in groups) == ("size" in groups) or ("size" in groups) != bool(fam.sizes):
                raise ValueError(f"{key}: its pattern needs one group, `gpus` or `size` (with sizes:)")
        return self

    def pattern_of(self, key: str) -> str:
        return self.families[key].pattern or self.pattern.replace("{family}", re.escape(key))


class FamilyTable(_Strict):
    clouds: dict[str, CloudFamilies]


@dataclass(frozen=True)
class Match:
    """What a type's name says: its family, accelerator, count (None: a size the table lacks) and architecture."""

    family: str
    accelerator: str
    count: int | None
    architecture: str
    accelerator_type: str | None
    source: str
    verified: bool
    note: str | None = None

    @property
    def cited(self) -> str:
        return f"instance family {self.family}"


@functools.lru_cache(maxsize=1)
def table() -> FamilyTable:
    from aiinfra import catalog

    found = FamilyTable.model_validate(catalog._read_yaml("instance_families.yaml"))
    unknown = sorted({f.accelerator for c in found.clouds.values() for f in c.families.values()} - set(catalog.gpus()))
    if unknown:
        raise ValueError(f"instance_families.yaml names accelerators gpus.yaml lacks: {', '.join(unknown)}")
    return found


def lookup(cloud: str, name: str) -> Match | None:
    """The family a type name belongs to, or None where the table has no family of that name."""
    of = table().clouds.get(cloud)
    if of is None:
        return None
    for key, fam in of.families.items():
        m = re.match(of.pattern_of(key), name)
        if m is None:
            continue
        groups = m.groupdict()
        count = int(groups["gpus"]) if groups.get("gpus") else fam.sizes.get(groups.get("size") or "")
        return Match(key, fam.accelerator, count, fam.architecture, fam.accelerator_type, fam.source, fam.verified, fam.note)
    return None


def architecture(cloud: str, name: str) -> str:
    """The CPU architecture of any type, listed in the catalog or not: x86_64 unless its family says arm64."""
    found = lookup(cloud, name)
    return found.architecture if found else X86


def arm64_taints(cloud: str) -> tuple[Taint, ...]:
    of = table().clouds.get(cloud)
    return tuple(of.arm64_taints) if of else ()
