"""`aiinfra policy list`: every rule the preview, `up` and the CrossGuard pack check."""

from __future__ import annotations

import typer

from aiinfra.cli.common import console, emit_json

app = typer.Typer(help="The policy rules checked by preview, up and the CrossGuard pack (policy-pack/).", no_args_is_help=True)


@app.command("list")
def list_rules(
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of a table"),
    cloud: str = typer.Option(None, "--cloud", help="only the rules of one cloud (and those of every cloud)"),
) -> None:
    """List every rule: id, cloud, severity, enforcement, resource types, remediation and references."""
    from aiinfra import clouds, policy

    if cloud and cloud not in clouds.names():
        from aiinfra.cli.common import fail
        from aiinfra.problems import Problem, did_you_mean

        fail("--cloud", [Problem("--cloud", f"unknown cloud {cloud!r}", did_you_mean(cloud, list(clouds.names())) or f"use {clouds.choices()}", cloud)], as_json)
    rows = [{**r.as_dict(), "cloud": policy.cloud_of(r)} for r in policy.rules()]
    if cloud:
        rows = [r for r in rows if r["cloud"] in (cloud, "all")]
    if as_json:
        emit_json({"rules": rows, "count": len(rows)})
        return
    from rich.markup import escape
    from rich.table import Table

    from aiinfra.cli.fit import Fit, hidden_note

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = Table(title=f"Policy rules ({len(rows)})", title_justify="left")
        for col in ("id", "cloud", "severity", "enforcement", "title", "fix", "refs"):
            if col not in dropped:
                t.add_column(col, no_wrap=col in ("id", "cloud", "severity", "enforcement"))
        for r in rows:
            cells = {"id": r["id"], "cloud": r["cloud"], "severity": r["severity"], "enforcement": r["enforcement"],
                     "title": r["title"], "fix": r["remediation"], "refs": ", ".join(r["refs"])}
            t.add_row(*(escape(v) for k, v in cells.items() if k not in dropped))
        if dropped:
            t.caption = hidden_note(sorted(dropped), "widen the terminal or use --json")
            t.caption_justify = "left"
        return t

    console().print(Fit(build, ["refs", "fix", "cloud"]))
