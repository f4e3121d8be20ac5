"""`aiinfra catalog refresh`: exit codes, --json, the summary, and nothing written on failure."""

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "catalog"))

from pricing_server import PriceServer  # noqa: E402

runner = CliRunner()


@pytest.fixture
def server(monkeypatch, tmp_path):
    with PriceServer() as s:
        for cloud in ("AWS", "GCP", "AZURE"):
            monkeypatch.setenv(f"AIINFRA_PRICING_URL_{cloud}", s.url)
        monkeypatch.setenv("AIINFRA_CACHE_DIR", str(tmp_path))
        for var in ("AIINFRA_GCP_API_KEY", "GOOGLE_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS"):
            monkeypatch.delenv(var, raising=False)
        yield s


def test_json_and_exit_0_when_every_asked_cloud_refreshed(server, tmp_path):
    r = runner.invoke(app, ["catalog", "refresh", "--cloud", "azure", "--cloud", "aws", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["written"] and data["overlay"] == str(tmp_path / "prices-overlay.json")
    assert [c["cloud"] for c in data["clouds"]] == ["aws", "azure"]
    assert all(c["ok"] and c["priced"] > 0 and c["unpriced"] for c in data["clouds"])


def test_default_skips_gcp_without_credentials_and_says_so(server):
    r = runner.invoke(app, ["catalog", "refresh"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    assert "- GCP: skipped: the GCP Cloud Billing Catalog API needs an API key" in out
    assert "~ AWS: partial: 4 prices of 4 types" in out and "~ Azure: partial: 6 prices of 4 types" in out
    assert "spot stays the catalog snapshot's" in out
    assert "not priced (the snapshot's figure stays)" in r.stdout and "Prices written to" in r.stdout


def test_asking_for_gcp_without_credentials_fails(server):
    r = runner.invoke(app, ["catalog", "refresh", "--cloud", "gcp"])
    assert r.exit_code == 1
    assert "AIINFRA_GCP_API_KEY" in r.stdout and "Nothing refreshed" in r.stdout


def test_unknown_cloud_is_bad_input(server):
    r = runner.invoke(app, ["catalog", "refresh", "--cloud", "azur", "--json"])
    assert r.exit_code == 2
    problem = json.loads(r.stdout)["problems"][0]
    assert problem["path"] == "--cloud" and "azure" in problem["hint"]


def test_every_cloud_down_exits_1_with_a_sentence_and_no_file(server, monkeypatch, tmp_path):
    for cloud in ("AWS", "AZURE"):
        monkeypatch.setenv(f"AIINFRA_PRICING_URL_{cloud}", "http://127.0.0.1:9")
    r = runner.invoke(app, ["catalog", "refresh", "--cloud", "aws", "--cloud", "azure"])
    assert r.exit_code == 1
    assert "cannot connect" in r.stdout and "Traceback" not in r.output
    assert "AWS, Azure could not be refreshed" in r.stderr
    assert not (tmp_path / "prices-overlay.json").exists()


def test_one_cloud_failing_exits_1_but_keeps_the_other(server, tmp_path):
    server.fail["aws"] = "html"
    r = runner.invoke(app, ["catalog", "refresh", "--cloud", "aws", "--cloud", "azure", "--json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["written"] and [c["status"] for c in data["clouds"]] == ["failed", "partial"]
    assert "azure" in json.loads((tmp_path / "prices-overlay.json").read_text())["clouds"]


def test_piped_output_has_no_progress_bar(server):
    r = runner.invoke(app, ["catalog", "refresh", "--cloud", "azure"])
    assert "━" not in r.output and "\x1b[" not in r.output
