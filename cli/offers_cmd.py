"""`aiinfra offers`: the environment priced on every cloud and region that can serve it, cheapest first."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Optional

import typer

from aiinfra import clouds
from aiinfra.cli.common import JsonOpt, SpecArg, UtilizationOpt, console, emit_json, fail, load_env, utilization

CHOSEN = "*"


def _fabric(f: dict[str, Any] | None) -> str:
    from aiinfra.cli.views import FABRIC_SHORT

    return f", {FABRIC_SHORT.get(f['kind'], f['kind'].upper())} {f['gbps']} Gbps" if f else ""


def _uses(p: dict[str, Any]) -> str:
    """What the pool's accelerators add up to, and which of its alternatives it uses where it has several."""
    if not p["gpu"]:
        return ""
    memory = f", {p['accelerator_memory_gib_total']:g} GiB" if p["accelerator_memory_gib_total"] else ""
    choice = f"; choice {p['alternative'] + 1} of {p['alternatives']}" if p.get("alternatives", 0) > 1 and p["alternative"] is not None else ""
    return f" ({p['gpus_total']} × {p['gpu']}{memory}{choice})"


def _pools(o: dict[str, Any], fabric: bool) -> str:
    """One line per pool the user wrote (the system pool is in the totals, said in the caption)."""
    lines = []
    for p in o["pools"]:
        if p["name"] == "system":
            continue
        nodes = str(p["nodes_min"]) if p["nodes_min"] == p["nodes_max"] else f"{p['nodes_min']}..{p['nodes_max']}"
        borrowed = f"; priced as {o['priced_as'][p['name']]}" if p["name"] in o.get("priced_as", {}) else ""
        lines.append(f"{p['name']}: {nodes} × {p['instance_type']}{_uses(p)}" + (_fabric(p["fabric"]) if fabric else "") + borrowed)
    return "\n".join(lines) or "(system pool only)"


ELSEWHERE = "~"


def _figures(o: dict[str, Any], lo: float, hi: float) -> str:
    from aiinfra.cli.views import money

    mark = ("+?" if o["unpriced"] else "") + (ELSEWHERE if o["priced_elsewhere"] else "")
    return f"{money(lo)}{mark}\n{money(hi)}{mark}"


CO2_NOTE = "kgCO2e: location-based (yearly grid average where the region is, Electricity Maps), at the default or --utilization; `cost` breaks it down."


def co2_cell(o: dict[str, Any]) -> str:
    from aiinfra.report.energy import amount

    return f"{amount(o['kgco2e_per_month_min'])}\n{amount(o['kgco2e_per_month_max'])}"


def table(data: dict[str, Any], title: str | None = None):
    """Money stacked min over max, so that an 80-column terminal keeps every figure whole."""
    from rich.markup import escape
    from rich.table import Table

    from aiinfra.cli.fit import Fit, hidden_note

    rows = data["offers"]
    notes = list(dict.fromkeys(n for o in rows for n in o["notes"]))
    h = data["hours_per_month"]

    def build(dropped: frozenset[str], light: bool) -> Table:
        served = data.get("served", len(rows))
        n = served + len(data["unserved"])
        heading = title or f"Offers for {data['environment']}: {served} of {n} regions can serve it, by {data.get('sort', 'preference')} (USD; 1 month = {h} h)"
        t = Table(title=escape(heading), title_justify="left", show_lines=not light)
        t.add_column("#", justify="right")
        t.add_column("cloud region")
        t.add_column("node pools")
        t.add_column("$/h min–max", justify="right")
        if "spot" not in dropped:
            t.add_column("spot $/h", justify="right")
        t.add_column("$/month min–max", justify="right")
        t.add_column("kgCO2e/month min–max", justify="right")
        for o in rows:
            where = f"{CHOSEN} " if o["chosen"] else ""
            cells = [
                str(o.get("rank", "")),
                escape(f"{where}{o['cloud']} {o['region']}"),
                escape(_pools(o, "fabric" not in dropped)),
                escape(_figures(o, o["hourly_usd_min"], o["hourly_usd_max"])),
                *([escape(_figures(o, o["hourly_usd_spot_min"], o["hourly_usd_spot_max"]))] if "spot" not in dropped else []),
                escape(_figures(o, o["monthly_usd_min"], o["monthly_usd_max"])),
                escape(co2_cell(o)),
            ]
            t.add_row(*cells)
            if light and o is not rows[-1]:
                t.add_row(*[""] * len(cells))
        lines = [f"{CHOSEN} the spec's own cloud and region. Totals include the system pool and fixed costs, as `aiinfra cost` counts them."]
        if any(o["unpriced"] for o in rows):
            lines.append("+? some of it is unpriced (a type the catalog has no price for, or a pinned type outside it): the figure is a lower bound.")
        if any(o["priced_elsewhere"] for o in rows):
            lines.append(f"{ELSEWHERE} a pool priced at another region's figure: the catalog has none for this region (`--json`: price_note).")
        if "spot" not in dropped:
            lines.append("spot $/h: every pool you wrote on spot where the catalog has a spot price here (the system pool stays on-demand).")
        lines += [f"note: {n}" for n in notes] + [CO2_NOTE]
        if dropped:
            lines.append(hidden_note(sorted(dropped)))
        t.caption = "\n".join(escape(line) for line in lines)
        t.caption_justify = "left"
        return t

    return Fit(build, ["fabric", "spot"])


