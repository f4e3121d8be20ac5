"""`aiinfra offers`: the --json shape, whole figures at 80 columns, unknown --clouds refused with a hint, plain
text when piped."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra import clouds
from aiinfra.cli import views
from aiinfra.cli.main import app

STACKS = Path(__file__).resolve().parents[2] / "stacks"
SPECS = sorted(p.name for p in STACKS.glob("*.yaml") if not p.name.startswith("Pulumi"))
runner = CliRunner()
OFFER_KEYS = {"cloud", "region", "rank", "hourly_usd_min", "hourly_usd_max", "monthly_usd_min", "monthly_usd_max", "hourly_usd_spot_min", "hourly_usd_spot_max",
              "monthly_usd_spot_min", "monthly_usd_spot_max", "pools", "chosen", "preference", "priced_as", "borrowed"}
POOL_KEYS = {"name", "instance_type", "gpu", "gpus_per_node", "gpus_total", "alternative", "gpu_memory_gib", "accelerator_memory_gib_total", "fabric", "nodes_min",
             "nodes_max", "hourly_usd_per_node", "hourly_usd_spot_per_node"}


def invoke(*args: str, width: int = 80):
    return runner.invoke(app, ["offers", *args], env={"COLUMNS": str(width), "NO_COLOR": None, "FORCE_COLOR": None}, catch_exceptions=False)


def offers_json(spec: str, *args: str) -> dict:
    r = invoke(str(STACKS / spec), "--json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.mark.parametrize("spec", SPECS)
def test_json_shape(spec):
    data = offers_json(spec)
    assert data["offers"] + data["borrowed"] and set(data) >= {"offers", "borrowed", "unserved", "sort"}
    for o in data["offers"] + data["borrowed"]:
        assert set(o) >= OFFER_KEYS
        assert all(set(p) >= POOL_KEYS for p in o["pools"])
    keys = [(o["preference"], o["hourly_usd_min"]) for o in data["offers"]]
    assert keys == sorted(keys), "--json keeps the offers in the order the table shows"
    assert sum(o["chosen"] for o in data["offers"] + data["borrowed"]) == 1
    for u in data["unserved"]:
        assert {"cloud", "region", "problems"} <= set(u) and all({"path", "message"} <= set(p) for p in u["problems"])


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("width", [80, 200])
def test_table_fits_and_shows_every_figure_whole(spec, width):
    r = invoke(str(STACKS / spec), "--top", "0", width=width)
    assert r.exit_code == 0, r.output
    for line in r.stdout.splitlines():
        assert len(line) <= width and "…" not in line, line
    data = offers_json(spec)
    for o in data["offers"] + data["borrowed"]:
        assert f"{o['cloud']} {o['region']}" in r.stdout or o["region"] in r.stdout
        for k in ("hourly_usd_min", "hourly_usd_max", "monthly_usd_min", "monthly_usd_max"):
            assert views.money(o[k]) in r.stdout, (o["cloud"], o["region"], k)
    for u in data["unserved"]:
        assert u["region"] in r.stdout
    assert f"* {data['cloud']} {data['region']}" in r.stdout.replace("\n", " ") or f"* {data['cloud']}" in r.stdout


def test_unknown_cloud_exits_2_with_a_hint():
    first = clouds.names()[0]
    r = invoke(str(STACKS / "aws-llm.yaml"), "--clouds", f"{first[:-1]}x")
    assert r.exit_code == 2 and "--clouds" in r.output and f"did you mean {first}?" in r.output and "Traceback" not in r.output
    r = invoke(str(STACKS / "aws-llm.yaml"), "--clouds", "nowhere", "--json")
    assert r.exit_code == 2 and json.loads(r.stdout)["problems"][0]["path"] == "--clouds"


def test_clouds_limits_the_rows():
    last = clouds.names()[-1]
    data = offers_json("aws-llm.yaml", "--clouds", last)
    assert {o["cloud"] for o in data["offers"] + data["borrowed"]} | {u["cloud"] for u in data["unserved"]} == {last}


def test_a_bad_spec_exits_2_like_cost(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((STACKS / "aws-llm.yaml").read_text().replace("H100:8", "H101:8"))
    r, cost = invoke(str(bad), "--json"), runner.invoke(app, ["cost", "--json", str(bad)])
    assert r.exit_code == cost.exit_code == 2
    assert json.loads(r.stdout)["problems"] == json.loads(cost.stdout)["problems"]


def test_piped_output_is_plain():
    proc = subprocess.run(
        [sys.executable, "-m", "aiinfra", "offers", str(STACKS / "aws-llm.yaml")],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home())}, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() and "\x1b" not in proc.stdout
    assert all(len(line) <= 80 for line in proc.stdout.splitlines())


def test_the_table_shows_the_top_offers_and_always_the_specs_own():
    spec = str(STACKS / "aws-cpu.yaml")
    data = json.loads(runner.invoke(app, ["offers", spec, "--json"]).output)
    ranked, apart = data["offers"], data["borrowed"]
    out = runner.invoke(app, ["offers", spec, "--top", "3"], env={"COLUMNS": "200"}).output
    where = [f"{o['cloud']} {o['region']}" for o in ranked + apart]
    shown = [r for r in where if r in out]
    own = next(f"{o['cloud']} {o['region']}" for o in ranked + apart if o["chosen"])
    assert {f"{o['cloud']} {o['region']}" for o in ranked[:3] + apart[:3]} <= set(shown) and own in shown
    assert len(shown) <= 7
    hidden = [o for o in ranked if f"{o['cloud']} {o['region']}" not in shown]
    assert not hidden or f"{len(hidden)} more offers" in out
    everything = runner.invoke(app, ["offers", spec, "--top", "0"], env={"COLUMNS": "200"}).output
    assert all(r in everything for r in where)
