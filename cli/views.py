"""Human output of the CLI (rich). The JSON output is the contract; this is for people."""

from __future__ import annotations

from typing import Any, Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from aiinfra.catalog import freshness
from aiinfra.cli.fit import Fit, hidden_note
from aiinfra.problems import Problem
from aiinfra.resolve.capacity import money


def _monthly(hourly: float | None, hours: int) -> float | None:
    return None if hourly is None else hourly * hours


UNPRICED_MARK = " + unpriced"  # after a total that leaves unpriced items out


def problems(console: Console, source: str, items: Iterable[Problem]) -> None:
    items = list(items)
    noun = "problem" if len(items) == 1 else "problems"
    console.print(f"[bold red]✗ {escape(str(source))}[/] is not valid ({len(items)} {noun}):", highlight=False)
    for p in items:
        console.print(f"  [bold]{escape(p.path)}[/]: {escape(p.message)}", highlight=False)
        if p.hint:
            console.print(f"      [cyan]hint:[/] {escape(p.hint)}", highlight=False)
    console.print("Nothing was created.", style="dim")


def _short_type(token: str) -> str:
    return token.split(":")[-1] if not token.startswith("aiinfra:") else token


def resource_counts(resources: list[dict[str, Any]]) -> tuple[int, int]:
    """(resources the providers create, components that group them): how preview and up both count."""
    created = sum(1 for r in resources if r["custom"])
    return created, len(resources) - created


def counted(resources: list[dict[str, Any]]) -> str:
    created, components = resource_counts(resources)
    return f"{created} resources in {components} components"


def resource_tree(data: dict[str, Any]) -> Tree:
    resources = data["resources"]
    root = Tree(f"[bold]{escape(data['environment'])}[/] on {data['cloud']} {escape(data['region'])} ({counted(resources)})")
    nodes: dict[str, Tree] = {}
    for r in resources:
        parent = nodes.get(r["parent"], root)
        name = escape(str(r["name"]))
        label = f"[green]{escape(r['type'])}[/] {name}" if not r["custom"] else f"{escape(_short_type(r['type']))} [dim]{name}[/]"
        if r["type"] == "kubernetes:helm.sh/v4:Chart":
            inputs = r.get("inputs") or {}
            chart = str(inputs.get("chart", "")).rsplit("/", 1)[-1]
            what = escape(f"{chart} {inputs.get('version')}")
            label = f"[green]Chart[/] [cyan]{what}[/] [dim]{name} → {escape(str(inputs.get('namespace')))}[/]"
        opts = r.get("options") or {}
        if opts.get("protect"):
            label += " [yellow](protected, kept on down)[/]" if opts.get("retain_on_delete") else " [yellow](protected)[/]"
        nodes[r["urn"]] = parent.add(label)
    return root


FABRIC_SHORT = {"infiniband": "IB"}


def _num(t: Table, header: str) -> None:
    """A figure column: never wrapped, never cut (the Fit drops the column instead)."""
    t.add_column(header, justify="right", no_wrap=True, overflow="fold")


def gpu_table(data: dict[str, Any]) -> Fit:
    def build(dropped: frozenset[str], light: bool) -> Table:
        t = Table(title="Node pools", title_justify="left")
        t.add_column("pool", no_wrap=True)
        t.add_column("instance type", no_wrap=True)
        t.add_column("GPUs")
        if "fabric" not in dropped:
            t.add_column("fabric")
        t.add_column("nodes", no_wrap=True, justify="right")
        t.add_column("capacity")
        _num(t, "$/h each")
        for p in data["node_pools"]:
            f = p["fabric"]
            fabric = f"{FABRIC_SHORT.get(f['kind'], f['kind'].upper())} {f['interfaces']}× / {f['gbps']} Gbps" if f else "—"
            gpus = f"{p['gpus_per_node']} × {p['gpu']}" if p["gpu"] else f"CPU, {p['vcpus']} vCPU"
            cells = [p["name"], p["instance_type"], gpus, *([fabric] if "fabric" not in dropped else []),
                     f"{p['nodes_min']}..{p['nodes_max']}", p["capacity"], money(p["hourly_usd_per_node"])]
            t.add_row(*map(escape, cells))
        lines = [
            escape(f"{p['name']}: {p['reason']}" + (f" ({p['price_note']})" if p["price_note"] else ""))
            + (f"\n  scaled by: {escape(p['scaled_by'])}" if p.get("scaled_by") else "")
            + (f"\n  provisioned as: {escape(p['provisioning'])}" if p.get("provisioning") else "")
            + "".join(f"\n  [yellow]note:[/] {escape(n)}" for n in p.get("notes", []))
            for p in data["node_pools"]
        ]
        if dropped:
            lines.append(hidden_note(sorted(dropped), "widen the terminal or use --json"))
        t.caption = "\n".join(lines)
        t.caption_justify = "left"
        return t

    return Fit(build, ["fabric"])


