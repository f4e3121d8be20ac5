"""What users expect of any CLI: --version, -h, --debug on every command, shell completion.

Only typer is imported here, so `aiinfra --help` stays fast.
"""

from __future__ import annotations

from enum import Enum

import typer
from typer.core import TyperGroup

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
DEBUG_HELP = "show tracebacks for unexpected errors"


def _debug_option():
    """The --debug option as typer builds it (public API: typer.main.get_command), not passed to the command."""
    probe = typer.Typer(add_completion=False)

    @probe.command()
    def _probe(debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP)) -> None:
        """Only here to have typer build the option."""

    param = typer.main.get_command(probe).params[0]
    param.expose_value = False
    return param


def _add_debug(command, option=None) -> None:
    """Errors say "run with --debug"; main() acts on the flag wherever it is, so every command takes it."""
    for sub in getattr(command, "commands", {}).values():
        option = option or _debug_option()
        if not any("--debug" in getattr(p, "opts", ()) for p in sub.params):
            sub.params.append(option)
        _add_debug(sub, option)


def unwrap(text: str | None) -> str | None:
    """A docstring's paragraphs as single lines: rich help keeps a docstring's line breaks, so a sentence broke
    wherever the source wrapped it; the terminal wraps it instead."""
    if not text:
        return text
    import inspect

    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n"))


def _unwrap_help(command) -> None:
    for sub in getattr(command, "commands", {}).values():
        sub.help, sub.short_help = unwrap(sub.help), unwrap(sub.short_help)
        _unwrap_help(sub)


class Group(TyperGroup):
    """The root group: every subcommand, nested ones too, accepts --debug after its name, and its help text
    wraps at the terminal's width, not the docstring's."""

    def __init__(self, **attrs):
        super().__init__(**attrs)
        _add_debug(self)
        _unwrap_help(self)


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("aiinfra")
    except PackageNotFoundError:
        return "unknown (not installed; run `pip install -e .`)"


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"aiinfra {package_version()}")
        raise typer.Exit()


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"
    powershell = "powershell"


def completion_command(
    shell: Shell = typer.Argument(..., help="the shell to complete in: bash, zsh, fish or powershell", show_default=False),
) -> None:
    """Print a shell completion script: `eval "$(aiinfra completion bash)"`, or save it where your shell loads completions."""
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="aiinfra", complete_var="_AIINFRA_COMPLETE", shell=shell.value))
