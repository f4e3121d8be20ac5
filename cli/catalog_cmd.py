"""`aiinfra catalog`: the instance types aiinfra knows, filtered and sorted the way people shop for GPUs."""

from __future__ import annotations

from enum import Enum
from typing import Any, Optional

import typer

from aiinfra import clouds


class SortKey(str, Enum):
    cloud = "cloud"
    name = "name"
    gpu = "gpu"
    gpus = "gpus"
    memory = "memory"
    price = "price"
    spot = "spot"


FLAG_MARKS = "*†‡§"  # beside a price the catalog flags as stale or suspect, one per flag; the caption says which

SORT_HELP = (
    "order rows by: cloud (catalog order), name, gpu (model, then count), gpus (GPUs per node), "
    "memory (GPU memory per node), price (on-demand $/h; spot with --spot) or spot ($/h)"
)


def _rows(cloud: str | None, model: str | None, region: str | None, cpu: bool) -> list[dict[str, Any]]:
    from aiinfra import catalog

    rows = []
    for offer in catalog.offers(cloud, model):
        it = offer.spec
        if not cpu and it.gpu is None:
            continue
        where = region or catalog.cloud_catalog(offer.cloud).reference_region
        if region and region not in it.regions:
            continue
        here = it.regions.get(where)
        on_demand = catalog.price(offer.cloud, offer.name, where, "on-demand")
        spot_origin = catalog.origin(offer.cloud, offer.name, where, "spot") if here and here.spot is not None else None
        rows.append(
            {
                "cloud": offer.cloud,
                "instance_type": offer.name,
                "gpu": it.gpu,
                "gpu_count": it.gpu_count,
                "gpu_memory_gib": it.gpu_memory_gib,
                "vcpus": it.vcpus,
                "memory_gib": it.memory_gib,
                "fabric": it.fabric.model_dump() if it.fabric else None,
                "price_region": where,
                "on_demand": on_demand.hourly_usd,
                "spot": here.spot if here else None,
                "on_demand_origin": on_demand.origin.as_dict() if on_demand.origin else None,
                "spot_origin": spot_origin.as_dict() if spot_origin else None,
                "regions": {r: p.model_dump() for r, p in it.regions.items()},
                "price_source": catalog.cloud_catalog(offer.cloud).sources[it.price_source].model_dump(),
                "flags": it.flags,
                "price_flags": catalog.price_flags(offer.cloud, offer.name),
                "notes": it.notes,
            }
        )
    return rows


def freshness_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Per cloud, where the listed prices come from and how old they are; a warning past the stale age."""
    from aiinfra.catalog.freshness import Origin, summary

    per_cloud: dict[str, list[tuple[str, Origin]]] = {}
    for r in rows:
        for key in ("on_demand_origin", "spot_origin"):
            if r[key]:
                per_cloud.setdefault(r["cloud"], []).append((r["instance_type"], Origin(**r[key])))
    lines, warnings = [], []
    for cloud, priced in per_cloud.items():
        fresh = summary(priced)
        lines.append(f"Prices on {cloud}: " + "; ".join(p["text"].split(": ", 1)[1] for p in fresh["prices"]) + ".")
        warnings += [fresh["warning"]] if fresh["warning"] else []
    if warnings:
        from aiinfra.catalog.freshness import REFRESH_HINT, STALE_DAYS

        lines.append(f"warning: some prices are over {STALE_DAYS} days old or of unknown date; {REFRESH_HINT} (`--json`: each price's source and date).")
    return lines


def _unpriced_last(v: float | None) -> tuple[int, float]:
    return (0, v) if v is not None else (1, 0.0)


def sort_rows(rows: list[dict[str, Any]], key: SortKey, spot: bool) -> list[dict[str, Any]]:
    """Stable sorts, so ties keep the catalog's order; rows without the figure sorted on go last."""
    if key is SortKey.cloud:
        return rows
    keys = {
        SortKey.name: lambda r: r["instance_type"].lower(),
        SortKey.gpu: lambda r: (r["gpu"] or "~", r["gpu_count"], _unpriced_last(r["on_demand"])),
        SortKey.gpus: lambda r: (r["gpu_count"], _unpriced_last(r["on_demand"])),
        SortKey.memory: lambda r: ((r["gpu_memory_gib"] or 0) * r["gpu_count"], _unpriced_last(r["on_demand"])),
        SortKey.price: lambda r: _unpriced_last(r["spot"] if spot else r["on_demand"]),
        SortKey.spot: lambda r: _unpriced_last(r["spot"]),
    }
    return sorted(rows, key=keys[key])


