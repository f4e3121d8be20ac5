"""up, down, refresh, outputs and status: each returns what happened, nothing prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from aiinfra.deploy.progress import EventLog
from aiinfra.deploy.stack import INPUT_ERRORS, command_failure, open_stack
from aiinfra.deploy.state import (
    bucket_names,
    data_resources,
    down_first,
    export,
    kept_with_data,
    lock_holders,
    managed,
    pending_operations,
    refuse_if_interrupted,
    refuse_if_other_cloud,
)
from aiinfra.deploy.target import Target


@dataclass
class Outcome:
    ok: bool
    log_path: Path
    changes: dict[str, int] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    failures: list[tuple[str, str]] = field(default_factory=list)
    kept: list[dict[str, Any]] = field(default_factory=list)
    kept_buckets: list[str] = field(default_factory=list)
    error: str | None = None
    steps: list[str] = field(default_factory=list)


def up(t: Target, log: EventLog) -> Outcome:
    from pulumi import automation as auto

    stack = open_stack(t, create=True)
    deployment = export(stack)
    refuse_if_other_cloud(t, deployment)
    refuse_if_interrupted(t, deployment)
    INPUT_ERRORS.clear()
    try:
        result = stack.up(on_output=log.line, on_event=log, color="never")
    except auto.errors.ConcurrentUpdateError as exc:
        raise command_failure(t, exc) from None
    except auto.errors.CommandError as exc:
        if INPUT_ERRORS:
            raise INPUT_ERRORS.pop() from None
        return Outcome(False, log.path, log.summary or {}, failures=log.failures, error=command_failure(t, exc).message)
    changes = dict(result.summary.resource_changes or {}) if result.summary else (log.summary or {})
    return Outcome(True, log.path, changes, outputs=dict(result.outputs))


def down_plan(t: Target) -> tuple[Any, dict[str, Any]]:
    stack = open_stack(t, create=False)
    deployment = export(stack)
    refuse_if_interrupted(t, deployment)
    return stack, deployment


def down(t: Target, stack, deployment: Mapping[str, Any], log: EventLog, delete_data: bool) -> Outcome:
    """Destroy the environment, keeping protected data unless delete_data.

    Keeping: `destroy --exclude-protected` leaves every protected resource and what it depends on in
    the cloud and in the state, so the next `up` reuses the buckets. Deleting: a targeted `up` of the
    data resources with storage.delete_with_environment switched on clears protect and
    retain_on_delete and sets force_destroy, then a full `destroy` really deletes them.
    """
    from pulumi import automation as auto

    outcome = Outcome(True, log.path)
    log.know(deployment)
    if not _remove_node_pools(t, stack, deployment, log, outcome):
        return outcome
    data = data_resources(deployment)
    if delete_data and data:
        unlocked = open_stack(t, create=False, delete_data=True)
        outcome.steps.append("up --target <data resources> (protect, retain_on_delete and force_destroy flipped)")
        try:
            unlocked.up(target=[r["urn"] for r in data], on_output=log.line, on_event=log, color="never")
        except auto.errors.ConcurrentUpdateError as exc:
            raise command_failure(t, exc) from None
        except auto.errors.CommandError as exc:
            outcome.ok = False
            outcome.error = "could not lift the data protection, so nothing was destroyed: " + command_failure(t, exc).message
            outcome.failures = log.failures
            return outcome
        stack = unlocked
    keep = not delete_data and bool(data)
    outcome.steps.append("destroy --continue-on-error" + (" --exclude-protected" if keep else ""))
    try:
        stack.destroy(exclude_protected=keep or None, continue_on_error=True, on_output=log.line, on_event=log, color="never")
    except auto.errors.ConcurrentUpdateError as exc:
        raise command_failure(t, exc) from None
    except auto.errors.CommandError as exc:
        outcome.ok = False
        outcome.error = command_failure(t, exc).message
    outcome.failures = log.failures
    outcome.changes = log.summary or {}
    after = export(stack)
    outcome.kept = kept_with_data(after) if keep else data_resources(after)
    outcome.kept_buckets = bucket_names(after)
    leftovers = [r for r in managed(after) if r not in outcome.kept]
    if leftovers:
        outcome.ok = False
        outcome.failures = outcome.failures or [(r["urn"], "still in the state after destroy") for r in leftovers]
    if delete_data and outcome.kept:
        outcome.ok = False
    return outcome


def _remove_node_pools(t: Target, stack, deployment: Mapping[str, Any], log: EventLog, outcome: Outcome) -> bool:
    """A targeted destroy of the provisioner's node pools (Karpenter NodePools, EC2NodeClasses) first: it returns once
    their instances are terminated. If it fails, or any is left, nothing else is destroyed, so the controller, its
    roles and the network stay to terminate what it launched, and `down` can simply run again."""
    from pulumi import automation as auto

    first = down_first(deployment)
    if not first:
        return True
    outcome.steps.append("destroy --target <provisioner node pools> --target-dependents (waits for their instances)")
    error = None
    try:
        stack.destroy(target=[r["urn"] for r in first], target_dependents=True, on_output=log.line, on_event=log, color="never")
    except auto.errors.ConcurrentUpdateError as exc:
        raise command_failure(t, exc) from None
    except auto.errors.CommandError as exc:
        error = command_failure(t, exc).message
    left = down_first(export(stack))
    if error is None and not left:
        return True
    outcome.ok = False
    outcome.error = (
        "the autoscaler's node pools could not be removed, so nothing else was: its controller stays to terminate the "
        f"instances it launched; run down again ({error or 'still in the state: ' + ', '.join(r['urn'] for r in left)})"
    )
    outcome.failures = log.failures or [(r["urn"], "still in the state after the targeted destroy") for r in left]
    outcome.changes = log.summary or {}
    return False


def refresh(t: Target, log: EventLog, clear_pending: bool) -> Outcome:
    from pulumi import automation as auto

    stack = open_stack(t, create=False)
    try:
        result = stack.refresh(clear_pending_creates=clear_pending or None, on_output=log.line, on_event=log, color="never")
    except auto.errors.ConcurrentUpdateError as exc:
        raise command_failure(t, exc) from None
    except auto.errors.CommandError as exc:
        return Outcome(False, log.path, failures=log.failures, error=command_failure(t, exc).message)
    changes = dict(result.summary.resource_changes or {}) if result.summary else {}
    left = pending_operations(export(stack))
    outcome = Outcome(not left, log.path, changes, failures=log.failures)
    if left:
        outcome.error = f"{len(left)} pending create(s) remain; run again with --clear-pending once you have checked the cloud for orphans"
    return outcome


def outputs(t: Target) -> dict[str, Any]:
    """{name: {"value": ..., "secret": bool}}"""
    stack = open_stack(t, create=False)
    try:
        return {k: {"value": v.value, "secret": v.secret} for k, v in stack.outputs().items()}
    except Exception as exc:  # noqa: BLE001
        from pulumi import automation as auto

        if isinstance(exc, auto.errors.CommandError):
            raise command_failure(t, exc) from None
        raise


def status(t: Target) -> dict[str, Any]:
    from pulumi import automation as auto

    stack = open_stack(t, create=False)
    try:
        last = stack.info(show_secrets=False)
        deployment = export(stack)
    except auto.errors.CommandError as exc:
        raise command_failure(t, exc) from None
    data = data_resources(deployment)
    return {
        "environment": t.stack_name,
        "backend": t.backend,
        "last_update": None
        if last is None
        else {
            "kind": last.kind,
            "result": last.result,
            "start_time": last.start_time.isoformat() if last.start_time else None,
            "end_time": last.end_time.isoformat() if last.end_time else None,
            "resource_changes": last.resource_changes,
        },
        "resources": len(managed(deployment)),
        "data_resources": len(data),
        "buckets": bucket_names(deployment),
        "pending_operations": pending_operations(deployment),
        "locks": lock_holders(t.backend, t.stack_name),
        "locks_readable": t.backend.startswith("file://"),
    }
