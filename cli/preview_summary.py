"""`preview --summary`: node pools, cost and policy in a few lines that fit an 80-column terminal or a CI log.

It prints the data plain `preview` computed (aiinfra.report.preview.build) in fewer words: no resource tree, no
per-item cost table. It decides nothing of its own, so the checks and the exit code are preview's.
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from aiinfra.cli import views
from aiinfra.cli.fit import Fit
from aiinfra.resolve.capacity import money

STATUS = {"mandatory": "[bold red]mandatory[/]", "advisory": "[yellow]advisory[/]"}


def _grid(*columns: tuple[str, bool]) -> Table:
    """A borderless table; a column marked True may wrap (between words: Fit's lay_out never cuts a word)."""
    t = Table(box=None, pad_edge=False, show_header=any(h for h, _ in columns), header_style="bold")
    for header, wraps in columns:
        t.add_column(header, no_wrap=not wraps)
    return t


def _nodes(p: dict[str, Any]) -> str:
    return str(p["nodes_min"]) if p["nodes_min"] == p["nodes_max"] else f"{p['nodes_min']}..{p['nodes_max']}"


def pools(data: dict[str, Any]) -> Fit:
    """One line per pool; "scaled by" is preview's own wording (ResolvedEnvironment.scaled_by), "fixed" for a
    pool whose minimum is its maximum."""

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = _grid(("pool", False), ("type", False), ("GPUs", False), ("nodes", False), ("capacity", False), ("scaled by", True))
        t.columns[3].justify = "right"
        for p in data["node_pools"]:
            accel = f"{p['gpus_per_node']} × {p['gpu']}" if p["gpu"] else "CPU"
            t.add_row(*map(escape, (p["name"], p["instance_type"], accel, _nodes(p), p["capacity"], p.get("scaled_by") or "fixed")))
        return t

    return Fit(build)


def cost(data: dict[str, Any]) -> Fit:
    """The totals of `cost` at minimum and maximum size, each marked " + unpriced" as `cost` marks them."""
    c = data["cost"]
    more = views.UNPRICED_MARK if c["unpriced"] else ""

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = _grid((f"Cost (USD; 1 month = {c['hours_per_month']} h)", False), ("min", False), ("max", False))
        for col in t.columns[1:]:
            col.justify = "right"
        t.add_row("per hour", f"[bold]{money(c['hourly_usd_min'])}[/]{more}", f"[bold]{money(c['hourly_usd_max'])}[/]{more}")
        t.add_row("per month", f"[bold]{money(c['monthly_usd_min'])}[/]{more}", f"[bold]{money(c['monthly_usd_max'])}[/]{more}")
        return t

    return Fit(build)


def energy_line(data: dict[str, Any]) -> str:
    """The emissions totals in one line; unknown where any pool's power or the grid factor is."""
    from aiinfra.report.energy import amount

    e = data["energy"]
    line = f"Carbon (location-based): {amount(e['kgco2e_per_month_min'])}..{amount(e['kgco2e_per_month_max'])} kgCO2e/month, {amount(e['kwh_per_hour_max'])} kWh/h at max"
    return line + (f"; unknown: {'; '.join(e['unknown'])}" if e["unknown"] else "")


def findings(report: dict[str, Any]) -> Fit | None:
    """Each finding's rule and message (mandatory first, as preview's policy table orders them), then waived rules."""
    rows = sorted(report["violations"], key=lambda v: (v["enforcement"] != "mandatory", v["id"]))
    if not rows and not report["waived"]:
        return None

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = _grid(("", False), ("", False), ("", True))
        for v in rows:
            t.add_row(STATUS.get(v["enforcement"], escape(v["enforcement"])), escape(v["id"]), escape(v["message"]))
        for w in report["waived"]:
            t.add_row("[cyan]waived[/]", escape(w["id"]), escape(f"{w['title']}: waived because {w['reason']}"))
        return t

    return Fit(build)


def policy_line(report: dict[str, Any]) -> str:
    mandatory = sum(1 for v in report["violations"] if v["enforcement"] == "mandatory")
    advisory = len(report["violations"]) - mandatory
    return f"[bold]Policy:[/] {report['passed']} rules passed, {len(report['waived'])} waived, {mandatory} mandatory and {advisory} advisory findings."


def show(console, data: dict[str, Any]) -> None:
    c = console
    c.print(f"[bold]{escape(data['environment'])}[/] on {data['cloud']} {escape(data['region'])}: {views.counted(data['resources'])}", highlight=False)
    c.print(pools(data))
    c.print(cost(data))
    if data["cost"]["unpriced"]:
        c.print(escape(views.unpriced_line(data["cost"]["unpriced"])), highlight=False)
    c.print(escape(energy_line(data)), highlight=False)
    report = data["policy"]
    c.print(policy_line(report), highlight=False)
    table = findings(report)
    if table is not None:
        c.print(table)
    from aiinfra.policy import mandatory_failed

    if mandatory_failed(report):
        c.print("[bold red]A mandatory rule is broken:[/] preview exits 3 and `aiinfra up` refuses.", highlight=False)
    c.print("[dim]Summary only: drop --summary for the resource tree and every cost item.[/]", highlight=False)
