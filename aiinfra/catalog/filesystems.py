"""Each cloud's managed file systems and bucket mounting, from data/filesystems.yaml: sizes, tiers, prices."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sizes(_Strict):
    """Valid capacities: `also`, then min + k*step up to `until`, then until + k*then_step, up to `max`."""

    min: float
    step: float
    also: list[float] = Field(default_factory=list)
    until: float | None = None
    then_step: float | None = None
    max: float | None = None

    def valid(self, size: float) -> bool:
        if size in self.also:
            return True
        if size < self.min or (self.max is not None and size > self.max):
            return False
        if self.until is None or size <= self.until:
            return _multiple(size - self.min, self.step)
        return self.then_step is not None and _multiple(size - self.until, self.then_step)

    def nearest(self, size: float, n: int = 2) -> list[float]:
        """The valid sizes next to `size`: the one below and the one above (or the two smallest/largest)."""
        cands = set(self.also)
        size = min(size, self.max) if self.max is not None else size
        for base, step, top in ((self.min, self.step, self.until), (self.until, self.then_step, self.max)):
            if base is None or step is None:
                continue
            k = max(0, int((size - base) // step))
            for i in (k - 1, k, k + 1, k + 2):
                v = base + i * step
                if i >= 0 and (top is None or v <= top) and (self.max is None or v <= self.max):
                    cands.add(v)
        ordered = sorted(cands, key=lambda v: (abs(v - size), v))
        return sorted(ordered[:n])


def _multiple(x: float, step: float) -> bool:
    q = x / step
    return abs(q - round(q)) < 1e-9


class Tier(_Strict):
    throughput: int  # MB/s per TiB
    sizes: Sizes
    sku: str | None = None
    usd_per_unit_month: float | None
    price_region: str | None = None  # the region the figure was read for; another region's spec is told so
    price_source: str
    price_as_of: str


class LustreOffer(_Strict):
    service: str
    unit: str
    gib_per_tib: int
    default_throughput: int
    ports: list[int | str]
    source: str
    tiers: list[Tier]
    deployment_type: str | None = None
    subnet_prefix: list[dict[str, int]] = Field(default_factory=list)

    def tier(self, throughput: int) -> Tier | None:
        return next((t for t in self.tiers if t.throughput == throughput), None)

    def per_tib(self) -> float:
        """Units per TiB as the cloud labels its sizes."""
        return 1.0 if self.unit == "TiB" else float(self.gib_per_tib)


class CloudData(_Strict):
    lustre: LustreOffer | None = None
    bucket_mount: str | None = None
    mount_pod_annotations: dict[str, str] = Field(default_factory=dict)


@functools.cache
def _all() -> dict[str, CloudData]:
    from aiinfra.catalog import _read_yaml

    raw: dict[str, Any] = _read_yaml("filesystems.yaml")
    return {cloud: CloudData.model_validate(v) for cloud, v in raw.items()}


def cloud_data(cloud: str) -> CloudData:
    """A cloud with no entry offers neither file systems nor bucket mounts."""
    return _all().get(cloud, CloudData())


def offer(cloud: str, kind: str) -> LustreOffer | None:
    return getattr(cloud_data(cloud), kind, None)
