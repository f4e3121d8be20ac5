"""A stand-in Pulumi CLI on PATH, a private data directory, and canned deployments built from the real program."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FAKE = Path(__file__).with_name("fake_pulumi.py")
CREDENTIAL_VARS = [
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
    "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CREDENTIALS", "GOOGLE_OAUTH_ACCESS_TOKEN", "CLOUDSDK_AUTH_ACCESS_TOKEN", "CLOUDSDK_CONFIG",
    "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_USE_OIDC", "ARM_USE_MSI", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CONFIG_DIR",
    "AIINFRA_SKIP_CREDENTIALS_CHECK", "AIINFRA_BACKEND_URL", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE", "AIINFRA_ASSUME_TTY", "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK",
]


class FakePulumi:
    def __init__(self, home: Path):
        self.home = home

    def scenario(self, **knobs) -> None:
        path = self.home / "scenario.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        data.update(knobs)
        path.write_text(json.dumps(data))

    def calls(self) -> list[dict]:
        path = self.home / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def commands(self) -> list[list[str]]:
        """Each call's argv without the per-run noise (ports, event-log paths)."""
        out = []
        for c in self.calls():
            out.append([a for a in c["args"] if not a.startswith(("--client=", "/", "tcp://"))])
        return out

    def ran(self, *prefix: str) -> list[list[str]]:
        return [c["args"] for c in self.calls() if c["args"][: len(prefix)] == list(prefix)]

    def stacks(self) -> dict:
        path = self.home / "stacks.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def deployed(self, stack: str, resources: list[dict], pending: list[dict] | None = None) -> None:
        """Seed a stack as a previous `aiinfra up` would have left it."""
        stacks = self.stacks()
        stacks[stack] = {
            "config": {}, "secrets": "passphrase", "history": [],
            "deployment": {"manifest": {}, "resources": [dict(r) for r in resources], "pending_operations": pending or []},
        }
        (self.home / "stacks.json").write_text(json.dumps(stacks))

    def deleted_in_cloud(self) -> list[str]:
        path = self.home / "deleted-in-cloud.txt"
        return path.read_text().split() if path.exists() else []


@pytest.fixture
def envs(monkeypatch) -> list:
    """The environment each `pulumi up` ran the program of."""
    from aiinfra.deploy import operations

    seen = []
    real = operations.up

    def up(t, log):
        seen.append(t.env)
        return real(t, log)

    monkeypatch.setattr(operations, "up", up)
    return seen


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No real credentials, backends or passphrases leak in; data and HOME are private to the test."""
    for var in CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("AIINFRA_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture
def fake_pulumi(clean_env, monkeypatch) -> FakePulumi:
    tmp = clean_env
    home = tmp / "fake"
    home.mkdir()
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "pulumi"
    shim.write_text(f"#!{sys.executable}\nimport runpy, sys\nsys.argv[0] = 'pulumi'\nrunpy.run_path({str(FAKE)!r}, run_name='__main__')\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    for cli in ("aws", "gcloud", "az"):
        # The credential check asks the cloud's CLI who we are; these answer from $FAKE_CLOUD_CLI_RC.
        tool = bin_dir / cli
        tool.write_text(f"#!/bin/sh\necho \"{cli} $*\" >> {home}/cloud-cli.txt\nexit ${{FAKE_CLOUD_CLI_RC:-0}}\n")
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PULUMI_DIR", str(home))
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "correct horse battery staple")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake")
    return FakePulumi(home)


def state_of(preview: dict) -> list[dict]:
    """The resources `pulumi stack export` would list after deploying what the offline preview shows."""
    stack_urn = f"urn:pulumi:{preview['environment']}::aiinfra::pulumi:pulumi:Stack::aiinfra-{preview['environment']}"
    out = [{"urn": stack_urn, "type": "pulumi:pulumi:Stack", "custom": False}]
    for r in preview["resources"]:
        opts = r.get("options") or {}
        outputs = {"bucket": f"{r['name']}-a1b2c3d"} if r["type"] == "aws:s3/bucket:Bucket" else {}
        out.append({
            "urn": r["urn"], "type": r["type"], "custom": r["custom"], "parent": r["parent"] or stack_urn,
            "protect": bool(opts.get("protect")), "retainOnDelete": bool(opts.get("retain_on_delete")),
            "dependencies": opts.get("depends_on") or [], "outputs": outputs,
        })
    return out


@pytest.fixture(scope="session")
def llm_preview() -> dict:
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load

    return build(load(ROOT / "stacks" / "aws-llm.yaml"))


@pytest.fixture
def llm_scenario(fake_pulumi, llm_preview) -> list[dict]:
    resources = state_of(llm_preview)
    fake_pulumi.scenario(
        resources=resources,
        outputs={"kubeconfig": "apiVersion: v1\nkind: Config\n", "cluster_name": "llm-train", "buckets": {"datasets": "llm-train-datasets-a1b2c3d"}},
        secret_outputs=["kubeconfig"],
    )
    return resources


@pytest.fixture
def as_state():
    """state_of, for tests that build their own previews."""
    return state_of
