"""The pieces under `aiinfra up/down`: the inline program, provider config, credentials, backend, passphrase."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aiinfra.deploy.backends import backend_url
from aiinfra.deploy.credentials import check_credentials
from aiinfra.deploy.errors import BadBackend, PassphraseMissing
from aiinfra.deploy.passphrase import generate_passphrase, passphrase_env
from aiinfra.deploy.progress import EventLog
from aiinfra.deploy.stack import program, stack_config, with_data_deleted
from aiinfra.program import engine, mock_settings, offered_zones
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[2]


def run_program(env, monkeypatch):
    """The inline program under mocks, with what it exported and whether each export is secret."""
    import pulumi

    exported: dict = {}
    monkeypatch.setattr(pulumi, "export", lambda k, v: exported.__setitem__(k, v))

    def body():
        program(env)()
        return {k: pulumi.Output.from_input(v).is_secret() for k, v in exported.items() if isinstance(v, pulumi.Output)}

    mocks = engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, offered_zones(env), mock_settings(env))
    return engine.run(body, mocks, stack=env.spec.name), exported


@pytest.fixture(scope="module")
def llm():
    return load(ROOT / "stacks" / "aws-llm.yaml")


def test_inline_program_builds_the_environment_and_keeps_the_kubeconfig_secret(llm, monkeypatch):
    result, exported = run_program(llm, monkeypatch)
    assert result.one("aiinfra:index:Environment", "llm-train")
    assert {"kubeconfig", "buckets"} <= set(exported)
    assert result.outputs["kubeconfig"] is True
    buckets = [r for r in result.of_type("aws:s3/bucket:Bucket")]
    assert buckets and all(r.options["protect"] and r.options["retain_on_delete"] and not r.inputs.get("forceDestroy") for r in buckets)


def test_delete_data_program_lifts_protection_retention_and_empties_buckets(llm, monkeypatch):
    result, _ = run_program(with_data_deleted(llm), monkeypatch)
    assert not any(r.options["protect"] or r.options["retain_on_delete"] for r in result.resources)
    assert all(r.inputs["forceDestroy"] is True for r in result.of_type("aws:s3/bucket:Bucket"))
    assert llm.spec.storage.delete_with_environment is False  # the spec itself is left alone


def test_provider_config_per_cloud(llm):
    assert stack_config(llm) == {"aws:region": "us-east-1"}
    gcp = llm.spec.model_copy(update={"cloud": "gcp", "region": "us-central1", "gcp": llm.spec.gcp.model_copy(update={"project": "ml-proj"})})
    assert stack_config(type(llm)(gcp, [], [])) == {"gcp:region": "us-central1", "gcp:project": "ml-proj"}
    az = llm.spec.model_copy(update={"cloud": "azure", "region": "eastus", "azure": llm.spec.azure.model_copy(update={"subscription_id": "0000-1111"})})
    assert stack_config(type(llm)(az, [], [])) == {"azure-native:location": "eastus", "azure-native:subscriptionId": "0000-1111"}


def test_backend_precedence_and_default_location(monkeypatch, tmp_path):
    monkeypatch.setenv("AIINFRA_DATA_DIR", str(tmp_path))
    for var in ("AIINFRA_BACKEND_URL", "PULUMI_BACKEND_URL"):
        monkeypatch.delenv(var, raising=False)
    assert backend_url() == (tmp_path / "state").as_uri() and (tmp_path / "state").is_dir()
    monkeypatch.setenv("PULUMI_BACKEND_URL", "gs://b")
    assert backend_url() == "gs://b"
    monkeypatch.setenv("AIINFRA_BACKEND_URL", "s3://a")
    assert backend_url() == "s3://a"
    assert backend_url("azblob://c") == "azblob://c"
    with pytest.raises(BadBackend):
        backend_url("state/")


def test_passphrase_sources(monkeypatch, tmp_path):
    monkeypatch.setenv("AIINFRA_DATA_DIR", str(tmp_path))
    assert passphrase_env("https://api.pulumi.com", {}) == {}
    assert passphrase_env("file:///s", {"PULUMI_CONFIG_PASSPHRASE": "p"}) == {"PULUMI_CONFIG_PASSPHRASE": "p"}
    with pytest.raises(PassphraseMissing):
        passphrase_env("file:///s", {"PULUMI_CONFIG_PASSPHRASE": ""})  # empty is not a passphrase
    with pytest.raises(PassphraseMissing, match="does not exist"):
        passphrase_env("s3://b", {"PULUMI_CONFIG_PASSPHRASE_FILE": str(tmp_path / "nope")})
    path = generate_passphrase()
    assert passphrase_env("s3://b", {}) == {"PULUMI_CONFIG_PASSPHRASE_FILE": str(path)}
    with pytest.raises(FileExistsError):
        generate_passphrase()  # never overwrites a passphrase that encrypts existing state


@pytest.mark.parametrize(
    "cloud, environ, files, ok, fix",
    [
        ("aws", {}, {}, False, "aws configure"),
        ("aws", {"AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": "arn:aws:iam::1:role/ci"}, {}, True, None),
        ("aws", {}, {".aws/config": "[profile ml]\nsso_session = corp\n"}, True, None),
        ("gcp", {}, {}, False, "gcloud auth application-default login"),
        ("gcp", {}, {".config/gcloud/application_default_credentials.json": "{}"}, True, None),
        ("gcp", {"GOOGLE_APPLICATION_CREDENTIALS": "/missing.json"}, {}, False, "GOOGLE_APPLICATION_CREDENTIALS"),
        ("azure", {}, {}, False, "az login"),
        ("azure", {"ARM_CLIENT_ID": "a", "ARM_CLIENT_SECRET": "s"}, {}, True, None),
        ("azure", {"ARM_USE_OIDC": "true"}, {}, True, None),
        ("azure", {}, {".azure/azureProfile.json": '{"subscriptions": []}'}, False, "az login"),
        ("azure", {}, {".azure/azureProfile.json": '{"subscriptions": [{"id": "x"}]}'}, True, None),
    ],
)
def test_credential_sources_and_fixes(tmp_path, cloud, environ, files, ok, fix):
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    check = check_credentials(cloud, environ=environ, home=tmp_path, which=lambda _: None)
    assert check.ok is ok
    if fix:
        assert any(fix in f for f in check.fixes)


def test_credentials_are_verified_with_the_clouds_cli_when_present(tmp_path):
    ran = []
    env = {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
    expired = check_credentials("aws", env, tmp_path, which=lambda c: f"/usr/bin/{c}", run=lambda cmd: ran.append(cmd) or 255)
    assert not expired.ok and "expired" in expired.detail and ran == [["aws", "sts", "get-caller-identity", "--output", "json"]]
    assert check_credentials("aws", env, tmp_path, which=lambda c: "/x", run=lambda cmd: 0).ok
    assert check_credentials("gcp", {"AIINFRA_SKIP_CREDENTIALS_CHECK": "1"}, tmp_path).ok


def test_event_log_groups_resources_by_component(tmp_path):
    from pulumi.automation.events import EngineEvent

    env_urn = "urn:pulumi:s::aiinfra::aiinfra:index:Environment::s"
    pool = "urn:pulumi:s::aiinfra::aiinfra:index:Environment$aiinfra:aws:NodePool::s-train"
    ng = "urn:pulumi:s::aiinfra::aiinfra:index:Environment$aiinfra:aws:NodePool$aws:eks/nodeGroup:NodeGroup::s-train-ng"
    log = EventLog(tmp_path / "x.log")

    def step(kind, urn, typ, parent, custom, op="create"):
        state = {"urn": urn, "type": typ, "parent": parent, "custom": custom}
        log(EngineEvent.from_json({"sequence": 1, "timestamp": 1, kind: {"metadata": {"op": op, "urn": urn, "type": typ, "new": state}}}))

    step("resourcePreEvent", pool, "aiinfra:aws:NodePool", env_urn, False)
    step("resourcePreEvent", ng, "aws:eks/nodeGroup:NodeGroup", pool, True)
    assert log.counts() == {"NodePool s-train": {"running": 1, "done": 0, "failed": 0}}
    step("resOpFailedEvent", ng, "aws:eks/nodeGroup:NodeGroup", pool, True)
    log(EngineEvent.from_json({"sequence": 2, "timestamp": 2, "diagnosticEvent": {"urn": ng, "message": "boom\n", "severity": "error"}}))
    assert log.counts()["NodePool s-train"]["failed"] == 1 and log.failures == [(ng, "boom")]
    log.close()
    lines = (tmp_path / "x.log").read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[0])["resource_pre_event"]["metadata"]["urn"] == pool
