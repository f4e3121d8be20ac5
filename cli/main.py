"""The `aiinfra` command. Imports of pydantic, Pulumi and the cloud SDKs happen inside commands,
so `aiinfra --help` stays fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional

import typer

from aiinfra import clouds
from aiinfra.cli import polish

app = typer.Typer(
    name="aiinfra",
    help="AI infrastructure on AWS, GCP and Azure as code. Offline commands need no credentials and no Pulumi CLI.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings=polish.HELP_OPTIONS,
    cls=polish.Group,
)

from aiinfra.cli import workload  # noqa: E402  (imports only typer)

app.add_typer(workload.app, name="workload")

EXIT_INVALID = 2

SpecArg = typer.Argument(..., help="environment spec, e.g. stacks/aws-llm.yaml", show_default=False, readable=False)
JsonOpt = typer.Option(False, "--json", help="print one JSON object instead of tables")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _load(path: Path, as_json: bool = False, warn: bool = True):
    """Parse and resolve a spec, or report every problem and exit 2. Warnings (placeholder project, unpriced
    types) go to stderr as plain lines; JSON output carries them in a "warnings" field instead."""
    from aiinfra.problems import SpecError
    from aiinfra.resolve import load

    try:
        env = load(path)
    except SpecError as err:
        _report(err, as_json)
    if warn and not as_json:
        _warn(env.warnings)
    return env


def _warn(warnings) -> None:
    """Warnings as plain lines on stderr, so that piped output stays clean."""
    c = _console(stderr=True)
    for w in warnings:
        c.print(f"warning: {w.path}: {w.message}", markup=False, highlight=False)
        if w.hint:
            c.print(f"  hint: {w.hint}", markup=False, highlight=False)


def _report(err, as_json: bool = False) -> NoReturn:
    """Every problem of a SpecError, as JSON on stdout or a list on stderr; exit 2."""
    if as_json:
        _emit_json({"valid": False, "source": err.source, "problems": [p.as_dict() for p in err.problems]})
    else:
        from aiinfra.cli import render

        render.problems(_console(stderr=True), err.source, err.problems)
    raise typer.Exit(EXIT_INVALID)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help=polish.DEBUG_HELP),
    version: bool = typer.Option(False, "--version", callback=polish.show_version, is_eager=True, help="print aiinfra's version and exit"),
) -> None:
    """Declared here so typer accepts and documents --debug; main() acts on it around the whole app."""


@app.command()
def validate(spec: Path = SpecArg, as_json: bool = JsonOpt) -> None:
    """Check a spec against the schema and the catalog; exit 2 listing every problem."""
    env = _load(spec, as_json)
    if as_json:
        from aiinfra.preview import pool_dict

        _emit_json({"valid": True, "source": str(spec), "node_pools": [pool_dict(p) for p in env.pools], "warnings": [w.as_dict() for w in env.warnings]})
        return
    c = _console()
    c.print(f"[bold green]✓ {spec}[/] is valid: {env.spec.name} on {env.spec.cloud} {env.spec.region}", highlight=False)
    for p in env.pools:
        what = f"{p.gpus_per_node} × {p.gpu}" if p.gpu else "CPU"
        c.print(f"  {p.name}: {p.instance_type} ({what}), {p.nodes_min}..{p.nodes_max} nodes, {p.capacity} — {p.reason}", highlight=False)


@app.command()
def preview(spec: Path = SpecArg, as_json: bool = JsonOpt) -> None:
    """Run the environment's Pulumi program offline under mocks: resources, GPUs and cost."""
    env = _load(spec, as_json)
    from aiinfra.preview import build

    data = build(env)
    if as_json:
        _emit_json(data)
        return
    from aiinfra.cli import render

    c = _console()
    c.print(render.resource_tree(data))
    c.print(render.gpu_table(data))
    c.print(render.cost_table(data))
    c.print("[dim]Offline preview under Pulumi mocks: IDs and ARNs are placeholders. `aiinfra up` deploys for real.[/]")


@app.command()
def cost(
    spec: Path = SpecArg,
    as_json: bool = JsonOpt,
    markdown: bool = typer.Option(False, "--markdown", help="print a Markdown table (e.g. for a CI job summary)"),
) -> None:
    """Hourly and monthly cost of an environment at its minimum and maximum size."""
    env = _load(spec, as_json)
    from aiinfra.preview import estimate

    data = estimate(env)
    if as_json:
        _emit_json({"environment": data["environment"], "node_pools": data["node_pools"], "cost": data["cost"], "warnings": data["warnings"]})
        return
    from aiinfra.cli import render

    if markdown:
        sys.stdout.write(render.cost_markdown(data))
        return

    _console().print(render.cost_table(data))


from aiinfra.cli.catalog_cmd import catalog_command  # noqa: E402  (imports only typer)

app.command("catalog")(catalog_command)


@app.command()
def schema() -> None:
    """Print the JSON Schema of environment specs, for editor completion."""
    from aiinfra.spec import json_schema

    _emit_json(json_schema())


from aiinfra.cli import deploy as _deploy  # noqa: E402  (imports only typer)

_deploy.register(app)

from aiinfra.cli.render_cmd import render_command  # noqa: E402

app.command("render")(render_command)
app.command("completion")(polish.completion_command)

from aiinfra.cli.init_cmd import init_command  # noqa: E402  (imports only typer)

app.command("init")(init_command)

from aiinfra.cli.graph import graph_command  # noqa: E402  (imports only typer)

app.command("graph")(graph_command)


def _report_component(err, as_json: bool) -> NoReturn:
    """A component's input problems (already re-rooted at spec paths by Environment), printed like spec
    problems: exit 2, no traceback."""
    from aiinfra.problems import SpecError

    try:
        _report(SpecError(err.source or f"{err.kind} {err.name!r}", err.problems), as_json)
    except typer.Exit as done:
        sys.exit(done.exit_code)


def main() -> None:
    """Console entry point: bad input exits 2, unexpected errors exit 1 without a traceback unless --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001
        if debug:
            raise
        from aiinfra.components.errors import ComponentInputError

        if isinstance(exc, ComponentInputError):
            _report_component(exc, "--json" in sys.argv[1:])
        from aiinfra.components._sdk import MissingExtraError

        prefix = "" if isinstance(exc, MissingExtraError) else f"{type(exc).__name__}: "
        sys.stderr.write(f"error: {prefix}{exc}\n(run with --debug for the traceback)\n")
        sys.exit(1)
