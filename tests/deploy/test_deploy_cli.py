"""`aiinfra up/down/refresh/outputs/status` through the Automation API against a stand-in Pulumi CLI."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SPEC = str(ROOT / "stacks" / "aws-llm.yaml")
STACK = "llm-train"


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def data_urns(resources: list[dict]) -> set[str]:
    return {r["urn"] for r in resources if r["custom"] and r.get("protect")}


def managed(state: dict) -> list[dict]:
    return [r for r in state["deployment"]["resources"] if r["custom"]]


# --- no Pulumi CLI -------------------------------------------------------------------------------


def test_up_without_the_pulumi_cli_fails_first_and_points_to_preview(clean_env):
    empty = clean_env / "empty-bin"
    empty.mkdir()
    r = subprocess.run(
        [sys.executable, "-m", "aiinfra", "up", SPEC, "--yes"],
        cwd=ROOT, env={**os.environ, "PATH": str(empty)}, capture_output=True, text=True, timeout=120,
    )
    assert r.returncode == 1
    assert "the Pulumi CLI is not installed" in r.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in r.stderr and "brew install pulumi/tap/pulumi" in r.stderr
    assert "aiinfra preview" in r.stderr
    assert r.stdout == ""  # no plan, no progress, nothing that looks like a deploy
    assert not (clean_env / "data" / "state").exists()


@pytest.mark.parametrize("command", [["down", SPEC, "--yes"], ["refresh", SPEC], ["outputs", SPEC], ["status", SPEC]])
def test_every_deploy_command_needs_the_cli(clean_env, monkeypatch, command):
    monkeypatch.setenv("PATH", str(clean_env))
    result = invoke(*command)
    assert result.exit_code == 1
    assert "Pulumi CLI is not installed" in result.output and "Traceback" not in result.output
    flat = " ".join(result.output.split())
    assert "state cannot be read without it" in flat and "nothing was deployed" not in flat  # not a claim about the cloud
    assert "curl -fsSL https://get.pulumi.com | sh" in flat


# --- up -------------------------------------------------------------------------------------------


def test_up_creates_the_stack_on_the_file_backend_with_the_passphrase(fake_pulumi, llm_scenario, clean_env):
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 0, result.output
    backend = (clean_env / "data" / "state").as_uri()
    cmds = fake_pulumi.commands()
    assert ["stack", "select", "--stack", STACK] in cmds
    assert ["stack", "init", STACK, "--secrets-provider", "passphrase"] in cmds
    assert ["config", "set-all", "--stack", STACK, "--plaintext", "aws:region=us-east-1"] in cmds
    (up,) = fake_pulumi.ran("up")
    assert up[:3] == ["up", "--yes", "--skip-preview"] and "--target" not in up
    assert any(a.startswith("--client=127.0.0.1:") for a in up) and up[up.index("--exec-kind") + 1] == "auto.inline"
    assert "--event-log" in up and up[-2:] == ["--stack", STACK]
    for call in fake_pulumi.calls()[1:]:
        assert call["env"]["PULUMI_BACKEND_URL"] == backend
        assert call["env"]["PULUMI_CONFIG_PASSPHRASE"] == "correct horse battery staple"
        assert call["cwd"] == str(clean_env / "data" / "workspaces" / STACK)
    project = (clean_env / "data" / "workspaces" / STACK / "Pulumi.yaml").read_text()
    assert "name: aiinfra" in project and backend in project
    assert "aws sts get-caller-identity" in (fake_pulumi.home / "cloud-cli.txt").read_text()

    out = result.output
    assert "Cost (USD" in out and "p5.48xlarge" in out  # the plan and cost table come first
    created = sum(1 for r in llm_scenario if r["custom"])
    assert f"{created} resources in {len(llm_scenario) - 1 - created} components:" in out  # as preview counts (the state adds the Stack)
    assert f"✓ {STACK} is up" in out
    assert "kubeconfig: [secret]" in out and "apiVersion" not in out
    # Progress came from the engine events: one row per component, every resource counted.
    assert re.search(r"ObjectStorage\s*│\s*24\s*│\s*0\s*│\s*0", out)
    assert re.search(r"NodePool llm-train-train\s*│\s*6\s*│", out)
    log = Path(re.search(r"Full log: (\S+)", out).group(1))
    events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    created = {e["res_outputs_event"]["metadata"]["urn"] for e in events if "res_outputs_event" in e}
    assert {r["urn"] for r in llm_scenario if r["custom"]} <= created
    assert any("summary_event" in e for e in events)

    again = invoke("up", SPEC, "--yes")
    assert again.exit_code == 0
    assert len(fake_pulumi.ran("stack", "init")) == 1  # the second run selects the existing stack


@pytest.mark.parametrize(
    "how, url",
    [("flag", "s3://team-state/aiinfra"), ("env", "azblob://state"), ("flag", "https://api.pulumi.com")],
)
def test_backend_from_flag_or_environment(fake_pulumi, llm_scenario, monkeypatch, clean_env, how, url):
    if url.startswith("azblob"):
        monkeypatch.setenv("ARM_CLIENT_ID", "app")
        monkeypatch.setenv("ARM_CLIENT_SECRET", "s")
    if url.startswith("https"):
        monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")  # Pulumi Cloud encrypts secrets itself
    args = ["up", SPEC, "--yes"] + (["--backend", url] if how == "flag" else [])
    if how == "env":
        monkeypatch.setenv("AIINFRA_BACKEND_URL", url)
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert {c["env"]["PULUMI_BACKEND_URL"] for c in fake_pulumi.calls()[1:]} == {url}
    init = fake_pulumi.ran("stack", "init")[0]
    assert ("--secrets-provider" in init) == (not url.startswith("https"))
    assert not (clean_env / "data" / "state").exists()


def test_state_bucket_needs_its_clouds_credentials(fake_pulumi, llm_scenario):
    result = invoke("up", SPEC, "--yes", "--backend", "gs://team-state")
    assert result.exit_code == 1
    assert "gcloud auth application-default login" in result.output
    assert fake_pulumi.commands() == [["version"]]


def test_unknown_backend_scheme_is_bad_input(fake_pulumi):
    result = invoke("up", SPEC, "--yes", "--backend", "ftp://state")
    assert result.exit_code == 2 and "unsupported backend URL" in result.output


def test_no_passphrase_is_never_an_empty_one(fake_pulumi, llm_scenario, monkeypatch, clean_env):
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 1
    assert "PULUMI_CONFIG_PASSPHRASE=" in result.output and "PULUMI_CONFIG_PASSPHRASE_FILE=" in result.output
    assert fake_pulumi.commands() == [["version"]]

    monkeypatch.setenv("AIINFRA_ASSUME_TTY", "1")
    result = invoke("up", SPEC, input="y\ny\n")  # generate the passphrase, then confirm the deploy
    assert result.exit_code == 0, result.output
    secret = clean_env / "data" / "passphrase"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_text().strip()) >= 40
    later = [c for c in fake_pulumi.calls() if c["args"] != ["version"]]
    assert {c["env"]["PULUMI_CONFIG_PASSPHRASE_FILE"] for c in later} == {str(secret)}
    assert {c["env"]["PULUMI_CONFIG_PASSPHRASE"] for c in later} == {None}


def test_missing_or_expired_credentials_stop_before_any_state(fake_pulumi, llm_scenario, monkeypatch):
    monkeypatch.setenv("FAKE_CLOUD_CLI_RC", "255")
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 1 and "aws sts get-caller-identity" in result.output and "aws sso login" in result.output
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 1 and "no aws credentials" in result.output and "aws configure" in result.output
    assert fake_pulumi.commands() == [["version"], ["version"]]


def test_declining_the_confirmation_deploys_nothing(fake_pulumi, llm_scenario):
    result = invoke("up", SPEC, input="n\n")
    assert result.exit_code == 1
    assert "Cost (USD" in result.output and "Nothing was deployed." in result.output
    assert fake_pulumi.commands() == [["version"]]


def test_a_failed_up_is_reported_as_failed(fake_pulumi, llm_scenario):
    cluster = next(r["urn"] for r in llm_scenario if r["type"] == "aws:eks/cluster:Cluster")
    fake_pulumi.scenario(fail_create=cluster)
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 1
    assert "up failed" in result.output and "InsufficientInstanceCapacity" in result.output
    assert "is up" not in result.output


def test_a_second_update_is_refused_while_the_stack_is_locked(fake_pulumi, llm_scenario, clean_env):
    invoke("up", SPEC, "--yes")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_dir = clean_env / "data" / "state" / ".pulumi" / "locks" / "organization" / "aiinfra" / STACK
    lock_dir.mkdir(parents=True)
    (lock_dir / "1f2e.json").write_text(json.dumps({"pid": dead.pid, "username": "ci", "hostname": socket.gethostname(), "timestamp": "2025-01-02T03:04:05Z"}))
    fake_pulumi.scenario(locked=True)
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 1
    assert "is being updated by another run" in result.output and f"pid {dead.pid} of ci@" in result.output
    assert "stale" in result.output and "pulumi cancel --yes --stack llm-train" in result.output
    status = invoke("status", SPEC)
    assert "locked by pid" in status.output


def test_an_interrupted_run_is_detected_and_refresh_recovers(fake_pulumi, llm_scenario):
    vpc = next(r["urn"] for r in llm_scenario if r["type"] == "aws:ec2/vpc:Vpc")
    fake_pulumi.deployed(STACK, llm_scenario[:5], pending=[{"type": "creating", "resource": {"urn": vpc, "type": "aws:ec2/vpc:Vpc"}}])
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 1
    assert "was interrupted" in result.output and f"creating {vpc}" in result.output
    assert "aiinfra refresh SPEC" in result.output and "--clear-pending" in result.output
    assert not fake_pulumi.ran("up")
    status = json.loads(invoke("status", SPEC, "--json").output)
    assert status["pending_operations"] == [{"type": "creating", "urn": vpc}]

    plain = invoke("refresh", SPEC)
    assert plain.exit_code == 1 and "pending create" in plain.output
    assert "--clear-pending-creates" not in fake_pulumi.ran("refresh")[0]
    cleared = invoke("refresh", SPEC, "--clear-pending")
    assert cleared.exit_code == 0, cleared.output
    assert "--clear-pending-creates" in fake_pulumi.ran("refresh")[1]
    assert invoke("up", SPEC, "--yes").exit_code == 0


def test_up_refuses_a_stack_that_holds_another_clouds_environment(fake_pulumi, llm_scenario):
    foreign = [{"urn": "urn:pulumi:llm-train::aiinfra::azure-native:resources:ResourceGroup::rg", "type": "azure-native:resources:ResourceGroup", "custom": True}]
    fake_pulumi.deployed(STACK, foreign)
    result = invoke("up", SPEC, "--yes")
    assert result.exit_code == 1 and "holds azure-native resources" in result.output
    assert not fake_pulumi.ran("up")


# --- down -----------------------------------------------------------------------------------------


def test_down_keeps_the_data_and_says_how_to_delete_it(fake_pulumi, llm_scenario):
    fake_pulumi.deployed(STACK, llm_scenario)
    result = invoke("down", SPEC, "--yes")
    assert result.exit_code == 0, result.output
    first, destroy = fake_pulumi.ran("destroy")  # the Karpenter NodePools first (tests/deploy/test_down_order.py)
    assert "--target-dependents" in first
    assert "--exclude-protected" in destroy and "--continue-on-error" in destroy
    assert not fake_pulumi.ran("up")
    left = managed(fake_pulumi.stacks()[STACK])
    assert {r["urn"] for r in left} == data_urns(llm_scenario)
    assert not set(fake_pulumi.deleted_in_cloud()) & data_urns(llm_scenario)
    assert "Kept 24 data resources" in result.output and "llm-train-datasets-a1b2c3d" in result.output
    assert f"aiinfra down {SPEC} --delete-data" in result.output


def test_down_delete_data_lifts_protection_then_deletes_everything(fake_pulumi, llm_scenario):
    fake_pulumi.deployed(STACK, llm_scenario)
    wrong = invoke("down", SPEC, "--delete-data", input="llm-trian\n")
    assert wrong.exit_code == 1 and "nothing was deleted" in wrong.output
    assert not fake_pulumi.ran("up") and not fake_pulumi.ran("destroy")

    result = invoke("down", SPEC, "--delete-data", input=f"{STACK}\n")
    assert result.exit_code == 0, result.output
    (up,) = fake_pulumi.ran("up")
    targets = {up[i + 1] for i, a in enumerate(up) if a == "--target"}
    assert targets == data_urns(llm_scenario)
    destroy = fake_pulumi.ran("destroy")[-1]
    assert "--exclude-protected" not in destroy and "--continue-on-error" in destroy
    order = [c[0] for c in fake_pulumi.commands() if c[0] in ("up", "destroy")]
    assert order == ["destroy", "up", "destroy"]
    assert managed(fake_pulumi.stacks()[STACK]) == []
    assert data_urns(llm_scenario) <= set(fake_pulumi.deleted_in_cloud())


def test_down_carries_on_past_failures_and_lists_them(fake_pulumi, llm_scenario):
    fake_pulumi.deployed(STACK, llm_scenario)
    stuck = [r["urn"] for r in llm_scenario if r["type"] in ("aws:ec2/subnet:Subnet",)][:2]
    fake_pulumi.scenario(fail_delete=stuck)
    result = invoke("down", SPEC, "--yes")
    assert result.exit_code == 1
    assert "down finished with failures (2)" in result.output
    for urn in stuck:
        assert urn.rsplit("::", 1)[-1] in result.output
    assert "DependencyViolation" in result.output
    left = {r["urn"] for r in managed(fake_pulumi.stacks()[STACK])}
    assert left == data_urns(llm_scenario) | set(stuck)  # everything else went


def test_down_of_an_environment_that_was_never_deployed(fake_pulumi):
    result = invoke("down", SPEC, "--yes")
    assert result.exit_code == 1 and "has no stack" in result.output
    assert not fake_pulumi.ran("stack", "init")


# --- outputs and status ---------------------------------------------------------------------------


def test_outputs_mask_secrets_unless_asked(fake_pulumi, llm_scenario):
    fake_pulumi.deployed(STACK, llm_scenario)
    masked = json.loads(invoke("outputs", SPEC, "--json").output)
    assert masked["kubeconfig"] == "[secret]" and masked["cluster_name"] == "llm-train"
    shown = json.loads(invoke("outputs", SPEC, "--json", "--show-secrets").output)
    assert shown["kubeconfig"].startswith("apiVersion: v1")
    assert "[secret]" in invoke("outputs", SPEC).output


def test_status_reports_last_update_resources_and_lock(fake_pulumi, llm_scenario):
    assert json.loads(invoke("status", SPEC, "--json").output)["deployed"] is False
    invoke("up", SPEC, "--yes")
    info = json.loads(invoke("status", SPEC, "--json").output)
    assert info["deployed"] is True and info["last_update"]["result"] == "succeeded"
    assert info["resources"] == sum(1 for r in llm_scenario if r["custom"] and not r["type"].startswith("pulumi:providers:"))
    assert info["data_resources"] == 24 and "llm-train-checkpoints-a1b2c3d" in info["buckets"]
    assert info["pending_operations"] == [] and info["locks"] == [] and info["locks_readable"] is True
