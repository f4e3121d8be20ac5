"""Refreshed prices: `aiinfra catalog refresh` writes them to one JSON file in the user's cache directory and
catalog loading lays them over the shipped snapshot, price by price (a figure the refresh did not get keeps the
snapshot's). The file is replaced atomically, so a failed or interrupted refresh leaves the previous one whole.

Shape: {"format": 1, "clouds": {cloud: {"fetched": ISO time, "as_of": date, "source": str,
"prices": {type: {region: {"on_demand": usd, "spot": usd}}}, "unpriced": [...], "notes": [...]}}}
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

FORMAT = 1
FILE = "prices-overlay.json"
CACHE_VAR = "AIINFRA_CACHE_DIR"


def cache_dir() -> Path:
    """AIINFRA_CACHE_DIR, else the platform's user cache directory for aiinfra."""
    return Path(_file(os.environ.get(CACHE_VAR) or None)).parent


def path() -> Path:
    return Path(_file(os.environ.get(CACHE_VAR) or None))


@functools.lru_cache(maxsize=8)
def _file(override: str | None) -> str:
    """The overlay's path for an AIINFRA_CACHE_DIR value (cached: every price lookup asks)."""
    if override:
        return os.path.join(override, FILE)
    import platformdirs

    return os.path.join(platformdirs.user_cache_dir("aiinfra"), FILE)


def stamp() -> tuple[str, int, int] | None:
    """What identifies the overlay's current content cheaply (path, mtime, size), None when there is none."""
    p = _file(os.environ.get(CACHE_VAR) or None)
    try:
        st = os.stat(p)
    except OSError:
        return None
    return p, st.st_mtime_ns, st.st_size


def load() -> dict[str, Any]:
    s = stamp()
    return _load(s) if s else {}


@functools.lru_cache(maxsize=8)
def _load(s: tuple[str, int, int]) -> dict[str, Any]:
    """The overlay's clouds; an unreadable or foreign file counts as none (the snapshot stays in use)."""
    try:
        data = json.loads(Path(s[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("clouds"), dict):
        return {}
    return data["clouds"]


def cloud(name: str) -> dict[str, Any] | None:
    entry = load().get(name)
    return entry if isinstance(entry, dict) else None


def lay_over(name: str, raw: Any) -> Any:
    """The catalog file's data with the overlay's prices in place, for types and regions the catalog lists."""
    entry = cloud(name)
    if not entry or not isinstance(raw, dict):
        return raw
    types = raw.get("instance_types") or {}
    for type_name, regions in (entry.get("prices") or {}).items():
        it = types.get(type_name)
        if not isinstance(it, dict) or not isinstance(regions, dict):
            continue
        for region, figures in regions.items():
            here = (it.get("regions") or {}).get(region)
            if here is None or not isinstance(figures, dict):
                continue
            here.update({k: float(v) for k, v in figures.items() if k in ("on_demand", "spot") and isinstance(v, (int, float))})
    return raw


def refreshed(name: str, type_name: str, region: str, field: str) -> dict[str, Any] | None:
    """The cloud's overlay entry when it holds this very figure, else None."""
    entry = cloud(name)
    if not entry:
        return None
    figures = ((entry.get("prices") or {}).get(type_name) or {}).get(region) or {}
    return entry if isinstance(figures.get(field), (int, float)) else None


def write(clouds: dict[str, Any]) -> Path:
    """Replace the overlay atomically: a temporary file in the same directory, then os.replace."""
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".prices-", suffix=".json", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"format": FORMAT, "clouds": clouds}, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
