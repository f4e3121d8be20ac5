"""`offers --apply N` edits the user's file in place (aiinfra.resolve.apply_offer): comments, order and layout of
everything the move does not change stay as written, and the written file resolves."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.resolve.apply_offer import _yaml_like
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

# A commented spec in the 4-space, indented-dash layout, with a zone pin (which a move drops) whose own comment
# goes with it while the comment lines around it stay.
COMMENTED = """\
# Training on AWS, moved by offers --apply.
name: moved-llm   # lowercase, used in resource names
cloud: aws        # the cloud the move rewrites
region: us-east-1

node_pools:
    # the big pool first
    -   name: train
        gpu: H100:8          # 8 per node
        zone: us-east-1a     # pinned to the capacity's zone
        # two nodes, fixed
        nodes: 2
        capacity: on-demand
    -   name: serve
        gpu: [L4:1, A10:1]   # first one offered wins
        nodes: {min: 1, max: 4}
        capacity: spot
        # end of the serve pool
storage:
    buckets: [datasets, checkpoints]   # 'datasets' is read-only in pods
tags:
    team: "ml-platform"   # quoted on purpose
# trailing comment
"""


def _comments(text: str) -> list[str]:
    return [m.group(0).strip() for m in re.finditer(r"#[^\n]*", text)]


def _offer(path: Path, cloud: str) -> dict:
    """The first offer on `cloud` (ranked among that cloud's only: pass the same --clouds to --apply)."""
    data = json.loads(runner.invoke(app, ["offers", str(path), "--json", "--clouds", cloud]).stdout)
    return next(o for o in data["offers"] + data["borrowed"] if o["cloud"] == cloud)


@pytest.mark.parametrize("cloud", ["gcp", "azure"])
def test_a_commented_spec_moved_keeps_every_comment_line_and_resolves(tmp_path, cloud):
    path = tmp_path / "llm.yaml"
    path.write_text(COMMENTED)
    target = _offer(path, cloud)
    out = tmp_path / "moved.yaml"
    r = runner.invoke(app, ["offers", str(path), "--clouds", cloud, "--apply", str(target["rank"]), "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    # Every comment stays, in order, but the removed zone's own.
    assert _comments(text) == [c for c in _comments(COMMENTED) if c != "# pinned to the capacity's zone"]
    # Only the lines the move changes differ: cloud, region, and the zone pin gone; the rest byte for byte.
    changed = {i for i, line in enumerate(COMMENTED.splitlines()) if line.lstrip().startswith(("cloud:", "region:", "zone:"))}
    kept = [line for i, line in enumerate(COMMENTED.splitlines()) if i not in changed]
    assert [line for line in text.splitlines() if not line.lstrip().startswith(("cloud:", "region:"))] == kept
    assert f"region: {target['region']}\n" in text
    (line,) = [line for line in text.splitlines() if line.startswith("cloud:")]
    assert line.startswith(f"cloud: {cloud} ") and line.index("#") == COMMENTED.index("# the cloud") - COMMENTED.index("cloud: aws")  # its column kept
    env = load(out)
    assert (env.spec.cloud, env.spec.region) == (cloud, target["region"])
    assert [p.instance_type for p in env.pools if p.name in ("train", "serve")] == [p["instance_type"] for p in target["pools"] if p["name"] in ("train", "serve")]


def test_a_refused_move_writes_nothing(tmp_path):
    path = tmp_path / "llm.yaml"
    path.write_text(COMMENTED)
    out = tmp_path / "moved.yaml"
    r = runner.invoke(app, ["offers", str(path), "--apply", "999", "-o", str(out)])
    assert r.exit_code == 2 and "--apply" in r.output and not out.exists()


def test_a_total_request_is_rewritten_as_its_shape_and_the_comments_after_it_stay(tmp_path):
    path = tmp_path / "total.yaml"
    path.write_text(
        "name: shapes\ncloud: aws\nregion: us-east-1\nnode_pools:\n  - name: train\n    gpu:              # any shape giving 16\n"
        "      total: 16\n      models: [A100-80GB, H100]\n    # comment line after the request\n    capacity: on-demand\n"
    )
    target = _offer(path, "azure")
    out = tmp_path / "moved.yaml"
    assert runner.invoke(app, ["offers", str(path), "--clouds", "azure", "--apply", str(target["rank"]), "-o", str(out)]).exit_code == 0
    text = out.read_text()
    (train,) = [p for p in target["pools"] if p["name"] == "train"]
    assert f"    gpu: {train['shape']['gpu']}" in text and "    # comment line after the request\n    capacity: on-demand\n" in text
    assert f"    nodes: {train['shape']['nodes']}\n" in text
    assert load(out).spec.cloud == "azure"


@pytest.mark.parametrize("path", sorted((ROOT / "stacks").glob("[!P]*.yaml")) + sorted(p for p in (ROOT / "tests/fixtures/specs").glob("*.yaml") if ".bad." not in p.name), ids=lambda p: p.name)
def test_an_unchanged_spec_is_written_back_byte_for_byte(path):
    text = path.read_text()
    yaml = _yaml_like(text)
    out = io.StringIO()
    yaml.dump(yaml.load(text), out)
    assert out.getvalue() == text