def unserved_lines(data: dict[str, Any]) -> list[str]:
    """Regions that cannot serve the environment, grouped per cloud by the same reasons (the region's name
    replaced by "this region"), each reason naming its pool."""
    def reason(p: dict[str, Any], region: str) -> str:
        path = re.sub(r"^node_pools\[\d+\]", p["pool"], p["path"]) if p["pool"] else p["path"]
        return f"{path}: {p['message'].replace(region, 'this region')}"

    groups: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for u in data["unserved"]:
        key = (u["cloud"], tuple(reason(p, u["region"]) for p in u["problems"]))
        groups.setdefault(key, []).append(u["region"])
    lines = []
    for (cloud, reasons), regions in groups.items():
        lines.append(f"{cloud} {', '.join(regions)}:")
        lines += [f"    {r}" for r in reasons]
    return lines


def freshness_lines(offers: list[dict[str, Any]]) -> list[str]:
    """Per cloud, where its offers' prices come from and how old they are; one warning when any is stale."""
    per_cloud: dict[str, dict[str, None]] = {}
    warnings = []
    for o in offers:
        fresh = o["freshness"]
        for p in fresh["prices"]:
            per_cloud.setdefault(o["cloud"], {})[p["text"].split(": ", 1)[1]] = None
        if fresh["warning"]:
            warnings.append(max((p["age_days"] or 0 for p in fresh["prices"] if p["stale"]), default=0))
    lines = [f"Prices on {cloud}: {'; '.join(texts)}." for cloud, texts in per_cloud.items()]
    if warnings:
        from aiinfra.catalog.freshness import REFRESH_HINT, STALE_DAYS

        lines.append(f"warning: some prices are up to {max(warnings)} days old (over {STALE_DAYS} days); {REFRESH_HINT}.")
    return lines


def _top(offers: list[dict], n: int) -> list[dict]:
    """The n cheapest, plus the spec's own choice wherever it ranks, so the table always shows it."""
    shown = offers[:n]
    chosen = [o for o in offers[n:] if o.get("chosen")]
    return shown + chosen


def _check_sort(sort: str, as_json: bool) -> None:
    from aiinfra.problems import Problem, did_you_mean
    from aiinfra.resolve.ranking import SORT_KEYS

    if sort not in SORT_KEYS:
        choices = ", ".join(f"{k} ({what})" for k, (what, _) in SORT_KEYS.items())
        fail("aiinfra offers", [Problem("--sort", f"unknown order {sort!r}", did_you_mean(sort, list(SORT_KEYS)) or f"orders: {choices}", sort)], as_json)


