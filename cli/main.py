"""The `aiinfra` command: the app, its commands in one list, and the entry point. Imports of pydantic, Pulumi
and the cloud SDKs happen inside commands, so `aiinfra --help` stays fast."""

from __future__ import annotations

import sys
from typing import Any, Callable, NoReturn

import typer

from aiinfra.cli import catalog_cmd, deploy, discover_cmd, graph_cmd, init_cmd, offers_cmd, offline, policy_cmd, polish, render_cmd, workload
from aiinfra.cli.common import report

app = typer.Typer(
    name="aiinfra",
    help="AI infrastructure on AWS, GCP and Azure as code. Offline commands need no credentials and no Pulumi CLI.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings=polish.HELP_OPTIONS,
    cls=polish.Group,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help=polish.DEBUG_HELP),
    version: bool = typer.Option(False, "--version", callback=polish.show_version, is_eager=True, help="print aiinfra's version and exit"),
) -> None:
    """Declared here so typer accepts and documents --debug; main() acts on it around the whole app."""


# Every command, in --help order: (name, function, help panel). A new command is a module and one line here.
COMMANDS: list[tuple[str, Callable[..., Any], str | None]] = [
    ("init", init_cmd.init_command, None),
    ("validate", offline.validate, None),
    ("preview", offline.preview, None),
    ("cost", offline.cost, None),
    ("graph", graph_cmd.graph_command, None),
    ("offers", offers_cmd.offers_command, None),
    ("discover", discover_cmd.discover_command, None),
    ("schema", offline.schema, None),
    ("render", render_cmd.render_command, None),
    ("completion", polish.completion_command, None),
    *((fn.__name__, fn, deploy.PANEL) for fn in deploy.COMMANDS),
]
for _name, _fn, _panel in COMMANDS:
    app.command(_name, rich_help_panel=_panel)(_fn)
app.add_typer(catalog_cmd.app(), name="catalog")
app.add_typer(workload.app, name="workload")
app.add_typer(policy_cmd.app, name="policy")


def _report_component(err, as_json: bool) -> NoReturn:
    """A component's input problems (already re-rooted at spec paths by Environment), printed like spec
    problems: exit 2, no traceback."""
    from aiinfra.problems import SpecError

    try:
        report(SpecError(err.source or f"{err.kind} {err.name!r}", err.problems), as_json)
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
        from aiinfra.components.base.errors import ComponentInputError

        if isinstance(exc, ComponentInputError):
            _report_component(exc, "--json" in sys.argv[1:])
        from aiinfra.components.base.sdk import MissingExtraError

        prefix = "" if isinstance(exc, MissingExtraError) else f"{type(exc).__name__}: "
        sys.stderr.write(f"error: {prefix}{exc}\n(run with --debug for the traceback)\n")
        sys.exit(1)
