"""`preview --summary`: the node pools, cost totals and policy outcome of the full preview in 80 columns, with
its exit code, and no resource tree; it refuses --json."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli import views
from aiinfra.cli.main import app
from aiinfra.resolve.capacity import money

ROOT = Path(__file__).resolve().parents[2]
STACKS = sorted(p for p in (ROOT / "stacks").glob("*.yaml") if not p.name.startswith("Pulumi"))
REFUSED = ROOT / "tests" / "fixtures" / "policy" / "gcp.refused.unpriced-hourly-budget.yaml"  # exit 3, an unpriced pool
BAD = ROOT / "tests" / "fixtures" / "specs" / "aws.bad.absurd-nodes.yaml"  # exit 2
TREE = ("└── ", "├── ")  # the resource tree's branches; the full preview's other parts named below
FULL_ONLY = ("Node pools", "Offline preview under Pulumi mocks")


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80", "NO_COLOR": None, "FORCE_COLOR": None}, catch_exceptions=False)


def words(text: str) -> str:
    """Text with its wrapping undone: a wrapped table cell reads as one phrase again."""
    return " ".join(text.split())


@pytest.mark.parametrize("spec", [*STACKS, REFUSED, BAD], ids=lambda p: p.name)
def test_summary_has_previews_exit_code_and_fits_80_columns(spec):
    full = run("preview", "--json", str(spec))
    summary = run("preview", "--summary", str(spec))
    assert summary.exit_code == full.exit_code, summary.output
    for line in summary.output.splitlines():  # stdout and the warnings on stderr
        assert len(line) <= 80, f"{len(line)} > 80: {line!r}"
    out = summary.stdout
    assert not any(mark in out for mark in TREE + FULL_ONLY), out
    data = json.loads(full.stdout)
    if full.exit_code == 2:
        assert summary.stdout == "" and "is not valid" in summary.output
        return
    flat = words(out)
    assert views.counted(data["resources"]) in out
    for p in data["node_pools"]:
        assert p["name"] in out and p["instance_type"] in out
        assert words(p.get("scaled_by") or "fixed") in flat, p["name"]
    cost = data["cost"]
    more = views.UNPRICED_MARK if cost["unpriced"] else ""
    for total in ("hourly_usd_min", "hourly_usd_max", "monthly_usd_min", "monthly_usd_max"):
        assert money(cost[total]) + more in out, total
    assert (views.UNPRICED_MARK in out) == bool(cost["unpriced"])
    report = data["policy"]
    mandatory = sum(1 for v in report["violations"] if v["enforcement"] == "mandatory")
    assert f"{mandatory} mandatory and {len(report['violations']) - mandatory} advisory findings" in out
    for v in report["violations"]:
        assert f"{v['enforcement']} {v['id']} {words(v['message'])}" in flat
    assert ("preview exits 3" in out) == (full.exit_code == 3)


def test_the_full_preview_has_the_tree_the_summary_leaves_out():
    """So that the absence checked above means something: the same markers are in the full output."""
    out = run("preview", str(ROOT / "stacks" / "aws-cpu.yaml")).stdout
    assert all(mark in out for mark in TREE + FULL_ONLY)


def test_summary_with_json_exits_2_before_any_program_runs(monkeypatch):
    def no_build(*_a, **_k):
        raise AssertionError("the preview ran")

    monkeypatch.setattr("aiinfra.report.preview.build", no_build)
    result = run("preview", "--summary", "--json", str(STACKS[0]))
    assert result.exit_code == 2
    (problem,) = json.loads(result.stdout)["problems"]
    assert problem["path"] == "--summary" and "do not combine" in problem["message"] and "jq" in problem["hint"]
    from aiinfra.cli.offline import SUMMARY_HELP

    assert "--summary" in run("preview", "--help").output and "Not with --json (exit 2)" in SUMMARY_HELP
