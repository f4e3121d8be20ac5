"""Energy and carbon figures: grid intensity per region (data/carbon.yaml, ODbL, Electricity Maps) and power,
PUE and Google's own GCP figures (data/energy.yaml). One parser; lookups answer None for what no one publishes,
so that an unknown never reads as zero."""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class GridFigure(_Strict):
    gco2e_per_kwh: float = Field(ge=0, le=2000)
    year: int = Field(ge=2000, le=2100)
    source: str = Field(description="key into GridData.sources")
    zone: str | None = None
    grid_cfe_pct: float | None = Field(default=None, ge=0, le=100, description="the zone's carbon-free share (not a provider metric)")
    zone_mapped_by: str | None = None


class GridData(_Strict):
    basis: str
    licence: str
    sources: dict[str, str]
    regions: dict[str, dict[str, GridFigure]]
    unknown: dict[str, dict[str, str]] = Field(default_factory=dict, description="cloud -> region -> why it has no figure")


class Pue(_Strict):
    pue: float = Field(ge=1, le=3)
    year: int = Field(ge=2000, le=2100)
    source: str | None = None


class CpuWatts(_Strict):
    min: float = Field(ge=0)
    max: float = Field(ge=0)


class CloudPower(_Strict):
    cpu_watts_per_vcpu: CpuWatts
    cpu_source: str
    fleet_pue: Pue
    region_source: str
    regions: dict[str, Pue] = Field(default_factory=dict)
    own_grid_figures: bool = False  # the provider publishes its own grid figure per region (the `google` table)


class AcceleratorPower(_Strict):
    watts: float | Literal["unknown"]
    basis: Literal["device", "datasheet", "third-party"] | None = None
    source: str


class GoogleFigure(_Strict):
    gco2e_per_kwh: float = Field(ge=0, le=2000)
    year: int
    cfe_pct: float = Field(ge=0, le=100)


class EnergyData(_Strict):
    default_utilization: float = Field(ge=0, le=1)
    utilization_source: str
    memory_watts_per_gib: float = Field(ge=0)
    memory_source: str
    clouds: dict[str, CloudPower]
    accelerators: dict[str, AcceleratorPower]
    google_source: str
    google: dict[str, GoogleFigure] = Field(default_factory=dict)


@functools.cache
def grid() -> GridData:
    from aiinfra.catalog import _read_yaml

    return GridData.model_validate(_read_yaml("carbon.yaml"))


@functools.cache
def energy() -> EnergyData:
    from aiinfra.catalog import _read_yaml

    return EnergyData.model_validate(_read_yaml("energy.yaml"))


def grid_factor(cloud: str, region: str) -> GridFigure | None:
    return grid().regions.get(cloud, {}).get(region)


def grid_source(figure: GridFigure) -> str:
    return grid().sources.get(figure.source, figure.source)


def pue(cloud: str, region: str) -> tuple[Pue | None, str, str]:
    """(PUE, "region" or "fleet", source): the provider's own region figure where published, else its fleet's;
    (None, "unknown", "") for a cloud with no figures (an existing cluster, whose data centre aiinfra cannot know)."""
    power = energy().clouds.get(cloud)
    if power is None:
        return None, "unknown", ""
    here = power.regions.get(region)
    if here is not None:
        return here, "region", here.source or power.region_source
    return power.fleet_pue, "fleet", power.fleet_pue.source or ""


def accelerator_watts(model: str | None) -> float | None:
    """Board power of one accelerator; None where the vendor publishes none (or the model is not in the table)."""
    if model is None:
        return None
    entry = energy().accelerators.get(model)
    return None if entry is None or entry.watts == "unknown" else float(entry.watts)


def unknown_reason(model: str) -> str:
    entry = energy().accelerators.get(model)
    return entry.source if entry is not None else f"{model} is not in aiinfra/catalog/data/energy.yaml"


def google(region: str) -> GoogleFigure | None:
    return energy().google.get(region)


def budget_problems(spec) -> list:
    """A carbon budget needs the region's grid factor to be measured at all: without one it is bad input (exit 2),
    not a policy finding. (Unknown accelerator power fails the budget rule closed instead.)"""
    if getattr(spec.policy, "max_kgco2e_month", None) is None or grid_factor(spec.cloud, spec.region) is not None:
        return []
    from aiinfra.problems import Problem

    why = grid().unknown.get(spec.cloud, {}).get(spec.region, "aiinfra/catalog/data/carbon.yaml has no figure for it")
    covered = sorted(grid().regions.get(spec.cloud, {}))
    return [Problem(
        "policy.max_kgco2e_month",
        f"a carbon budget is set, but {spec.cloud} {spec.region} has no grid carbon figure ({why}), so it cannot be measured",
        f"remove policy.max_kgco2e_month, or move to a region with a figure (`aiinfra offers --sort carbon` lists them; e.g. {', '.join(covered[:3])})",
        spec.policy.max_kgco2e_month,
    )]