COST_OPTIONAL = ["$/h each", "$/month min", "$/h min"]


def cost_table(data: dict[str, Any]) -> Fit:
    """Every money column is whole at any width: narrow consoles lose whole columns, said in the caption."""
    cost = data["cost"]
    h = cost["hours_per_month"]
    notes: list[str] = []
    for i in cost["items"]:
        if i["note"] and i["note"] not in notes:
            notes.append(i["note"])

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = Table(title=f"Cost (USD; 1 month = {h} h)", title_justify="left")
        t.add_column("item")
        t.add_column("qty", justify="right", no_wrap=True)
        money_cols = [c for c in ("$/h each", "$/h min", "$/h max", "$/month min", "$/month max") if c not in dropped]
        for c in money_cols:
            _num(t, c)
        for i in cost["items"]:
            qty = str(i["quantity_min"]) if i["quantity_min"] == i["quantity_max"] else f"{i['quantity_min']}..{i['quantity_max']}"
            label = escape(i["item"]) + (escape(f" [{notes.index(i['note']) + 1}]") if i["note"] else "")
            figures = {
                "$/h each": i["hourly_usd_each"], "$/h min": i["hourly_usd_min"], "$/h max": i["hourly_usd_max"],
                "$/month min": _monthly(i["hourly_usd_min"], h), "$/month max": _monthly(i["hourly_usd_max"], h),
            }
            t.add_row(label, qty, *(money(figures[c]) for c in money_cols))
        t.add_section()
        totals = {
            "$/h each": None, "$/h min": cost["hourly_usd_min"], "$/h max": cost["hourly_usd_max"],
            "$/month min": cost["monthly_usd_min"], "$/month max": cost["monthly_usd_max"],
        }
        more = UNPRICED_MARK if cost["unpriced"] else ""
        t.add_row("[bold]total[/]", "", *("" if totals[c] is None else f"[bold]{money(totals[c])}[/]{more}" for c in money_cols))
        lines = [escape(f"[{n}] {text}") for n, text in enumerate(notes, 1)]
        lines += [escape(unpriced_line(cost["unpriced"]))] if cost["unpriced"] else []
        lines += [escape(serving_line(cost["serving"]))] if cost.get("serving") else []
        lines.append(escape(f"Excludes {cost['excludes']}."))
        lines += [escape(line) for line in freshness.lines(cost["freshness"])]
        if dropped:
            lines.append(hidden_note([c for c in COST_OPTIONAL if c in dropped], "widen the terminal, or use --markdown or --json"))
        t.caption = "\n".join(lines)
        t.caption_justify = "left"
        return t

    return Fit(build, COST_OPTIONAL)


def serving_line(s: dict[str, Any]) -> str:
    return (f"Serving scales to zero (pool {s['pool']}, {s['replicas_min']}..{s['replicas_max']} replicas): idle {money(s['idle_hourly_usd'])}/h "
            f"({money(s['idle_monthly_usd'])}/month), busy {money(s['busy_hourly_usd'])}/h ({money(s['busy_monthly_usd'])}/month) "
            f"with {s['busy_nodes']} GPU node{'s' if s['busy_nodes'] != 1 else ''}.")


def unpriced_line(unpriced: list[str]) -> str:
    return f"{UNPRICED_MARK.strip()}: the totals leave out {len(unpriced)} unpriced item{'s' if len(unpriced) != 1 else ''} ({'; '.join(unpriced)}), so they are lower bounds."


