"""Small helpers shared by the cloud component folders."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

import pulumi


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    """Options for a child resource: always parented, so URNs and `down` follow the component tree."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def merge_tags(*layers: Mapping[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for layer in layers:
        out.update(layer or {})
    return out


def to_json(doc: Any) -> pulumi.Output[str]:
    """JSON of a document that may hold Outputs (ARNs known only after creation)."""
    return pulumi.Output.from_input(doc).apply(lambda d: json.dumps(d, sort_keys=True))


def per_key(mapping: pulumi.Output[dict[str, str]], keys: Iterable[str], fmt: str = "{}") -> dict[str, pulumi.Output[str]]:
    """One Output per key of a component's name map, optionally formatted (a bucket name into its s3:// URL)."""
    def one(key: str) -> pulumi.Output[str]:
        return mapping.apply(lambda m: fmt.format(m[key]))

    return {k: one(k) for k in keys}
