"""`aiinfra cost --markdown`: the cost table as a CI job summary."""

from pathlib import Path

from typer.testing import CliRunner

from aiinfra.cli.main import app

SPEC = str(Path(__file__).resolve().parents[2] / "stacks" / "aws-llm.yaml")


def test_cost_markdown_is_a_table_with_every_item_and_the_total():
    result = CliRunner().invoke(app, ["cost", SPEC, "--markdown"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("### llm-train on aws us-east-1")
    header = lines.index("| item | qty | $/h each | $/h min | $/h max | $/month min | $/month max |")
    rows = [line for line in lines[header + 2:] if line.startswith("|")]
    assert any(r.startswith("| pool train (p5.48xlarge, on-demand)") and "| 2 |" in r for r in rows)
    assert rows[-1].startswith("| **total** |") and all(r.count("|") == 8 for r in rows)
    assert "train: snapshot of 2026-07-20, 129 days old (KARP-AWS)" in result.output
    assert "run `aiinfra catalog refresh`" in result.output


UNPRICED = str(Path(__file__).resolve().parents[1] / "fixtures" / "policy" / "gcp.refused.unpriced-hourly-budget.yaml")


def test_a_total_that_leaves_unpriced_items_out_says_so_in_the_table_and_in_markdown():
    table = CliRunner().invoke(app, ["cost", UNPRICED], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    (total,) = [line for line in table.output.splitlines() if line.strip("│ ").startswith("total ") and "$" in line]  # not the energy total
    assert total.count("+ unpriced") == 4
    assert "+ unpriced: the totals leave out 1 unpriced item (pool train (a3-edgegpu-8g, on-demand)), so they are lower bounds." in table.output
    md = CliRunner().invoke(app, ["cost", UNPRICED, "--markdown"]).output
    (row,) = [line for line in md.splitlines() if line.startswith("| **total** |") and "$" in line]
    assert row.count("+ unpriced") == 4 and row.count("|") == 8
    priced = CliRunner().invoke(app, ["cost", SPEC, "--markdown"]).output
    assert "unpriced" not in priced
