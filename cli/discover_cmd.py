"""`aiinfra discover`: write the snapshot of a cluster aiinfra did not create (cloud: existing), read-only."""

from __future__ import annotations

import os
import time
from pathlib import Path

import typer


def discover_command(
    context: str = typer.Option(..., "--context", help="the kubeconfig context (the spec's region:)"),
    output: Path = typer.Option(..., "-o", "--output", help="the snapshot file to write (existing.snapshot in the spec)"),
    kubeconfig: str = typer.Option(None, "--kubeconfig", help="the kubeconfig file; default $KUBECONFIG, else ~/.kube/config"),
    as_json: bool = typer.Option(False, "--json", help="print a JSON summary instead of text"),
) -> None:
    """Read a cluster's nodes, Helm releases and permissions (read-only) into a snapshot for `cloud: existing`."""
    from aiinfra.cli.common import console, emit_json, fail
    from aiinfra.components.existing.discover import DiscoverError, discover, write

    path = kubeconfig or (os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or "~/.kube/config")
    started = time.perf_counter()
    try:
        snapshot = discover(path, context)
    except DiscoverError as err:
        fail("aiinfra discover", err.problems, as_json)
    write(snapshot, output)
    from aiinfra.catalog.snapshot import parse

    summary = parse(snapshot, str(output)).summary()
    extra = snapshot["aiinfra"]
    if as_json:
        emit_json({"output": str(output), "context": context, "nodes": len(snapshot["items"]), "summary": summary, "cluster_wide": extra["cluster_wide"],
                   "helm_releases": len(extra["helm_releases"]), "seconds": round(time.perf_counter() - started, 3)})
        return
    out = console()
    out.print(f"wrote {output}: {len(snapshot['items'])} nodes ({summary}), {len(extra['helm_releases'])} Helm releases")
    if not extra["cluster_wide"]:
        out.print(f"warning: the credentials of {context} may not create cluster-wide objects: `up` can install no platform with them")
    out.print(f"use it: cloud: existing, region: {context}, existing: {{snapshot: {output}}}")
