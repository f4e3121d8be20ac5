"""GCP labels from aiinfra tags: GCP allows only lowercase letters, digits, '-' and '_' (63 characters),
so 'aiinfra.dev/environment' becomes 'aiinfra-dev_environment'."""

from __future__ import annotations

import re
from typing import Mapping

from aiinfra.components.base.errors import ComponentInputError
from aiinfra.problems import Problem

_BAD = re.compile(r"[^a-z0-9_-]")


def _clean(text: str) -> str:
    return _BAD.sub("-", text.lower())[:63]


def label_key(key: str) -> str:
    domain, slash, name = key.rpartition("/")
    out = f"{_clean(domain)}_{_clean(name)}" if slash else _clean(key)
    out = out[:63]
    if not out or not out[0].isalpha():
        out = f"k{out}"[:63]
    return out


def gcp_labels(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags as GCP labels; two tags that would become the same label are an error, not a silent overwrite."""
    out: dict[str, str] = {}
    origin: dict[str, str] = {}
    for key, value in tags.items():
        k = label_key(key)
        if k in out and origin[k] != key:
            raise ComponentInputError("aiinfra:gcp:labels", "", [Problem("tags", f"tags {origin[k]!r} and {key!r} both become the GCP label {k!r}", "rename one of them", key)])
        out[k] = _clean(str(value))
        origin[k] = key
    return out