def cost_markdown(data: dict[str, Any]) -> str:
    """The cost table as GitHub-flavoured Markdown, for CI job summaries and pull-request comments."""
    cost = data["cost"]
    more = UNPRICED_MARK if cost["unpriced"] else ""
    h = cost["hours_per_month"]
    lines = [
        f"### {data['environment']} on {data['cloud']} {data['region']}: cost (USD; 1 month = {h} h)",
        "",
        "| item | qty | $/h each | $/h min | $/h max | $/month min | $/month max |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for i in cost["items"]:
        qty = str(i["quantity_min"]) if i["quantity_min"] == i["quantity_max"] else f"{i['quantity_min']}..{i['quantity_max']}"
        label = i["item"] + (f" ({i['note']})" if i["note"] else "")
        lines.append(
            f"| {label} | {qty} | {money(i['hourly_usd_each'])} | {money(i['hourly_usd_min'])} | {money(i['hourly_usd_max'])} "
            f"| {money(_monthly(i['hourly_usd_min'], h))} | {money(_monthly(i['hourly_usd_max'], h))} |"
        )
    lines.append(
        f"| **total** | | | **{money(cost['hourly_usd_min'])}**{more} | **{money(cost['hourly_usd_max'])}**{more} "
        f"| **{money(cost['monthly_usd_min'])}**{more} | **{money(cost['monthly_usd_max'])}**{more} |"
    )
    lines += ["", *([unpriced_line(cost["unpriced"])] if cost["unpriced"] else []), *([serving_line(cost["serving"])] if cost.get("serving") else []), f"Excludes {cost['excludes']}.", *(f"{line}  " for line in freshness.lines(cost["freshness"])), ""]
    return "\n".join(lines)


ENERGY_OPTIONAL = ["kWh/h each", "kWh/h max", "kgCO2e/h min"]


def energy_rows(e: dict[str, Any]) -> list[tuple[str, str, dict[str, float | None]]]:
    """(pool, utilisation, figures) per pool, then the total; figures None where unknown."""
    rows = [(p["name"], f"{p['utilization']:g}", {
        "kWh/h each": p["kwh_per_node_hour"], "kWh/h max": p["kwh_per_hour_max"], "kgCO2e/h min": p["kgco2e_per_hour_min"],
        "kgCO2e/h max": p["kgco2e_per_hour_max"], "kgCO2e/month min": p["kgco2e_per_month_min"], "kgCO2e/month max": p["kgco2e_per_month_max"],
    }) for p in e["pools"]]
    rows.append(("total", "", {
        "kWh/h each": None, "kWh/h max": e["kwh_per_hour_max"], "kgCO2e/h min": e["kgco2e_per_hour_min"],
        "kgCO2e/h max": e["kgco2e_per_hour_max"], "kgCO2e/month min": e["kgco2e_per_month_min"], "kgCO2e/month max": e["kgco2e_per_month_max"],
    }))
    return rows


def energy_lines(e: dict[str, Any]) -> list[str]:
    grid = "unknown" if e["grid_gco2e_per_kwh"] is None else f"{e['grid_gco2e_per_kwh']:g} gCO2e/kWh ({e['grid_year']}, zone {e['grid_zone']})"
    pue = "unknown" if e["pue"] is None else f"{e['pue']:g} ({e['pue_scope']}, {e['pue_year']})"
    lines = [f"Location-based: grid {grid}, PUE {pue}."]
    if "google_gco2e_per_kwh" in e:
        lines.append(f"Google's own figure for the region: {e['google_gco2e_per_kwh']:g} gCO2e/kWh ({e['google_year']}, direct, not lifecycle), "
                     f"carbon-free energy {e['google_cfe_pct']:g}%.")
    lines += [f"unknown: {u}" for u in e["unknown"]]
    lines.append(f"Excludes {e['excludes']}. {e['attribution']}")
    return lines


def energy_table(data: dict[str, Any]) -> Fit:
    """kWh and kgCO2e per pool and in total, min and max size; unknown figures print as "unknown", never 0."""
    from aiinfra.report.energy import amount

    e = data["energy"]

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = Table(title=f"Energy and carbon (1 month = {e['hours_per_month']} h)", title_justify="left")
        t.add_column("pool")
        t.add_column("util", justify="right", no_wrap=True)
        cols = [c for c in ("kWh/h each", "kWh/h max", "kgCO2e/h min", "kgCO2e/h max", "kgCO2e/month min", "kgCO2e/month max") if c not in dropped]
        for c in cols:
            _num(t, c)
        rows = energy_rows(e)
        for name, util, figures in rows:
            if name == "total":
                t.add_section()
                t.add_row("[bold]total[/]", "", *("" if c == "kWh/h each" else f"[bold]{amount(figures[c])}[/]" for c in cols))
            else:
                t.add_row(escape(name), util, *(amount(figures[c]) for c in cols))
        lines = [escape(line) for line in energy_lines(e)]
        if dropped:
            lines.append(hidden_note([c for c in ENERGY_OPTIONAL if c in dropped], "widen the terminal, or use --json"))
        t.caption = "\n".join(lines)
        t.caption_justify = "left"
        return t

    return Fit(build, ENERGY_OPTIONAL)


def energy_markdown(data: dict[str, Any]) -> str:
    from aiinfra.report.energy import amount

    e = data["energy"]
    lines = [f"#### Energy and carbon (1 month = {e['hours_per_month']} h)", "",
             "| pool | util | kWh/h max | kgCO2e/h min | kgCO2e/h max | kgCO2e/month min | kgCO2e/month max |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name, util, f in energy_rows(e):
        cells = [amount(f[c]) for c in ("kWh/h max", "kgCO2e/h min", "kgCO2e/h max", "kgCO2e/month min", "kgCO2e/month max")]
        lines.append(f"| {'**total**' if name == 'total' else name} | {util} | " + " | ".join(f"**{c}**" if name == "total" else c for c in cells) + " |")
    return "\n".join([*lines, "", *(f"{line}  " for line in energy_lines(e)), ""])


POLICY_OPTIONAL = ["severity", "resource", "fix"]


def policy_table(report: dict[str, Any]) -> Fit | str:
    """Violations first (mandatory before advisory), then waived rules with their reasons; the caption counts.
    With nothing to list, one line instead of an empty table."""
    rows = sorted(report["violations"], key=lambda v: (v["enforcement"] != "mandatory", v["id"]))
    mandatory = sum(1 for v in rows if v["enforcement"] == "mandatory")
    if not rows and not report["waived"]:
        return f"Policy: {report['passed']} rules passed, no findings."

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = Table(title="Policy", title_justify="left")
        t.add_column("rule", no_wrap=True)
        if "severity" not in dropped:
            t.add_column("severity", no_wrap=True)
        t.add_column("status", no_wrap=True)
        if "resource" not in dropped:
            t.add_column("resource")
        t.add_column("finding")
        if "fix" not in dropped:
            t.add_column("fix")
        for v in rows:
            status = "[bold red]mandatory[/]" if v["enforcement"] == "mandatory" else "[yellow]advisory[/]"
            cells = [escape(v["id"]), *([escape(v["severity"])] if "severity" not in dropped else []), status,
                     *([escape(_short_resource(v["resource"]))] if "resource" not in dropped else []), escape(v["message"]),
                     *([escape(v["remediation"])] if "fix" not in dropped else [])]
            t.add_row(*cells)
        for w in report["waived"]:
            n = len(w["violations"])
            cells = [escape(w["id"]), *([""] if "severity" not in dropped else []), "[cyan]waived[/]",
                     *([f"{n} finding{'s' if n != 1 else ''}"] if "resource" not in dropped else []), escape(f"{w['title']}: waived because {w['reason']}"),
                     *([""] if "fix" not in dropped else [])]
            t.add_row(*cells)
        lines = [f"{report['passed']} rules passed, {len(report['waived'])} waived, {mandatory} mandatory and {len(rows) - mandatory} advisory findings."]
        if mandatory:
            lines.append("[bold red]A mandatory rule is broken:[/] preview exits 3 and `aiinfra up` refuses. Fix it, or waive the rule with "
                         "policy.waive: [{rule: ID, reason: ...}].")
        if dropped:
            lines.append(hidden_note(sorted(dropped), "widen the terminal or use --json"))
        t.caption = "\n".join(lines)
        t.caption_justify = "left"
        return t

    return Fit(build, POLICY_OPTIONAL)


def _short_resource(label: str) -> str:
    """"aws:eks/cluster:Cluster llm-train-eks" -> "Cluster llm-train-eks"."""
    token, _, name = label.partition(" ")
    return f"{_short_type(token) if ':' in token else token} {name}".strip()
