"""Human output that fits: whole figures at 80 and 200 columns, plain text when piped, NO_COLOR, and
text in square brackets shown as written."""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from aiinfra.cli import views
from aiinfra.cli.catalog_cmd import SortKey, sort_rows
from aiinfra.cli.main import app
from aiinfra.report.preview import build
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[2] / "stacks"
SPECS = sorted(p.name for p in STACKS.glob("*.yaml") if not p.name.startswith("Pulumi"))
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|38;|48;)")
runner = CliRunner()


def run(*args: str, width: int = 80, **env: str):
    r = runner.invoke(app, list(args), env={"COLUMNS": str(width), "NO_COLOR": None, "FORCE_COLOR": None, **env}, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.output


def assert_fits(out: str, width: int) -> None:
    for line in out.splitlines():
        assert len(line) <= width, f"{len(line)} > {width}: {line!r}"
        assert "…" not in line, line


def cost_json(spec: str) -> dict:
    return json.loads(run("cost", "--json", str(STACKS / spec)))["cost"]


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("width", [80, 200])
def test_cost_table_figures_are_whole(spec, width):
    out = run("cost", str(STACKS / spec), width=width)
    assert_fits(out, width)
    cost = cost_json(spec)
    h = cost["hours_per_month"]
    for i in cost["items"]:
        if i["hourly_usd_each"] is None:  # unpriced (e.g. a file system with no sourced price): shown as "—"
            assert i["item"] in cost["unpriced"]
            continue
        figures = [i["hourly_usd_max"], i["hourly_usd_max"] * h]
        if width == 200:
            figures += [i["hourly_usd_each"], i["hourly_usd_min"], i["hourly_usd_min"] * h]
        for v in figures:
            assert re.search(rf"(?<![\d,.]){re.escape(views.money(v))}(?![\d,])", out), (i["item"], views.money(v))
    for v in (cost["hourly_usd_min"], cost["hourly_usd_max"], cost["monthly_usd_min"], cost["monthly_usd_max"]):
        if width == 200 or v in (cost["hourly_usd_max"], cost["monthly_usd_max"]):
            assert views.money(v) in out
    if width == 200:
        assert "Not shown at this width" not in out


@pytest.mark.parametrize("spec", SPECS)
def test_preview_tables_fit_80_columns(spec):
    out = run("preview", str(STACKS / spec))
    start = out.index("Node pools")
    assert_fits(out[start:], 80)
    for p in json.loads(run("preview", "--json", str(STACKS / spec)))["node_pools"]:
        assert p["instance_type"] in out and views.money(p["hourly_usd_per_node"]) in out


@pytest.mark.parametrize("width", [40, 60])
def test_very_narrow_consoles_get_one_block_per_row_not_cut_figures(width):
    out = run("cost", str(STACKS / "azure-llm.yaml"), width=width)
    assert "…" not in out
    assert "$143,547.20" in out and "$146,274.02" in out


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("wide", [False, True])
def test_catalog_fits_and_shows_every_price(width, wide):
    out = run("catalog", *(["--wide"] if wide else []), width=width)
    assert_fits(out, width)
    assert "instance type" in out  # one header per line, not one character per line
    rows = json.loads(run("catalog", "--json"))["instance_types"]
    for r in rows:
        assert r["instance_type"] in out
        for v in (r["on_demand"], r["spot"]):
            if v is not None:
                assert views.money(v) in out
    if wide and width == 200:
        assert "regions" in out and "RAM GiB" in out and "Not shown" not in out


def test_catalog_compact_view_is_the_default():
    compact, wide = run("catalog", "--cloud", "aws", width=200), run("catalog", "--cloud", "aws", "--wide", width=200)
    assert "RAM GiB" not in compact and "8 × H100" in compact and "EFA 3200 Gbps" in compact
    assert "RAM GiB" in wide and "EFA 32× 3200 Gbps" in wide


def catalog_json(*args: str) -> list[dict]:
    return json.loads(run("catalog", "--json", *args))["instance_types"]


def test_catalog_sort_price_puts_unpriced_last():
    rows = catalog_json("--sort", "price")
    prices = [r["on_demand"] for r in rows]
    known = [p for p in prices if p is not None]
    assert known == sorted(known) and prices[: len(known)] == known


def test_catalog_sorts_by_gpu_name_and_memory():
    by_gpu = catalog_json("--sort", "gpu")
    assert [(r["gpu"], r["gpu_count"]) for r in by_gpu] == sorted((r["gpu"], r["gpu_count"]) for r in by_gpu)
    by_name = [r["instance_type"].lower() for r in catalog_json("--sort", "name")]
    assert by_name == sorted(by_name)
    mem = [(r["gpu_memory_gib"] or 0) * r["gpu_count"] for r in catalog_json("--sort", "memory")]
    assert mem == sorted(mem)


def test_catalog_max_price_and_spot():
    cheap = catalog_json("--max-price", "2")
    assert cheap and all(r["on_demand"] is not None and r["on_demand"] <= 2 for r in cheap)
    spot = catalog_json("--spot")
    assert spot and all(r["spot"] is not None for r in spot)
    assert len(spot) < len(catalog_json())
    cheap_spot = catalog_json("--spot", "--max-price", "1", "--sort", "price")
    assert cheap_spot and [r["spot"] for r in cheap_spot] == sorted(r["spot"] for r in cheap_spot)
    assert all(r["spot"] <= 1 for r in cheap_spot) and any(r["on_demand"] > 1 for r in cheap_spot)


def test_catalog_spot_table_shows_spot_prices():
    out = run("catalog", "--spot", "--cloud", "gcp", "--gpu", "H100")
    assert "$50.61" in out and "$21.21" in out  # a3-highgpu-8g spot from CYC 2026-07-30 (market-2026.md §1.4)


def test_catalog_nothing_matches_says_what_to_loosen():
    out = run("catalog", "--max-price", "0.01")
    assert "No instance types match" in out and "--max-price" in out


@pytest.mark.parametrize("args", [["--sort", "cost"], ["--max-price", "-1"], ["--max-price", "cheap"]])
def test_catalog_bad_sort_or_price_exits_2(args):
    r = runner.invoke(app, ["catalog", *args])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_sort_keeps_catalog_order_for_ties():
    rows = [{"instance_type": n, "on_demand": None, "spot": None, "gpu": "H100", "gpu_count": 8, "gpu_memory_gib": 80} for n in "bca"]
    assert [r["instance_type"] for r in sort_rows(rows, SortKey.price, spot=False)] == ["b", "c", "a"]


@pytest.mark.parametrize("command", [["cost"], ["preview"], ["validate"]])
def test_piped_output_has_no_escape_codes(command):
    proc = subprocess.run(
        [sys.executable, "-m", "aiinfra", *command, str(STACKS / "aws-llm.yaml")],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() and "\x1b" not in proc.stdout


def test_no_color_is_honoured_even_on_a_terminal():
    spec = str(STACKS / "aws-llm.yaml")
    assert COLOUR.search(run("validate", spec, FORCE_COLOR="1")), "a forced terminal should be coloured"
    assert not COLOUR.search(run("validate", spec, FORCE_COLOR="1", NO_COLOR="1"))
    assert not COLOUR.search(run("catalog", "--gpu", "H100", FORCE_COLOR="1", NO_COLOR="1"))


def render_text(renderable, width: int = 200) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(renderable)
    return buf.getvalue()


def test_bracketed_text_is_shown_as_written():
    data = build(load(STACKS / "aws-llm.yaml"))
    data["cost"]["items"][0]["item"] = "pool [bold]system[/bold] [gpu]"
    data["cost"]["items"][0]["note"] = "list price [unverified]"
    data["node_pools"][1]["reason"] = "picked [red]by hand[/]"
    data["node_pools"][1]["notes"] = ["see [docs]"]
    out = render_text(views.cost_table(data)) + render_text(views.gpu_table(data))
    assert "pool [bold]system[/bold] [gpu]" in out
    assert "list price [unverified]" in out
    assert "picked [red]by hand[/]" in out and "see [docs]" in out
    narrow = render_text(views.cost_table(data), width=40)
    assert "pool [bold]system[/bold] [gpu]" in narrow and "list price [unverified]" in narrow


def test_catalog_unknown_region_exits_2_with_a_hint():
    r = runner.invoke(app, ["catalog", "--cloud", "aws", "--region", "us-east1"])
    assert r.exit_code == 2 and "did you mean us-east-1?" in r.output
    assert run("catalog", "--region", "us-east1")  # a GCP region, known without --cloud


def test_deploy_errors_show_bracketed_text_as_written(capsys):
    import typer

    from aiinfra.cli import deploy as deploy_cli
    from aiinfra.deploy.errors import DeployError

    with pytest.raises(typer.Exit):
        with deploy_cli._errors():
            raise DeployError("stack [urn=llm-train] is locked", fixes=["pulumi cancel [bold]now[/]"], notes=["see [log]"])
    err = " ".join(capsys.readouterr().err.split())
    assert "stack [urn=llm-train] is locked" in err and "pulumi cancel [bold]now[/]" in err and "see [log]" in err


def test_narrow_cost_table_names_the_columns_it_left_out():
    out = " ".join(run("cost", str(STACKS / "azure-llm.yaml"), width=80).split())
    assert "Not shown at this width: $/h each" in out and "--markdown" in out
    assert "$/h each" not in out.split("Not shown")[0]


def test_resource_tree_shows_bracketed_names_as_written():
    data = build(load(STACKS / "aws-llm.yaml"))
    data["resources"][1]["name"] = "llm-train-[gpu]-logs"
    assert "llm-train-[gpu]-logs" in render_text(views.resource_tree(data))


def test_problem_text_in_square_brackets_is_printed_as_written():
    from rich.console import Console

    from aiinfra.cli import views
    from aiinfra.problems import Problem

    c = Console(record=True, width=200, color_system=None)
    views.problems(c, "[spec].yaml", [Problem("node_pools[0].gpu", "unknown GPU '[h100]'", "write it as [H100:8]")])
    out = c.export_text()
    assert "[spec].yaml" in out and "node_pools[0].gpu" in out and "'[h100]'" in out and "[H100:8]" in out


def test_catalog_marks_stale_and_suspect_prices_where_they_are_shown(monkeypatch):
    from typer.testing import CliRunner

    from aiinfra import catalog
    from aiinfra.cli.main import app

    # Since the 2026 refresh (market-2026.md §1.4) p5.48xlarge is current: no mark.
    out = CliRunner().invoke(app, ["catalog", "--gpu", "H100"], env={"COLUMNS": "200"}).output
    row = next(line for line in out.splitlines() if "p5.48xlarge" in line)
    assert catalog.price_flags("aws", "p5.48xlarge") == [] and "$55.04" in row and "$55.04*" not in row
    # A doubtful-price flag (here one only AWS rows carry) is marked where the price is shown.
    monkeypatch.setattr(catalog, "price_flag_words", lambda: {"spot_is_min_over_us-east-1_AZs": "stale price: test words"})
    out = CliRunner().invoke(app, ["catalog", "--gpu", "H100"], env={"COLUMNS": "200"}).output
    row = next(line for line in out.splitlines() if "p5.48xlarge" in line)
    words = catalog.price_flags("aws", "p5.48xlarge")
    assert words == ["stale price: test words"] and "$55.04*" in row
    assert f"* {words[0]}" in out
    assert "Standard_ND96isr_H100_v5" in out and not any("*" in line for line in out.splitlines() if "ND96isr" in line)
