"""The CLI through typer's test runner, and the console entry point in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
STACKS = Path(__file__).resolve().parents[2] / "stacks"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_validate_ok():
    r = run("validate", str(STACKS / "aws-llm.yaml"))
    assert r.exit_code == 0, r.output
    assert "is valid" in r.output and "p5.48xlarge" in r.output


@pytest.mark.parametrize("fixture", sorted(p.name for p in SPECS.glob("*.bad.*.yaml")))
def test_every_bad_fixture_exits_2_without_traceback(fixture):
    r = run("validate", str(SPECS / fixture))
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    assert "Nothing was created" in r.output


@pytest.mark.parametrize("fixture", sorted(p.name for p in SPECS.glob("*.ok.*.yaml")))
def test_every_ok_fixture_validates(fixture):
    assert run("validate", str(SPECS / fixture)).exit_code == 0


def test_validate_json_lists_problems_with_paths_and_hints():
    r = run("validate", "--json", str(SPECS / "aws.bad.many-problems.yaml"))
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert data["valid"] is False
    assert [p["path"] for p in data["problems"]] == ["node_pools[0].gpu", "node_pools[1].gpu", "node_pools[2].gpu"]
    assert data["problems"][0]["hint"] == "did you mean H100:8?"


def test_preview_json_contract():
    r = run("preview", "--json", str(STACKS / "aws-llm.yaml"))
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["environment"], data["cloud"], data["region"]) == ("llm-train", "aws", "us-east-1")
    for res in data["resources"]:
        assert set(res) >= {"urn", "type", "name", "parent", "inputs"}
    types = {r["type"] for r in data["resources"]}
    assert "aws:ec2/launchTemplate:LaunchTemplate" in types and "aws:eks/cluster:Cluster" in types
    lt = next(r for r in data["resources"] if r["type"] == "aws:ec2/launchTemplate:LaunchTemplate" and r["name"].endswith("train-lt"))
    assert lt["inputs"]["metadataOptions"]["httpTokens"] == "required"  # camelCase, as the provider receives them
    pools = {p["name"]: p for p in data["node_pools"]}
    train = pools["train"]
    assert {k: train[k] for k in ("instance_type", "gpu", "gpus_per_node", "nodes_min", "nodes_max", "capacity")} == {
        "instance_type": "p5.48xlarge", "gpu": "H100", "gpus_per_node": 8, "nodes_min": 2, "nodes_max": 2, "capacity": "on-demand",
    }
    assert train["fabric"]["kind"] == "efa" and train["fabric"]["interfaces"] == 32
    assert train["hourly_usd_per_node"] == pytest.approx(55.04)  # post-cut price, market-2026.md §1.1
    assert pools["serve"]["capacity"] == "spot" and pools["serve"]["fabric"] is None
    cost = data["cost"]
    assert set(cost) >= {"hourly_usd_min", "hourly_usd_max", "monthly_usd_min", "monthly_usd_max", "items", "prices_as_of"}
    assert cost["monthly_usd_min"] == pytest.approx(cost["hourly_usd_min"] * 730, rel=1e-4)
    expected_min = 2 * 55.04 + 1 * 0.3879 + 2 * 0.096
    assert cost["hourly_usd_min"] == pytest.approx(expected_min + 0.10 + 0.045 + 2 * 0.00137, rel=1e-3)
    assert cost["hourly_usd_max"] - cost["hourly_usd_min"] == pytest.approx(3 * 0.3879, rel=1e-3)
    items = {i["item"]: i for i in cost["items"]}
    assert items["EKS control plane"]["quantity_min"] == 1 and items["NAT gateway"]["quantity_min"] == 1
    assert data["outputs"]["kubeconfig"] == "[secret]"


def test_preview_human_output_has_tree_pools_and_cost():
    r = run("preview", str(STACKS / "aws-llm.yaml"))
    assert r.exit_code == 0
    for text in ("aiinfra:aws:Cluster", "LaunchTemplate", "Node pools", "p5.48xlarge", "EFA 32×", "total", "kept on down", "gpu-operator v26.7.0"):
        assert text in r.output, text
    data = json.loads(run("preview", "--json", str(STACKS / "aws-llm.yaml")).stdout)
    created = sum(1 for x in data["resources"] if x["custom"])
    assert f"({created} resources in {len(data['resources']) - created} components)" in r.output  # as `up` counts


def test_cost_json():
    data = json.loads(run("cost", "--json", str(STACKS / "aws-cpu.yaml")).stdout)
    assert data["cost"]["hourly_usd_min"] < data["cost"]["hourly_usd_max"]
    assert all(p["gpu"] is None for p in data["node_pools"])


def test_catalog_filters_and_json():
    data = json.loads(run("catalog", "--gpu", "H100", "--cloud", "aws", "--json").stdout)
    names = {r["instance_type"] for r in data["instance_types"]}
    assert names == {"p5.48xlarge", "p5.4xlarge"}
    row = next(r for r in data["instance_types"] if r["instance_type"] == "p5.48xlarge")
    assert row["fabric"]["interfaces"] == 32 and row["price_source"]["as_of"]
    all_h100 = json.loads(run("catalog", "--gpu", "H100", "--json").stdout)["instance_types"]
    assert {r["cloud"] for r in all_h100} == {"aws", "gcp", "azure"}


def test_catalog_human_and_bad_input():
    assert "p5.48xlarge" in run("catalog", "--cloud", "aws").output
    r = run("catalog", "--gpu", "H10")
    assert r.exit_code == 2 and "did you mean" in r.output
    assert run("catalog", "--cloud", "awz").exit_code == 2


def test_schema_is_json_schema():
    data = json.loads(run("schema").stdout)
    assert data["title"] == "aiinfra environment" and "node_pools" in data["properties"]


def test_console_script_no_traceback_and_exit_codes(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "aiinfra", "validate", str(SPECS / "aws.bad.unknown-gpu.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "did you mean H100:8?" in bad.stderr
    usage = subprocess.run([sys.executable, "-m", "aiinfra", "preview"], capture_output=True, text=True)
    assert usage.returncode == 2 and "Traceback" not in usage.stderr
    ok = subprocess.run([sys.executable, "-m", "aiinfra", "--help"], capture_output=True, text=True)
    assert ok.returncode == 0 and "preview" in ok.stdout
