"""The pinned chart data (charts.yaml), typed so a typo in the data file fails at load time."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChartRef(_Strict):
    chart: str
    version: str
    namespace: str | None
    source: str
    repo: str | None = None
    values_file: str | None = None
    schema_file: str | None = None
    verified: bool = True
    # A newer upstream release this pin does not follow yet, and why (its values could not be vendored).
    held_back: str | None = None
    # What aiinfra always sets on this chart; the add-on's code merges what depends on the environment over it.
    values: dict[str, Any] = {}

    @property
    def oci(self) -> bool:
        return self.chart.startswith("oci://")


class ManifestRef(_Strict):
    url: str
    source: str
    verified: bool = True
    # A later upstream commit that changed the file (not followed yet).
    updated: str | None = None


class ChartData(_Strict):
    charts: dict[str, ChartRef]
    manifests: dict[str, ManifestRef]


@lru_cache(maxsize=1)
def chart_data() -> ChartData:
    import yaml

    text = resources.files("aiinfra.components.kubernetes").joinpath("charts.yaml").read_text(encoding="utf-8")
    return ChartData.model_validate(yaml.safe_load(text))


def chart(key: str) -> ChartRef:
    return chart_data().charts[key]


def manifest(key: str) -> ManifestRef:
    return chart_data().manifests[key]