def _fabric(f: dict[str, Any] | None, wide: bool) -> str:
    if not f:
        return "—"
    from aiinfra.cli.views import FABRIC_SHORT

    kind = FABRIC_SHORT.get(f["kind"], f["kind"].upper())
    return f"{kind} {f['interfaces']}× {f['gbps']} Gbps" if wide else f"{kind} {f['gbps']} Gbps"


def table(rows: list[dict[str, Any]], title: str, wide: bool):
    """Compact: what people compare (type, GPUs, fabric, prices); --wide: every figure the catalog has."""
    from rich.markup import escape
    from rich.table import Table

    from aiinfra.cli.fit import Fit, hidden_note
    from aiinfra.cli.views import money

    clouds = len({r["cloud"] for r in rows}) > 1
    optional = ["regions", "RAM GiB", "vCPU", "GPU GiB"] if wide else []

    flagged = dict.fromkeys(w for r in rows if r["on_demand"] is not None for w in r["price_flags"])
    marks = {w: FLAG_MARKS[i % len(FLAG_MARKS)] * (1 + i // len(FLAG_MARKS)) for i, w in enumerate(flagged)}

    def build(dropped: frozenset[str], light: bool) -> Table:
        t = Table(title=escape(title), title_justify="left")
        cols: list[tuple[str, Any]] = []
        if clouds or wide:
            cols.append(("cloud", lambda r: r["cloud"]))
        cols.append(("instance type", lambda r: r["instance_type"]))
        if wide:
            cols += [
                ("GPU", lambda r: r["gpu"] or "—"),
                ("#", lambda r: str(r["gpu_count"])),
                ("GPU GiB", lambda r: f"{r['gpu_memory_gib']:g}" if r["gpu_memory_gib"] else "—"),
                ("vCPU", lambda r: str(r["vcpus"])),
                ("RAM GiB", lambda r: f"{r['memory_gib']:g}"),
            ]
        else:
            cols.append(("GPUs", lambda r: f"{r['gpu_count']} × {r['gpu']}" if r["gpu"] else "CPU"))
        cols += [
            ("fabric", lambda r: _fabric(r["fabric"], wide)),
            ("$/h", lambda r: money(r["on_demand"]) + ("".join(marks[w] for w in r["price_flags"]) if r["on_demand"] is not None else "")),
            ("spot $/h", lambda r: money(r["spot"])),
        ]
        if wide:
            cols.append(("regions", lambda r: str(len(r["regions"]))))
        cols = [(h, f) for h, f in cols if h not in dropped]
        for h, _ in cols:
            figure = h in {"#", "GPU GiB", "vCPU", "RAM GiB", "$/h", "spot $/h", "regions"}
            t.add_column(h, justify="right" if figure else "left", no_wrap=h not in {"fabric", "GPUs"})
        for r in rows:
            t.add_row(*(escape(f(r)) for _, f in cols))
        lines = [escape(f"{m} {w}") for w, m in marks.items()]
        if dropped:
            lines.append(hidden_note([c for c in optional if c in dropped]))
        if lines:
            t.caption = "\n".join(lines)
            t.caption_justify = "left"
        return t

    return Fit(build, optional)


def catalog_command(
    ctx: typer.Context,
    gpu: Optional[str] = typer.Option(None, "--gpu", help="only this GPU model, e.g. H100"),
    cloud: Optional[str] = typer.Option(None, "--cloud", help=clouds.choices()),
    region: Optional[str] = typer.Option(None, "--region", help="only types offered here, with this region's prices"),
    cpu: bool = typer.Option(False, "--cpu", help="include CPU-only types"),
    spot: bool = typer.Option(False, "--spot", help="only types with a spot price; --max-price and --sort price then use the spot price"),
    max_price: Optional[float] = typer.Option(None, "--max-price", min=0, metavar="USD", help="only types at most this many USD per hour (on-demand, or spot with --spot)"),
    sort: SortKey = typer.Option(SortKey.cloud, "--sort", help=SORT_HELP),
    wide: bool = typer.Option(False, "--wide", help="every column: GPU memory, vCPUs, RAM, fabric interfaces, regions"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of tables"),
) -> None:
    """The GPU instance types aiinfra knows, with fabric, prices and regions (`catalog refresh`: current prices)."""
    if ctx.invoked_subcommand:
        return
    from aiinfra import catalog
    from aiinfra.cli.common import EXIT_INVALID, console, emit_json
    from aiinfra.problems import Problem, did_you_mean, nearest

    problems = []
    if cloud and cloud not in catalog.CLOUDS:
        problems.append(Problem("--cloud", f"unknown cloud {cloud!r}", did_you_mean(cloud, catalog.CLOUDS) or clouds.choices()))
    model = None
    if gpu:
        from aiinfra.spec.gpu import GpuRequest

        model = catalog.canonical_gpu(GpuRequest.model_of(gpu))
        if model is None:
            guess = nearest(gpu, catalog.gpu_spellings(), model=True)
            problems.append(Problem("--gpu", f"unknown GPU {gpu!r}", f"did you mean {catalog.canonical_gpu(guess[0])}?" if guess else f"known GPUs: {', '.join(catalog.gpus())}"))
    if region and not problems:
        known = sorted({r for c in ([cloud] if cloud else catalog.CLOUDS) for r in catalog.cloud_catalog(c).regions})
        if region not in known:
            problems.append(Problem("--region", f"unknown region {region!r}" + (f" on {cloud}" if cloud else ""), did_you_mean(region, known) or "see `aiinfra catalog --json` for each type's regions"))
    if problems:
        from aiinfra.cli import views

        views.problems(console(stderr=True), "aiinfra catalog", problems)
        raise typer.Exit(EXIT_INVALID)
    rows = _rows(cloud, model, region, cpu)
    if spot:
        rows = [r for r in rows if r["spot"] is not None]
    if max_price is not None:
        rows = [r for r in rows if (p := r["spot"] if spot else r["on_demand"]) is not None and p <= max_price]
    rows = sort_rows(rows, sort, spot)
    if as_json:
        emit_json({"instance_types": rows})
        return
    where = f"prices in {region}" if region else f"prices in each cloud's reference region: {clouds.region_examples()}"
    c = console()
    if not rows:
        c.print(f"No instance types match ({where}); loosen --max-price, --spot, --region or --gpu.", markup=False, highlight=False)
        return
    c.print(table(rows, f"{'GPU instance types' if not cpu else 'Instance types'} ({len(rows)}; {where})", wide))
    for line in freshness_lines(rows):
        c.print(line, markup=False, highlight=False, style=None if line.startswith("warning:") else "dim")


def app() -> typer.Typer:
    """`catalog` lists; `catalog refresh` updates its prices (cli/refresh_cmd.py)."""
    from aiinfra.cli import polish, refresh_cmd

    group = typer.Typer(context_settings=polish.HELP_OPTIONS)
    group.callback(invoke_without_command=True)(catalog_command)
    group.command("refresh")(refresh_cmd.refresh_command)
    return group
