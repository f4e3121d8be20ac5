"""Engine events turned into per-resource progress and a log file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Callable, Mapping

from aiinfra.deploy.backends import log_dir
from aiinfra.deploy.errors import ENVIRONMENT_TYPE
from aiinfra.deploy.state import component_label, resources, urn_name, urn_type


@dataclass
class ResourceProgress:
    urn: str
    type: str
    op: str
    status: str  # running | done | failed
    group: str


class EventLog:
    """Follows Pulumi's engine events: per-resource state grouped by top-level component, failures,
    and every event and output line appended to the run's log file."""

    def __init__(self, log_path: Path, on_change: Callable[[EventLog], None] | None = None):
        self.path = log_path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "a", encoding="utf-8")
        self.parents: dict[str, str] = {}
        self.names: dict[str, str] = {}
        self.resources: dict[str, ResourceProgress] = {}
        self.failures: list[tuple[str, str]] = []
        self.summary: dict[str, int] | None = None
        self.on_change = on_change

    def close(self) -> None:
        self._file.close()

    def know(self, deployment: Mapping[str, Any]) -> None:
        """Parents from the state: deletes arrive children first, before their components' events."""
        for r in resources(deployment):
            if r.get("parent"):
                self.parents[r["urn"]] = r["parent"]

    def line(self, text: str) -> None:
        self._file.write(text + "\n")
        self._file.flush()

    def group_of(self, urn: str) -> str:
        """The component right under the Environment (network, cluster, a GPU pool, storage...)."""
        node = urn
        for _ in range(64):
            parent = self.parents.get(node)
            if parent is None:
                break
            if urn_type(parent) == ENVIRONMENT_TYPE:
                return component_label(urn_type(node), urn_name(node), urn_name(parent))
            node = parent
        types = urn.split("::")[2].split("$") if urn.count("::") >= 3 else []
        if ENVIRONMENT_TYPE in types[:-1] and types.index(ENVIRONMENT_TYPE) + 1 < len(types) - 1:
            return component_label(types[types.index(ENVIRONMENT_TYPE) + 1], "", "")
        return "environment"

    def __call__(self, event) -> None:
        """Runs on the Automation API's event thread: an exception here would stop the progress, so none escapes."""
        try:
            self._handle(event)
        except Exception as exc:  # noqa: BLE001
            self.line(f"aiinfra: could not follow an engine event: {exc!r}")

    def _handle(self, event) -> None:
        self.line(json.dumps(_event_dict(event), default=str))
        changed = False
        for meta, status in (
            (event.resource_pre_event and event.resource_pre_event.metadata, "running"),
            (event.res_outputs_event and event.res_outputs_event.metadata, "done"),
            (event.res_op_failed_event and event.res_op_failed_event.metadata, "failed"),
        ):
            if not meta:
                continue
            state = meta.new or meta.old
            if state and state.parent:
                self.parents[meta.urn] = state.parent
            if meta.type.startswith("pulumi:") or (state is not None and state.custom is False):
                self.names.setdefault(meta.urn, urn_name(meta.urn))
                continue
            op = meta.op.value if hasattr(meta.op, "value") else str(meta.op)
            if op in ("same", "read", "refresh") and status == "running":
                continue
            prev = self.resources.get(meta.urn)
            self.resources[meta.urn] = ResourceProgress(meta.urn, meta.type, op if status == "running" or prev is None else prev.op, status, self.group_of(meta.urn))
            changed = True
        d = event.diagnostic_event
        if d and d.severity == "error":
            self.failures.append((d.urn or "", d.message.strip()))
            changed = True
        if event.summary_event:
            self.summary = dict(event.summary_event.resource_changes or {})
        if changed and self.on_change:
            self.on_change(self)

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.resources.values():
            c = out.setdefault(r.group, {"running": 0, "done": 0, "failed": 0})
            c[r.status] += 1
        return out


def _event_dict(event) -> Any:
    """An EngineEvent as JSON-ready data (the Automation API parses events but cannot write them back)."""
    if event is None or isinstance(event, (str, int, float, bool)):
        return event.value if isinstance(event, Enum) else event
    if isinstance(event, dict):
        return {str(k): _event_dict(v) for k, v in event.items()}
    if isinstance(event, (list, tuple)):
        return [_event_dict(v) for v in event]
    if hasattr(event, "__dict__"):
        return {k: _event_dict(v) for k, v in vars(event).items() if v is not None}
    return repr(event)


def new_log_path(stack: str, operation: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return log_dir() / f"{stack}-{operation}-{stamp}.log"
