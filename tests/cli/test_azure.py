"""The CLI on Azure specs: the same --json contract, cost table and exit codes as on AWS."""

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


@pytest.fixture(scope="module")
def azure_json():
    r = run("preview", "--json", str(STACKS / "azure-llm.yaml"))
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def aws_json():
    return json.loads(run("preview", "--json", str(STACKS / "aws-llm.yaml")).stdout)


def test_same_json_contract_as_aws(azure_json, aws_json):
    assert set(azure_json) == set(aws_json)
    assert set(azure_json["cost"]) == set(aws_json["cost"])
    assert set(azure_json["node_pools"][0]) == set(aws_json["node_pools"][0])
    assert (azure_json["cloud"], azure_json["region"], azure_json["zones"]) == ("azure", "eastus", ["1", "2"])


def test_preview_json_pools_and_cost(azure_json):
    pools = {p["name"]: p for p in azure_json["node_pools"]}
    assert pools["train"]["instance_type"] == "Standard_ND96isr_H100_v5" and pools["train"]["fabric"]["kind"] == "infiniband"
    assert pools["serve"]["gpu"] == "A10" and pools["serve"]["capacity"] == "spot"
    cost = azure_json["cost"]
    expected_min = 2 * 98.32 + 1 * 0.8 + 2 * 0.192 + 0.10 + 0.045 + 0.005 + 0.00137
    assert cost["hourly_usd_min"] == pytest.approx(expected_min, rel=1e-4)
    assert cost["hourly_usd_max"] - cost["hourly_usd_min"] == pytest.approx(3 * 0.8, rel=1e-4)
    lt = next(r for r in azure_json["resources"] if r["type"] == "azure-native:containerservice:ManagedCluster")
    assert lt["inputs"]["apiServerAccessProfile"]["enablePrivateCluster"] is True  # wire names, as the provider gets them


def test_human_preview_shows_infiniband_note():
    r = run("preview", str(STACKS / "azure-llm.yaml"))
    assert r.exit_code == 0
    flat = " ".join(r.output.split())
    for text in ("aiinfra:azure:Cluster", "ManagedCluster", "Standard_ND96isr_H100_v5", "one InfiniBand domain", "AKSInfinibandSupport", "total", "kept on down"):
        assert text in flat, text


def test_infiniband_note_agrees_with_what_the_preview_installs(azure_json):
    """The note once said aiinfra does not install the Network Operator while the same preview installed it."""
    notes = [n for p in azure_json["node_pools"] for n in p["notes"]]
    text = " ".join(notes)
    installed = any(r["type"].endswith(":Chart") and "network-operator" in r["name"] for r in azure_json["resources"])
    assert "Network Operator" in text and installed
    assert "not the operator" not in text and "installs the operator" in text


def test_bad_azure_spec_exits_2_with_path_in_json():
    r = run("preview", "--json", str(SPECS / "azure.bad.l4-not-offered.yaml"))
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert data["valid"] is False and data["problems"][0]["path"] == "node_pools[0].gpu"
    assert "A10:1" in data["problems"][0]["hint"]


def test_console_script_azure_preview_and_bad_input():
    ok = subprocess.run([sys.executable, "-m", "aiinfra", "preview", "--json", str(STACKS / "azure-llm.yaml")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["cloud"] == "azure"
    bad = subprocess.run([sys.executable, "-m", "aiinfra", "preview", str(SPECS / "azure.bad.per-zone-nat.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr and "network.nat_gateways" in bad.stderr
