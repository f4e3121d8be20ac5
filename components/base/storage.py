"""The storage contract: rules every cloud's ObjectStorage states once (the spec states the user-facing version with its hints). Each returns Problems with Args paths."""

from __future__ import annotations

from typing import Sequence

from aiinfra.problems import Problem


def buckets(names: Sequence[str]) -> list[Problem]:
    repeated = sorted({b for b in names if list(names).count(b) > 1})
    return [Problem("buckets", f"bucket names repeat: {repeated}", "list each bucket once", list(names))] if repeated else []
