"""The placement record (aiinfra.resolve.placement) in an environment's stack config.

Reading needs no Pulumi CLI, so that the offline `aiinfra preview` shows it too: a local workspace keeps stack
config in its stack settings file, `Pulumi.<stack>.yaml` beside the inline program's Pulumi.yaml (the file the
Automation API's LocalWorkspace.stack_settings reads). Writing goes through the Automation API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiinfra.deploy.backends import data_dir
from aiinfra.resolve.placement import KEY, Record, dumps


def settings_file(stack: str) -> Path | None:
    folder = data_dir() / "workspaces" / stack
    return next((p for ext in (".yaml", ".yml", ".json") if (p := folder / f"Pulumi.{stack}{ext}").is_file()), None)


def read(stack: str) -> Any:
    """The raw `aiinfra:placement` value of the stack's config; None when unset (or kept as a secret)."""
    import json

    import yaml

    path = settings_file(stack)
    if path is None:
        return None
    text = path.read_text(encoding="utf-8")
    settings = (json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)) or {}
    value = (settings.get("config") or {}).get(KEY)
    return None if isinstance(value, dict) and "secure" in value else value


def write(t, records: list[Record]) -> None:
    """Set the record (or remove the key when there is none) in the stack's config."""
    from pulumi import automation as auto

    from aiinfra.deploy.stack import command_failure, open_stack

    stack = open_stack(t, create=False)
    try:
        if records:
            stack.set_config(KEY, auto.ConfigValue(dumps(records)))
        else:
            stack.remove_config(KEY)
    except auto.errors.CommandError as exc:
        raise command_failure(t, exc) from None
