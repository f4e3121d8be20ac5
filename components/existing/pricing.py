"""No price source: an existing cluster's prices are the spec's own (existing.prices, per accelerator-hour), so
`aiinfra catalog refresh` skips it and says where its prices come from."""

from __future__ import annotations

from typing import Any, Mapping

from aiinfra.components.base.pricing import Fetched, Progress, SourceSkipped, Want, no_progress


def fetch(wanted: Mapping[str, Want], base_url: str | None = None, progress: Progress = no_progress, http: Any = None, environ: Mapping[str, str] | None = None) -> Fetched:
    raise SourceSkipped("an existing cluster has no price list: set existing.prices in the spec (USD per accelerator-hour, e.g. {H100: 2.5})")
