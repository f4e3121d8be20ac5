"""The CLI on GCP specs: the same --json contract and the same bad-input handling as on AWS."""

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


def test_preview_json_contract_on_gcp():
    r = run("preview", "--json", str(STACKS / "gcp-llm.yaml"))
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["environment"], data["cloud"], data["region"]) == ("llm-train-gcp", "gcp", "us-central1")
    for res in data["resources"]:
        assert set(res) >= {"urn", "type", "name", "parent", "inputs", "options"}
    pool = next(r for r in data["resources"] if r["type"] == "gcp:container/nodePool:NodePool" and r["name"] == "llm-train-gcp-train-np")
    assert pool["inputs"]["nodeConfig"]["workloadMetadataConfig"]["mode"] == "GKE_METADATA"  # camelCase, as the provider receives them
    pools = {p["name"]: p for p in data["node_pools"]}
    assert pools["train"]["instance_type"] == "a3-megagpu-8g" and pools["train"]["fabric"]["kind"] == "tcpxo" and pools["train"]["fabric"]["interfaces"] == 8
    assert pools["train"]["hourly_usd_per_node"] == pytest.approx(92.21427)
    assert pools["serve"]["instance_type"] == "g2-standard-4" and pools["serve"]["hourly_usd_per_node"] == pytest.approx(0.3973)  # g2-standard-4 spot, CYC 2026-07-30 (market-2026.md §1.4)
    cost = data["cost"]
    fixed = 0.1 + 0.044 + 2 * 8.2e-05
    assert cost["hourly_usd_min"] == pytest.approx(2 * 92.21427 + 0.3973 + 2 * 0.134012 + fixed, rel=1e-4)
    assert cost["hourly_usd_max"] - cost["hourly_usd_min"] == pytest.approx(3 * 0.3973, rel=1e-4)
    assert cost["monthly_usd_min"] == pytest.approx(cost["hourly_usd_min"] * 730, rel=1e-4)
    assert "SKY-GCP" in cost["prices_as_of"] and "CYC: 2026-07-30" in cost["prices_as_of"]
    assert data["outputs"]["kubeconfig"] == "[secret]"


def test_preview_human_output_on_gcp():
    r = run("preview", str(STACKS / "gcp-llm.yaml"))
    assert r.exit_code == 0
    for text in ("aiinfra:gcp:Cluster", "NodePool", "a3-megagpu-8g", "TCPXO 8×", "GKE cluster fee", "kept on down"):
        assert text in r.output, text


@pytest.mark.parametrize(
    "fixture, path, hint",
    [
        ("gcp.bad.gpu-not-in-region.yaml", "node_pools[0].gpu", "us-central1"),
        ("gcp.bad.zone-not-offered.yaml", "node_pools[0].zone", "us-central1-b"),
    ],
)
def test_bad_gcp_input_exits_2_with_the_path(fixture, path, hint):
    r = run("preview", "--json", str(SPECS / fixture))
    assert r.exit_code == 2
    data = json.loads(r.stdout)
    assert data["valid"] is False
    (problem,) = data["problems"]
    assert problem["path"] == path and hint in problem["hint"]


def test_console_preview_gcp_and_bad_gcp(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "aiinfra", "preview", "--json", str(STACKS / "gcp-llm.yaml")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["cloud"] == "gcp"
    bad = subprocess.run([sys.executable, "-m", "aiinfra", "preview", str(SPECS / "gcp.bad.gpu-not-in-region.yaml")], capture_output=True, text=True)
    assert bad.returncode == 2 and "node_pools[0].gpu" in bad.stderr and "Traceback" not in bad.stderr
