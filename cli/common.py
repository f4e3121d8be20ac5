"""What every command shares: the spec argument, --json, consoles, and how problems and warnings are printed.

Command modules import this, never cli.main, so the CLI has no import cycle and no private cross-imports.
Only typer is imported here; rich, pydantic and Pulumi load inside the functions that use them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterable, NoReturn, Sequence

import typer

EXIT_INVALID = 2
EXIT_POLICY = 3  # the spec is valid, but the environment breaks a mandatory policy rule

SpecArg = typer.Argument(..., help="environment spec, e.g. stacks/aws-llm.yaml", show_default=False, readable=False)
JsonOpt = typer.Option(False, "--json", help="print one JSON object instead of tables")
UtilizationOpt = typer.Option(
    None, "--utilization", metavar="0..1",
    help="share of accelerator and CPU power drawn on average, for kWh and kgCO2e (default 0.5; a pool's own utilization: wins)",
)


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def load_env(path: Path, as_json: bool = False, warn: bool = True, placement: bool = True, reset: Sequence[str] = ()):
    """Parse and resolve a spec, or report every problem and exit 2. Warnings (placeholder project, unpriced
    types) go to stderr as plain lines; JSON output carries them in a "warnings" field instead. With `placement`,
    pools are where the stack's config records failover put them (except those in `reset`), so that every command
    shows the environment `up` builds."""
    from aiinfra.cli.placement import reader
    from aiinfra.problems import SpecError
    from aiinfra.resolve.resolver import load

    try:
        env = load(path, reader(reset) if placement else None)
    except SpecError as err:
        report(err, as_json)
    if warn and not as_json:
        warnings(env.warnings)
    return env


OfflineOpt = typer.Option(False, "--offline", help="read only the recorded inputs (cloud: existing: the snapshot), never the cluster: no drift check")


def live_check(env, spec: Path, offline: bool, as_json: bool = False) -> str | None:
    """The cloud as it is now against what the preview is built from (a cloud hook; cloud: existing re-reads its
    cluster's nodes): exit 2 listing what changed; the note saying what was checked goes to stderr unless JSON."""
    from aiinfra import clouds

    problems, note = clouds.get(env.spec.cloud).live_check(env, str(spec), offline)
    if problems:
        fail(str(spec), problems, as_json)
    if note and not as_json:
        console(stderr=True).print(f"note: {note}", markup=False, highlight=False)
    return note


def check_fit(env, spec: Path, as_json: bool = False, manifests: list[dict[str, Any]] | None = None, warn: bool = True):
    """The fit check (aiinfra.resolve.fit): exit 2 listing every pod that fits no node; its warnings on stderr unless JSON."""
    from aiinfra.resolve import fit

    report = fit.check(env, manifests)
    if report.errors:
        fail(str(spec), report.errors, as_json)
    if warn and not as_json:
        warnings(report.warnings)
    return report


def warnings(items: Iterable[Any]) -> None:
    """Warnings as plain lines on stderr, wrapped to the terminal, so that piped output stays clean."""
    c = console(stderr=True)
    for w in items:
        c.print(f"warning: {w.path}: {w.message}", markup=False, highlight=False)
        if w.hint:
            c.print(f"  hint: {w.hint}", markup=False, highlight=False)


def report(err: Any, as_json: bool = False) -> NoReturn:
    """Every problem of a SpecError, as JSON on stdout or a list on stderr; exit 2."""
    fail(err.source, err.problems, as_json)


def fail(source: str, problems: list[Any], as_json: bool = False) -> NoReturn:
    """Problems of one input (a spec, an option, an outputs file): JSON on stdout or a list on stderr; exit 2."""
    if as_json:
        emit_json({"valid": False, "source": source, "problems": [p.as_dict() for p in problems]})
    else:
        from aiinfra.cli import views

        views.problems(console(stderr=True), source, problems)
    raise typer.Exit(EXIT_INVALID)


def utilization(u: float | None, as_json: bool = False):
    """`--utilization` checked (0 to 1, else exit 2) and set for the energy estimate of this command."""
    if u is not None and not 0 <= u <= 1:
        from aiinfra.problems import Problem

        fail("--utilization", [Problem("--utilization", f"utilization must be from 0 to 1 (got {u:g})",
                                       "e.g. --utilization 0.8 for busy training nodes, 0.3 for mostly idle inference", u)], as_json)
    from aiinfra.report.energy import default_utilization

    return default_utilization(u)
