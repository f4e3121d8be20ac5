"""Human output of the CLI (rich). The JSON output is the contract; this is for people."""

from __future__ import annotations

from typing import Any, Iterable

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from aiinfra.problems import Problem


def _monthly(hourly: float | None, hours: int) -> float | None:
    return None if hourly is None else hourly * hours


def money(v: float | None) -> str:
    if v is None:
        return "—"
    if 0 < v < 0.01:
        return f"${v:,.4f}"
    return f"${v:,.3f}" if v < 1 else f"${v:,.2f}"


def problems(console: Console, source: str, items: Iterable[Problem]) -> None:
    items = list(items)
    noun = "problem" if len(items) == 1 else "problems"
    console.print(f"[bold red]✗ {source}[/] is not valid ({len(items)} {noun}):")
    for p in items:
        console.print(f"  [bold]{p.path}[/]: {p.message}", highlight=False)
        if p.hint:
            console.print(f"      [cyan]hint:[/] {p.hint}", highlight=False)
    console.print("Nothing was created.", style="dim")


def _short_type(token: str) -> str:
    return token.split(":")[-1] if not token.startswith("aiinfra:") else token


def resource_tree(data: dict[str, Any]) -> Tree:
    resources = data["resources"]
    root = Tree(f"[bold]{data['environment']}[/] on {data['cloud']} {data['region']} ({len(resources)} resources)")
    nodes: dict[str, Tree] = {}
    for r in resources:
        parent = nodes.get(r["parent"], root)
        label = f"[green]{r['type']}[/] {r['name']}" if not r["custom"] else f"{_short_type(r['type'])} [dim]{r['name']}[/]"
        if r["type"] == "kubernetes:helm.sh/v4:Chart":
            inputs = r.get("inputs") or {}
            chart = str(inputs.get("chart", "")).rsplit("/", 1)[-1]
            label = f"[green]Chart[/] [cyan]{chart} {inputs.get('version')}[/] [dim]{r['name']} → {inputs.get('namespace')}[/]"
        opts = r.get("options") or {}
        if opts.get("protect"):
            label += " [yellow](protected, kept on down)[/]" if opts.get("retain_on_delete") else " [yellow](protected)[/]"
        nodes[r["urn"]] = parent.add(label)
    return root


def gpu_table(data: dict[str, Any]) -> Table:
    t = Table(title="Node pools", title_justify="left")
    for col in ("pool", "instance type", "GPUs/node", "fabric", "nodes", "capacity", "$/h per node"):
        t.add_column(col, no_wrap=col in {"pool", "instance type"}, justify="right" if col.startswith("$") else "left")
    for p in data["node_pools"]:
        f = p["fabric"]
        fabric = f"{f['kind'].upper()} {f['interfaces']}× / {f['gbps']} Gbps" if f else "—"
        gpus = f"{p['gpus_per_node']} × {p['gpu']}" if p["gpu"] else f"CPU, {p['vcpus']} vCPU"
        t.add_row(p["name"], p["instance_type"], gpus, fabric, f"{p['nodes_min']}..{p['nodes_max']}", p["capacity"], money(p["hourly_usd_per_node"]))
    t.caption = "\n".join(
        f"{p['name']}: {p['reason']}" + (f" ({p['price_note']})" if p["price_note"] else "")
        + "".join(f"\n  [yellow]note:[/] {escape(n)}" for n in p.get("notes", []))
        for p in data["node_pools"]
    )
    t.caption_justify = "left"
    return t


def cost_table(data: dict[str, Any]) -> Table:
    cost = data["cost"]
    t = Table(title=f"Cost (USD; 1 month = {cost['hours_per_month']} h)", title_justify="left")
    t.add_column("item", no_wrap=True)
    t.add_column("qty", justify="right")
    t.add_column("$/h each", justify="right")
    t.add_column("$/h min", justify="right")
    t.add_column("$/h max", justify="right")
    t.add_column("$/month min", justify="right")
    t.add_column("$/month max", justify="right")
    h = cost["hours_per_month"]
    notes: list[str] = []
    for i in cost["items"]:
        qty = str(i["quantity_min"]) if i["quantity_min"] == i["quantity_max"] else f"{i['quantity_min']}..{i['quantity_max']}"
        label = i["item"]
        if i["note"]:
            if i["note"] not in notes:
                notes.append(i["note"])
            label += f" [{notes.index(i['note']) + 1}]"
        t.add_row(
            label, qty, money(i["hourly_usd_each"]), money(i["hourly_usd_min"]), money(i["hourly_usd_max"]),
            money(_monthly(i["hourly_usd_min"], h)), money(_monthly(i["hourly_usd_max"], h)),
        )
    t.add_section()
    t.add_row(
        "[bold]total[/]", "", "", f"[bold]{money(cost['hourly_usd_min'])}[/]", f"[bold]{money(cost['hourly_usd_max'])}[/]",
        f"[bold]{money(cost['monthly_usd_min'])}[/]", f"[bold]{money(cost['monthly_usd_max'])}[/]",
    )
    lines = [f"[{n}] {text}" for n, text in enumerate(notes, 1)]
    lines.append(f"Excludes {cost['excludes']}.")
    lines.append(f"Prices as of {cost['prices_as_of']}: snapshots, not live prices.")
    t.caption = "\n".join(lines)
    t.caption_justify = "left"
    return t


def catalog_table(rows: list[dict[str, Any]], region_note: str) -> Table:
    t = Table(title=f"GPU instance types ({region_note})", title_justify="left")
    for col in ("cloud", "instance type", "GPU", "#", "GPU GiB", "vCPU", "RAM GiB", "fabric", "on-demand $/h", "spot $/h", "regions"):
        t.add_column(
            col,
            no_wrap=col in {"cloud", "instance type", "GPU"},
            overflow="fold",
            justify="right" if col in {"#", "GPU GiB", "vCPU", "RAM GiB", "on-demand $/h", "spot $/h"} else "left",
        )
    for r in rows:
        f = r["fabric"]
        t.add_row(
            r["cloud"], r["instance_type"], r["gpu"] or "—", str(r["gpu_count"]),
            f"{r['gpu_memory_gib']:g}" if r["gpu_memory_gib"] else "—", str(r["vcpus"]), f"{r['memory_gib']:g}",
            f"{f['kind']} {f['interfaces']}× {f['gbps']}G" if f else "—",
            money(r["on_demand"]), money(r["spot"]), str(len(r["regions"])),
        )
    return t


def cost_markdown(data: dict[str, Any]) -> str:
    """The cost table as GitHub-flavoured Markdown, for CI job summaries and pull-request comments."""
    cost = data["cost"]
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
        f"| **total** | | | **{money(cost['hourly_usd_min'])}** | **{money(cost['hourly_usd_max'])}** "
        f"| **{money(cost['monthly_usd_min'])}** | **{money(cost['monthly_usd_max'])}** |"
    )
    lines += ["", f"Excludes {cost['excludes']}. Prices as of {cost['prices_as_of']}: snapshots, not live prices.", ""]
    return "\n".join(lines)
