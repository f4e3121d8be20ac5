"""What users expect of any CLI: --version, -h, help on every option, --debug anywhere, completion."""

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from aiinfra.cli.main import app

SPEC = str(Path(__file__).resolve().parents[2] / "stacks" / "aws-llm.yaml")
ENTRY = Path(sys.executable).with_name("aiinfra")
runner = CliRunner()


def commands(cmd=None, path=()):
    """Every command in the tree, as (argv path, click command)."""
    cmd = cmd or typer.main.get_command(app)
    yield list(path), cmd
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield from commands(sub, (*path, name))


COMMANDS = [p for p, _ in commands()]


def test_version_comes_from_package_metadata():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0
    assert r.output.strip() == f"aiinfra {importlib.metadata.version('aiinfra')}"


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "aiinfra")
def test_dash_h_is_help_everywhere(path):
    r = runner.invoke(app, [*path, "-h"])
    assert r.exit_code == 0, r.output
    assert "Usage" in r.output and "--help" in r.output


def test_every_command_option_and_argument_has_help():
    missing = []
    for path, cmd in commands():
        if path and not (cmd.help or cmd.short_help):
            missing.append(" ".join(path))
        for p in cmd.params:
            if not (getattr(p, "help", None) or "").strip():
                missing.append(f"{' '.join(path) or 'aiinfra'} {p.opts[0] if p.opts else p.name}")
    assert not missing, missing


@pytest.mark.parametrize("path", [p for p, c in commands() if p and not getattr(c, "commands", None)], ids=" ".join)
def test_every_command_accepts_debug_after_its_name(path):
    r = runner.invoke(app, [*path, "--debug", "-h"])
    assert r.exit_code == 0, r.output
    assert "--debug" in r.output


@pytest.mark.parametrize("argv", [["--debug", "validate", SPEC], ["validate", SPEC, "--debug"], ["validate", "--debug", SPEC]])
def test_debug_before_or_after_the_command(argv):
    r = runner.invoke(app, argv)
    assert r.exit_code == 0, r.output
    assert "is valid" in r.output


def test_debug_after_the_command_still_exits_2_on_bad_input(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n")
    r = runner.invoke(app, ["validate", str(bad), "--debug"])
    assert r.exit_code == 2 and "Traceback" not in r.output


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "powershell"])
def test_completion_prints_a_script(shell):
    r = runner.invoke(app, ["completion", shell])
    assert r.exit_code == 0, r.output
    assert "_AIINFRA_COMPLETE" in r.output and "aiinfra" in r.output


def test_bash_completion_script_parses(tmp_path):
    if not shutil.which("bash"):
        pytest.skip("bash is not installed")
    script = tmp_path / "aiinfra.bash"
    script.write_text(runner.invoke(app, ["completion", "bash"]).output)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0


def test_unknown_shell_exits_2():
    assert runner.invoke(app, ["completion", "tcsh"]).exit_code == 2


def test_typer_built_in_show_completion(monkeypatch):
    # Without this, typer makes --show-completion a flag that detects the parent shell (shellingham), so "bash" is
    # not its value and a process with no shell above it (an xdist worker, CI) gets "Shell  not supported".
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    r = runner.invoke(app, ["--show-completion", "bash"])
    assert r.exit_code == 0 and "complete" in r.output, (r.output, r.exception)


@pytest.mark.parametrize(
    "words, cword, expected",
    [("aiinfra cat", 1, "catalog"), ("aiinfra catalog --so", 2, "--sort"), ("aiinfra catalog --sort ", 3, "price"), ("aiinfra graph x --format ", 4, "mermaid")],
)
def test_completion_completes_commands_options_and_choices(words, cword, expected):
    """The installed entry point answers the completion protocol the printed script speaks."""
    if not ENTRY.exists():
        pytest.skip("the aiinfra entry point is not installed next to this Python")
    env = {**os.environ, "_AIINFRA_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    proc = subprocess.run([str(ENTRY)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert expected in proc.stdout.split(), proc.stdout


def broken(*args, **kwargs):
    raise RuntimeError("boom")


@pytest.mark.parametrize("argv", [["validate", SPEC, "--debug"], ["--debug", "validate", SPEC]])
def test_debug_anywhere_shows_the_traceback_of_an_internal_error(monkeypatch, argv):
    from aiinfra.cli import main as cli_main
    from aiinfra.resolve import resolver as resolve

    monkeypatch.setattr(resolve, "load", broken)
    monkeypatch.setattr(sys, "argv", ["aiinfra", *argv])
    with pytest.raises(RuntimeError, match="boom"):
        cli_main.main()


def test_without_debug_an_internal_error_is_one_line_and_exit_1(monkeypatch, capsys):
    from aiinfra.cli import main as cli_main
    from aiinfra.resolve import resolver as resolve

    monkeypatch.setattr(resolve, "load", broken)
    monkeypatch.setattr(sys, "argv", ["aiinfra", "validate", SPEC])
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main()
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "error: RuntimeError: boom" in err and "--debug" in err and "Traceback" not in err


def test_help_paragraphs_wrap_at_the_terminal_not_mid_sentence():
    """Rich help kept the docstrings' line breaks ("A node pool that" / "`aiinfra up`'s failover ...")."""
    r = runner.invoke(app, ["--help"], env={"COLUMNS": "400"})
    lines = [line.split("│")[1].strip() for line in r.output.splitlines() if line.count("│") == 2]
    for _, cmd in commands():
        for paragraph in (cmd.help or "").split("\n\n"):
            assert "\n" not in paragraph, cmd.name
    up = next(line for line in lines if line.startswith("up "))
    assert up.endswith("later runs keep it there."), up  # one line when the terminal is wide enough


def test_group_help_names_every_subcommand():
    group = typer.main.get_command(app).commands["workload"]
    assert all(name in group.help for name in group.commands), group.help


def test_help_imports_no_spec_models_catalog_or_sdk():
    """`aiinfra --help` once imported the catalog models and pydantic (through cli/graph -> aiinfra.resolve.capacity), a
    third of its 0.45 s; the timing itself is benchmarks/bench_cli.py's."""
    code = (
        "import runpy, sys\n"
        "sys.argv = ['aiinfra', '--help']\n"
        "try:\n    runpy.run_module('aiinfra', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('pydantic', 'pulumi', 'yaml', 'jinja2', 'aiinfra.catalog', 'aiinfra.spec', 'aiinfra.resolve', 'aiinfra.report.preview')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)), file=sys.stderr)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "COLUMNS": "100"})
    assert "Usage" in r.stdout and r.stderr.strip().splitlines()[-1] == "[]", r.stderr
