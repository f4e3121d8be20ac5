"""What a node pool asks of a cloud quota and what the cloud allows: plain records shared by the clouds'
profiles (components/<cloud>/quotas.py) and the check before `up` (aiinfra.deploy.quota)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    """One pool's demand on one quota."""

    pool: str
    quota: str  # the cloud's code or metric (L-417A185B, NVIDIA_H100_GPUS, standardNDSH100v5Family)
    title: str  # what the console calls it
    unit: str  # vCPUs, GPUs
    amount: float
    how_to_raise: str  # a command or console page that requests the increase


@dataclass(frozen=True)
class Limit:
    limit: float
    used: float | None = None  # None where the cloud reports no usage next to the limit


class QuotaUnavailable(Exception):
    """The limits cannot be read here (no SDK, no credentials, no permission): the check is skipped, with why."""
