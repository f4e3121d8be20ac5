"""`aiinfra catalog refresh`: fetch current prices from the clouds' public price lists into the overlay."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional, Sequence

import typer

from aiinfra import clouds
from aiinfra.cli.common import JsonOpt, console, emit_json, fail

MARK = {"refreshed": "✓", "partial": "~", "failed": "✗", "skipped": "-"}
SHOWN_UNPRICED = 5


@contextmanager
def _bars(asked: Sequence[str], quiet: bool) -> Iterator[Any]:
    """A progress bar per cloud on a terminal; nothing when piped or with --json."""
    from aiinfra.components.base.pricing import no_progress

    c = console(stderr=True)
    if quiet or not c.is_terminal:
        yield lambda cloud: no_progress
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(), console=c, transient=True) as bars:
        tasks = {cloud: bars.add_task(clouds.get(cloud).display, total=None) for cloud in asked}

        def progress_for(cloud: str):
            def advance(step: float, total: float | None = None) -> None:
                bars.update(tasks[cloud], advance=step, total=total)

            return advance

        yield progress_for


def _print(data: dict[str, Any]) -> None:
    c = console()
    for r in data["clouds"]:
        name = clouds.get(r["cloud"]).display
        c.print(f"{MARK[r['status']]} {name}: {r['status']}: {r['message']}", markup=False, highlight=False)
        if r["source"]:
            c.print(f"    source: {r['source']} ({r['items_read']} items read in {r['seconds']:.1f} s)", markup=False, highlight=False)
        for note in r["notes"]:
            c.print(f"    note: {note}", markup=False, highlight=False)
        if r["unpriced"]:
            shown = ", ".join(r["unpriced"][:SHOWN_UNPRICED])
            more = f" and {len(r['unpriced']) - SHOWN_UNPRICED} more (--json lists all)" if len(r["unpriced"]) > SHOWN_UNPRICED else ""
            c.print(f"    not priced (the snapshot's figure stays): {shown}{more}", markup=False, highlight=False)
    if data["written"]:
        c.print(f"Prices written to {data['overlay']}; they now win over the shipped snapshot.", markup=False, highlight=False)
    else:
        c.print(f"Nothing refreshed; {data['overlay']} was not changed.", markup=False, highlight=False)


def refresh_command(
    cloud: Optional[list[str]] = typer.Option(None, "--cloud", help=f"only this cloud (repeatable): {clouds.choices()}; default: all"),  # noqa: B008 - the help text, read once
    as_json: bool = JsonOpt,
) -> None:
    """Fetch current on-demand and spot prices of the catalog's types from the clouds' public price lists."""
    from aiinfra.catalog.refresh import refresh
    from aiinfra.problems import Problem, did_you_mean

    known = clouds.names()
    problems = [Problem("--cloud", f"unknown cloud {c!r}", did_you_mean(c, known) or f"clouds: {clouds.choices()}", c) for c in cloud or [] if c not in known]
    if problems:
        fail("aiinfra catalog refresh", problems, as_json)
    asked = [c for c in known if c in cloud] if cloud else known
    with _bars(asked, as_json) as progress_for:
        data = refresh(asked, progress_for)
    for r in data["clouds"]:
        r["ok"] = r["status"] in ("refreshed", "partial")
    if as_json:
        emit_json(data)
    else:
        _print(data)
    explicit = set(cloud or [])
    failed = [r for r in data["clouds"] if r["status"] == "failed" or (r["status"] == "skipped" and r["cloud"] in explicit)]
    if failed or not data["written"]:
        if not as_json:
            what = ", ".join(clouds.get(r["cloud"]).display for r in failed) or "every cloud"
            console(stderr=True).print(f"error: {what} could not be refreshed (see above)", markup=False, highlight=False)
        raise typer.Exit(1)
