"""Bad input through the CLI: exit 2, the problem's path, value and fix, JSON under --json; never a traceback."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests" / "fixtures" / "specs"
runner = CliRunner()


@pytest.fixture(autouse=True)
def no_accounts(tmp_path, monkeypatch):
    """Nothing of the developer's gcloud/az set-up leaks into the tests."""
    for var in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "CLOUDSDK_CONFIG", "AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID", "AZURE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def problems_json(*args: str) -> list[dict]:
    r = run(*args)
    assert r.exit_code == 2, r.output
    data = json.loads(r.stdout)
    assert data["valid"] is False and data["source"]
    for p in data["problems"]:
        assert set(p) == {"path", "message", "hint", "value"}
    return data["problems"]


@pytest.mark.parametrize("fixture", sorted(p.name for p in SPECS.glob("*.bad.*.yaml")))
def test_every_bad_fixture_gives_json_problems_with_a_fix(fixture):
    for p in problems_json("validate", "--json", str(SPECS / fixture)):
        assert p["path"] and p["message"]
        assert "Input should" not in p["message"] and "pattern" not in p["message"]


def test_paths_that_are_not_spec_files(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_bytes(b"# " + b"x" * (2 * 1024 * 1024) + b"\n")
    cases = {
        str(tmp_path / "missing.yaml"): "no such file",
        str(tmp_path): "is a directory",
        "/dev/zero": "not a regular file",
        str(huge): "a spec is at most 1024 KiB",
        str(SPECS / "aws.bad.not-utf8.yaml"): "not UTF-8 text",
    }
    for path, words in cases.items():
        [p] = problems_json("validate", "--json", path)
        assert p["path"] == "(file)" and words in p["message"] and p["hint"] and p["value"] == path


def test_unreadable_file():
    """Through the console script; as root, as user nobody (root reads any file), so that the check really runs."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="aiinfra-unreadable-"))
    try:
        folder.chmod(0o755)
        spec = folder / "secret.yaml"
        spec.write_text("name: abc\n")
        spec.chmod(0)
        command = [sys.executable, "-m", "aiinfra", "validate", "--json", str(spec)]
        if os.geteuid() == 0:
            if not shutil.which("setpriv"):
                pytest.skip("running as root without setpriv to drop privileges")
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        r = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, r.stderr
        [p] = json.loads(r.stdout)["problems"]
        assert p["path"] == "(file)" and "permission denied" in p["message"] and "chmod" in p["hint"]
    finally:
        shutil.rmtree(folder)


def test_human_output_names_path_value_and_hint():
    r = run("validate", str(SPECS / "aws.bad.invalid-cidr.yaml"))
    assert r.exit_code == 2
    assert "network.cidr" in r.output and "10.0.0.300/16" in r.output and "hint:" in r.output


def test_up_checks_the_spec_before_looking_for_the_pulumi_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    r = run("up", str(SPECS / "aws.bad.hyphenated-key.yaml"), "--yes")
    assert r.exit_code == 2 and "node-pools" in r.output and "Pulumi CLI" not in r.output
    r = run("down", str(SPECS / "aws.bad.invalid-cidr.yaml"), "--yes")
    assert r.exit_code == 2 and "network.cidr" in r.output


def test_up_needs_a_real_project_and_says_how(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    r = run("up", str(SPECS / "gcp.ok.no-project.yaml"), "--yes")
    assert r.exit_code == 2
    assert "gcp.project" in r.output and "GOOGLE_CLOUD_PROJECT" in r.output and "gcloud config set project" in r.output
    assert "Nothing was created" in r.output


@pytest.mark.parametrize("cloud, region, path", [("gcp", "us-central1", "gcp.project"), ("azure", "eastus", "azure.subscription_id")])
def test_aws_example_previews_elsewhere_with_cloud_and_region_changed(tmp_path, cloud, region, path):
    text = (ROOT / "stacks" / "aws-llm.yaml").read_text().replace("cloud: aws", f"cloud: {cloud}").replace("region: us-east-1", f"region: {region}")
    spec = tmp_path / "moved.yaml"
    spec.write_text(text)
    r = run("preview", "--json", str(spec))
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["cloud"] == cloud and [w["path"] for w in data["warnings"]] == [path]
    human = run("cost", str(spec))
    assert human.exit_code == 0 and "placeholder" in human.output


def test_cost_shows_an_uncatalogued_type_as_unpriced_not_zero():
    r = run("cost", "--json", str(SPECS / "aws.ok.uncatalogued-type.yaml"))
    assert r.exit_code == 0, r.output
    cost = json.loads(r.stdout)["cost"]
    [item] = [i for i in cost["items"] if "g7.48xlarge" in i["item"]]
    assert item["hourly_usd_each"] is None and item["hourly_usd_min"] is None and "unpriced" in item["note"]
    assert cost["unpriced"] == [item["item"]] and "unpriced" in cost["excludes"]


def test_console_script_on_a_device_exits_2_without_traceback():
    r = subprocess.run([sys.executable, "-m", "aiinfra", "validate", "/dev/zero"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "not a regular file" in r.stderr and "Traceback" not in r.stderr
