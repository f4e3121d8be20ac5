"""`aiinfra graph`'s command line; what it draws is cli/graph.py, imported when the command runs, so that
`aiinfra --help` does not build its dataclasses."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from aiinfra.cli.common import UtilizationOpt


class GraphFormat(str, Enum):
    mermaid = "mermaid"
    markdown = "markdown"
    dot = "dot"
    svg = "svg"


def graph_command(
    spec: Path = typer.Argument(..., help="environment spec, e.g. stacks/aws-llm.yaml", show_default=False),
    fmt: GraphFormat = typer.Option(
        GraphFormat.mermaid, "--format", "-f",
        help="mermaid (renders on GitHub), markdown (a heading and a mermaid block, for $GITHUB_STEP_SUMMARY), dot (Graphviz) or svg (needs Graphviz's `dot`)",
    ),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="write to this file instead of stdout"),
    util: Optional[float] = UtilizationOpt,
) -> None:
    """Draw an environment: network, cluster, node pools (GPUs, count, $/h, kgCO2e/h), storage (file systems: who mounts them, what they import), registry, identity, add-ons."""
    import sys

    from aiinfra.cli.common import EXIT_INVALID, console, load_env, utilization
    from aiinfra.cli.graph import INSTALL_GRAPHVIZ, GraphvizMissing, build, to_dot, to_markdown, to_mermaid, to_svg
    from aiinfra.cli.placement import show
    from aiinfra.components.kubernetes.addons.plan import plan

    scope = utilization(util)
    env = load_env(spec)  # placed as `up` builds it
    show(console(stderr=True), env, spec)
    with scope:
        g = build(env, plan(env))
    if fmt is GraphFormat.svg:
        try:
            text = to_svg(to_dot(g))
        except GraphvizMissing as exc:
            err = console(stderr=True)
            err.print(f"[bold red]error:[/] {exc}", highlight=False)
            err.print(f"  [cyan]fix:[/] {INSTALL_GRAPHVIZ}", highlight=False)
            raise typer.Exit(1) from None
    else:
        text = {GraphFormat.mermaid: to_mermaid, GraphFormat.markdown: to_markdown, GraphFormat.dot: to_dot}[fmt](g)
    if output is None:
        sys.stdout.write(text)
        return
    if output.is_dir():
        from aiinfra.cli import views
        from aiinfra.problems import Problem

        views.problems(console(stderr=True), "aiinfra graph", [Problem("--output", f"{output} is a directory", "pass a file path")])
        raise typer.Exit(EXIT_INVALID)
    output.write_text(text, encoding="utf-8")
    console(stderr=True).print(f"wrote {output}", highlight=False, markup=False)