def _apply(spec: Path, env: Any, data: dict[str, Any], n: int, out: Optional[Path], as_json: bool) -> None:
    """Write the spec moved to offer n (its # in the table), after checking that it resolves."""
    from aiinfra.problems import Problem
    from aiinfra.resolve.apply_offer import check, moved_text

    rows = {o["rank"]: o for o in data["offers"] + data["borrowed"]}
    if n not in rows:
        fail("aiinfra offers", [Problem("--apply", f"there is no offer #{n}", f"pick one of 1..{len(rows)} (the # column)" if rows else "no region can serve the spec", n)], as_json)
    text = moved_text(spec, env, rows[n])
    problems = check(text, str(out or spec))
    if problems:
        fail(f"offer #{n} ({rows[n]['cloud']} {rows[n]['region']})", problems, as_json)
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text)
    typer.echo(f"wrote {out}: {spec.name} moved to offer #{n}, {rows[n]['cloud']} {rows[n]['region']} (checked: it resolves)", err=True)


def offers_command(
    spec: Path = SpecArg,
    clouds_opt: Optional[str] = typer.Option(None, "--clouds", metavar="CLOUDS", help=f"only these clouds, comma-separated ({clouds.choices()}); default: all"),
    top: int = typer.Option(10, "--top", min=0, help="show the first N offers in the table (0: all; --json always has all)"),
    sort: str = typer.Option("preference", "--sort", metavar="ORDER", help="preference (the spec's gpu: order first, then price), price, spot, carbon (lowest kgCO2e/month at maximum size, unknown last), or another key of aiinfra.resolve.ranking.SORT_KEYS"),
    include_borrowed: bool = typer.Option(False, "--include-borrowed", help="rank offers priced at another region's figure among the others (default: listed apart)"),
    apply: Optional[int] = typer.Option(None, "--apply", metavar="N", min=1, help="write the spec moved to offer N (the # column) instead of the table, checked first"),
    out: Optional[Path] = typer.Option(None, "-o", "--output", metavar="FILE", help="with --apply: write here (default: stdout)"),
    util: Optional[float] = UtilizationOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The environment priced on every cloud and region that can serve all its pools, in the spec's order of preference, then cheapest first, each with its
    location-based kgCO2e."""
    from aiinfra.resolve.offers import check_clouds, offers

    _check_sort(sort, as_json)
    only = None
    if clouds_opt is not None:
        only, problems = check_clouds(clouds_opt.split(","))
        if problems or not only:
            from aiinfra.problems import Problem

            fail("aiinfra offers", problems or [Problem("--clouds", "no cloud named", f"e.g. --clouds {','.join(clouds.names())}")], as_json)
    scope = utilization(util, as_json)
    env = load_env(spec, as_json, placement=False)  # offers move the spec, not a deployed stack
    with scope:
        data = offers(env, only, str(spec), sort=sort, include_borrowed=include_borrowed)
    if apply is not None:
        _apply(spec, env, data, apply, out, as_json)
        return
    if as_json:
        emit_json(data)
        return
    c = console()
    if data["offers"]:
        shown = data["offers"] if top == 0 else _top(data["offers"], top)
        c.print(table({**data, "offers": shown, "served": len(data["offers"]) + len(data["borrowed"])}))
        if len(shown) < len(data["offers"]):
            c.print(f"{len(data['offers']) - len(shown)} more offers: --top 0 shows all.", markup=False, highlight=False, style="dim")
    elif not data["borrowed"]:
        c.print(f"No region of {', '.join(data['clouds'])} can serve {data['environment']}.", markup=False, highlight=False)
    if data["borrowed"]:
        shown = data["borrowed"] if top == 0 else data["borrowed"][:top]
        c.print(table({**data, "offers": shown, "served": len(data["offers"]) + len(data["borrowed"])}, f"Priced as another region, not ranked ({len(data['borrowed'])}; --include-borrowed ranks them)"))
        if len(shown) < len(data["borrowed"]):
            c.print(f"{len(data['borrowed']) - len(shown)} more: --top 0 shows all.", markup=False, highlight=False, style="dim")
    lines = unserved_lines(data)
    if lines:
        c.print(f"Cannot serve it ({len(data['unserved'])} regions; `--json` has every problem with its hint):", markup=False, highlight=False)
        for line in lines:
            c.print(f"  {line}", markup=False, highlight=False)
    for line in freshness_lines(data["offers"] + data["borrowed"]):
        c.print(line, markup=False, highlight=False, style="dim" if not line.startswith("warning:") else None)
    c.print("[dim]Offline, from aiinfra's catalog: no credentials, no Pulumi program.[/]")
