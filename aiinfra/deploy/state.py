"""What a stack's state says: locks, pending operations, data resources, the cloud it was deployed to."""

from __future__ import annotations

import json
import os
import socket
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra import clouds
from aiinfra.deploy.backends import local_path
from aiinfra.deploy.errors import DeployError, PendingOperations

if TYPE_CHECKING:
    from aiinfra.deploy.target import Target


def lock_holders(backend: str, stack: str) -> list[dict[str, Any]]:
    """Lock files of a file backend (pid, username, hostname, timestamp); remote backends can't be read here."""
    if not backend.startswith("file://"):
        return []
    root = local_path(backend) / ".pulumi" / "locks"
    found = []
    for path in sorted(root.rglob("*.json")) if root.is_dir() else []:
        if path.parent.name != stack:
            continue
        try:
            lock = json.loads(path.read_text())
        except (OSError, ValueError):
            lock = {}
        lock["path"] = str(path)
        lock["stale"] = _is_stale(lock)
        found.append(lock)
    return found


def _is_stale(lock: Mapping[str, Any]) -> bool | None:
    """A lock of this host whose process is gone is stale; other hosts' locks can't be judged."""
    if lock.get("hostname") != socket.gethostname() or not isinstance(lock.get("pid"), int):
        return None
    try:
        os.kill(lock["pid"], 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def describe_lock(lock: Mapping[str, Any]) -> str:
    who = f"pid {lock.get('pid')} of {lock.get('username', '?')}@{lock.get('hostname', '?')} since {lock.get('timestamp', '?')}"
    return who + (" — stale: that process is gone" if lock.get("stale") else "")


def pending_operations(deployment: Mapping[str, Any] | None) -> list[dict[str, str]]:
    ops = (deployment or {}).get("pending_operations") or []
    return [{"type": op.get("type", "?"), "urn": op.get("resource", {}).get("urn", "?")} for op in ops]


def resources(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    return list((deployment or {}).get("resources") or [])


def managed(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Cloud resources in the state: no root stack, components or providers."""
    return [r for r in resources(deployment) if r.get("custom") and not r.get("type", "").startswith("pulumi:providers:")]


def down_first(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What `down` removes before anything else: every cloud's provisioner node pools (CloudProfile.down_first), whose
    deletion waits until the instances they launched are gone."""
    kinds = {k for p in clouds.all_profiles() for k in p.down_first}
    return [r for r in managed(deployment) if r.get("type") in kinds]


def data_resources(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What `down` keeps: resources protected or retained on delete (buckets, their key and settings)."""
    return [r for r in managed(deployment) if r.get("protect") or r.get("retainOnDelete")]


def kept_with_data(deployment: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """What `destroy --exclude-protected` leaves: the data resources and, transitively, what they depend on (a file
    system keeps its subnet and network, which cannot go while it is there)."""
    everything = managed(deployment)
    by_urn = {r["urn"]: r for r in everything}
    todo, seen = [r["urn"] for r in data_resources(deployment)], set()
    while todo:
        urn = todo.pop()
        if urn not in seen:
            seen.add(urn)
            todo += by_urn.get(urn, {}).get("dependencies") or []
    return [r for r in everything if r["urn"] in seen]


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def component_label(type_token: str, name: str, environment: str) -> str:
    """`Network`, `ObjectStorage`, `GpuNodePool llm-train-train`: the type, and the name where it says more."""
    short = type_token.split(":")[-1]
    return short if name in ("", environment) else f"{short} {name}"


def urn_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else ""


BUCKET_TYPES = {t for p in clouds.all_profiles() for t in p.bucket_types}
BUCKET_TYPE_PREFIXES = tuple(t for p in clouds.all_profiles() for t in p.bucket_type_prefixes)


def bucket_names(deployment: Mapping[str, Any] | None) -> list[str]:
    """Physical names of the kept buckets (S3 `bucket`, GCS `name`, Azure containers/accounts `name`)."""
    names = []
    for r in data_resources(deployment):
        t = r.get("type", "")
        if t in BUCKET_TYPES or t.startswith(BUCKET_TYPE_PREFIXES):
            out = r.get("outputs") or {}
            names.append(str(out.get("bucket") or out.get("name") or urn_name(r["urn"])))
    return names


def export(stack) -> dict[str, Any]:
    return stack.export_stack().deployment or {}


# Cloud -> the package part of its resources' type tokens, and bucket resource types: from the cloud profiles.
CLOUD_PACKAGES = {p.name: p.pulumi_package for p in clouds.all_profiles()}


def refuse_if_other_cloud(t: Target, deployment: Mapping[str, Any]) -> None:
    """Two specs with one `name:` on different clouds would share a stack: `up` would replace one with the other."""
    mine = CLOUD_PACKAGES[t.env.spec.cloud]
    others = sorted({r["type"].split(":")[0] for r in managed(deployment)} & set(CLOUD_PACKAGES.values()) - {mine})
    if others:
        raise DeployError(
            f"stack {t.stack_name!r} in {t.backend} holds {', '.join(others)} resources, but this spec deploys to {t.env.spec.cloud}; "
            "refusing to replace one environment with another",
            fixes=["give this spec its own `name:`", "or deploy it to another state backend with --backend"],
        )


def refuse_if_interrupted(t: Target, deployment: Mapping[str, Any]) -> None:
    ops = pending_operations(deployment)
    if not ops:
        return
    listed = [f"{op['type']} {op['urn']}" for op in ops]
    raise PendingOperations(
        f"a previous run on {t.stack_name!r} was interrupted with {len(ops)} operation(s) in flight:\n  " + "\n  ".join(listed),
        fixes=[
            "aiinfra refresh SPEC                 # reconcile updates/deletes with the cloud",
            "aiinfra refresh SPEC --clear-pending # also drop pending creates (check the cloud console for orphans first)",
            f"{t.pulumi_hint('stack', 'export', '--file', 'state.json')}   # then edit and `pulumi stack import --file state.json`",
        ],
    )
