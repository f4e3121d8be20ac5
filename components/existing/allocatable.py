"""Node facts of an existing cluster for the fit check: what the snapshot recorded, not a formula. The catalog's
vCPUs and memory of a node shape are already its nodes' smallest `status.allocatable`, so nothing more is reserved,
and the labels are the ones every selected node carries (ResolvedPool.carried_labels)."""

from __future__ import annotations

from aiinfra.components.base.allocatable import Reserved

NOTE = "allocatable as the cluster's nodes report it (the snapshot's status.allocatable); DaemonSets already running there take their share"


def reserved(instance_type: str, vcpus: int, memory_gib: float) -> Reserved:
    return Reserved(0, 0, None, (NOTE,))


def cloud_labels(pool, instance_type: str, region: str) -> dict[str, set[str]]:
    return {k: {v} for k, v in pool.carried_labels.items()}


def aiinfra_labels(pool) -> dict[str, str]:
    """What the environment adds to the selected nodes (components/existing/environment.py labels them), besides the common labels."""
    return {}


ACCELERATOR_LABEL_SET = True
SYSTEM_COMMON_LABELS = False  # the system pool's nodes get only aiinfra.dev/pool and aiinfra.dev/role


def extended_resources(env, pool) -> dict[str, int]:
    return {}
