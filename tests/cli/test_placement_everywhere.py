"""Placement is an input of resolve(): every command that reads an environment sees the pool where the stack's
config records failover put it, so that `validate`, `render` and `graph` agree with `preview`, `cost` and `up`.

The record here moves `train` to its gpu: alternative (p4d.24xlarge, 4 EFA interfaces, instead of p5.48xlarge's
32): a manifest rendered for the spec's own choice would ask for interfaces the node does not have.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.resolve.placement import KEY, dumps
from aiinfra.resolve.result import Record

SPEC = """name: pe-aws
cloud: aws
region: us-east-1
node_pools:
  - {name: train, gpu: ["H100:8", "A100:8"], nodes: 2}
  - {name: cpu, nodes: 1}
storage: {buckets: [checkpoints]}
workload: {enabled: true}
"""
MOVED = Record("train", "p4d.24xlarge", None, "2026-11-26", "p5.48xlarge in us-east-1a")


@pytest.fixture
def spec(tmp_path: Path, monkeypatch) -> str:
    path = tmp_path / "pe-aws.yaml"
    path.write_text(SPEC)
    monkeypatch.setenv("AIINFRA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "250")
    return str(path)


def record(tmp_path: Path, *records: Record) -> None:
    """What `aiinfra up` writes through the Automation API: the stack settings file of the local workspace."""
    folder = tmp_path / "data" / "workspaces" / "pe-aws"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.pe-aws.yaml").write_text(yaml.safe_dump({"config": {KEY: dumps(list(records))}}))


def run(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def train_type(data: dict) -> str:
    return next(p["instance_type"] for p in data["node_pools"] if p["name"] == "train")


def efa_requests(folder: Path) -> set[str]:
    found = set()
    for path in folder.glob("*.yaml"):
        text = path.read_text()
        found |= {line.split(":", 1)[1].strip().strip("'\"") for line in text.splitlines() if "vpc.amazonaws.com/efa:" in line}
    return found


def test_without_a_record_every_command_builds_the_spec_choice(spec, tmp_path):
    assert train_type(json.loads(run("validate", spec, "--json").stdout)) == "p5.48xlarge"
    run("render", spec, "--out", str(tmp_path / "plain"))
    assert efa_requests(tmp_path / "plain") == {"32"}


def test_validate_render_graph_preview_and_cost_all_see_the_recorded_placement(spec, tmp_path):
    record(tmp_path, MOVED)
    checked = json.loads(run("validate", spec, "--json").stdout)
    assert train_type(checked) == "p4d.24xlarge"
    assert checked["placement"]["used"]["train"]["instance_type"] == "p4d.24xlarge"
    shown = run("validate", spec).output
    assert "train: p4d.24xlarge (8 × A100)" in shown and "kept from the stack's config" in shown
    rendered = run("render", spec, "--out", str(tmp_path / "placed"))
    assert efa_requests(tmp_path / "placed") == {"4"}  # the workload plan and fit check ran on the placed pool
    assert "kept from the stack's config" in rendered.stderr
    graph = run("graph", spec)
    assert "p4d.24xlarge · 8 × A100" in graph.stdout and "p5.48xlarge" not in graph.stdout
    preview = json.loads(run("preview", spec, "--json").stdout)
    assert train_type(preview) == "p4d.24xlarge" and preview["placement"]["used"]["train"]["zone"] is None
    cost = json.loads(run("cost", spec, "--json").stdout)
    assert train_type(cost) == "p4d.24xlarge"


def test_offers_start_from_the_spec_not_from_a_deployed_stack(spec, tmp_path):
    record(tmp_path, MOVED)
    data = json.loads(run("offers", spec, "--json").stdout)
    here = next(o for o in data["offers"] if o["cloud"] == "aws" and o["region"] == "us-east-1")
    assert "p5.48xlarge" in json.dumps(here)
