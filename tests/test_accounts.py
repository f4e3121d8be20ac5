"""GCP project and Azure subscription: spec, then environment, then the CLIs' own configuration files."""

import json
from pathlib import Path

import pytest

from aiinfra.components.azure import profile as azure
from aiinfra.components.base import accounts
from aiinfra.components.gcp import profile as gcp
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """No project or subscription anywhere: a fresh HOME and none of the variables."""
    for var in ("GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT", "CLOUDSDK_CONFIG", "CLOUDSDK_ACTIVE_CONFIG_NAME", "AZURE_SUBSCRIPTION_ID", "ARM_SUBSCRIPTION_ID", "AZURE_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def gcloud_config(home: Path, name: str, project: str) -> None:
    base = home / ".config" / "gcloud"
    (base / "configurations").mkdir(parents=True)
    (base / "active_config").write_text(name + "\n")
    (base / "configurations" / f"config_{name}").write_text(f"[core]\naccount = me@example.com\nproject = {project}\n")


def moved(cloud: str, region: str) -> str:
    text = (ROOT / "stacks" / "aws-llm.yaml").read_text()
    return text.replace("cloud: aws", f"cloud: {cloud}").replace("region: us-east-1", f"region: {region}")


def test_spec_value_wins(bare, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "env-project")
    assert gcp.gcp_project("spec-project").source == "spec"


def test_environment_variables_in_order(bare, monkeypatch):
    monkeypatch.setenv("CLOUDSDK_CORE_PROJECT", "second-choice")
    assert gcp.gcp_project(None).value == "second-choice"
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "first-choice")
    got = gcp.gcp_project(None)
    assert (got.value, got.source, got.placeholder) == ("first-choice", "$GOOGLE_CLOUD_PROJECT", False)


def test_gcloud_active_configuration_is_read_without_gcloud(bare):
    gcloud_config(bare, "work", "from-gcloud")
    got = gcp.gcp_project(None)
    assert (got.value, got.source) == ("from-gcloud", "gcloud configuration")


def test_cloudsdk_config_moves_the_configuration(bare, monkeypatch, tmp_path):
    other = tmp_path / "elsewhere"
    gcloud_config(other, "default", "moved-project")
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(other / ".config" / "gcloud"))
    assert gcp.gcp_project(None).value == "moved-project"


def test_nothing_found_is_a_named_placeholder(bare):
    got = gcp.gcp_project(None)
    assert got.placeholder and got.value == gcp.PLACEHOLDER == "placeholder-project"
    az = azure.azure_subscription(None)
    assert az.placeholder and az.value == azure.PLACEHOLDER


def test_az_profile_default_subscription(bare):
    (bare / ".azure").mkdir()
    subs = [{"id": "11111111-1111-1111-1111-111111111111", "isDefault": False}, {"id": "22222222-2222-2222-2222-222222222222", "isDefault": True}]
    (bare / ".azure" / "azureProfile.json").write_text("\ufeff" + json.dumps({"subscriptions": subs}), encoding="utf-8")
    got = azure.azure_subscription(None)
    assert (got.value, got.source) == ("22222222-2222-2222-2222-222222222222", "az CLI default subscription")


def test_azure_subscription_from_environment(bare, monkeypatch):
    monkeypatch.setenv("AZURE_SUBSCRIPTION_ID", "33333333-3333-3333-3333-333333333333")
    assert azure.azure_subscription(None).source == "$AZURE_SUBSCRIPTION_ID"


def test_broken_configuration_files_are_ignored(bare):
    base = bare / ".config" / "gcloud" / "configurations"
    base.mkdir(parents=True)
    (bare / ".config" / "gcloud" / "active_config").write_bytes(b"\xff\xfe")
    (base / "config_default").write_text("not an ini [[[")
    (bare / ".azure").mkdir()
    (bare / ".azure" / "azureProfile.json").write_text("{not json")
    assert gcp.gcp_project(None).placeholder and azure.azure_subscription(None).placeholder


@pytest.mark.parametrize("cloud, region", [("gcp", "us-central1"), ("azure", "eastus")])
def test_the_aws_example_moves_by_cloud_and_region_alone(bare, cloud, region):
    env = resolve(parse_spec(moved(cloud, region)))
    [note] = env.warnings
    assert note.path == ("gcp.project" if cloud == "gcp" else "azure.subscription_id")
    assert "placeholder" in note.message and "aiinfra up" in note.message
    assert env.account and env.account.placeholder
    if cloud == "gcp":
        assert env.account_id == gcp.PLACEHOLDER and env.spec.gcp.project is None


def test_up_refuses_a_placeholder_and_lists_the_ways(bare):
    env = resolve(load_spec(ROOT / "tests" / "fixtures" / "specs" / "gcp.ok.no-project.yaml"))
    with pytest.raises(SpecError) as info:
        accounts.require_real(env.account, "spec.yaml")
    [p] = info.value.problems
    assert p.path == "gcp.project"
    assert "GOOGLE_CLOUD_PROJECT" in p.hint and "gcloud config set project" in p.hint and "gcp: {project:" in p.hint


def test_found_project_is_used_without_a_warning(bare, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "real-project")
    env = resolve(parse_spec(moved("gcp", "us-central1")))
    assert env.account_id == "real-project" and env.spec.gcp.project is None and env.warnings == []
    accounts.require_real(env.account, "spec.yaml")
