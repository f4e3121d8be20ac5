"""`aiinfra init`: a starter spec that validates as written, and never over an existing file."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from aiinfra.cli.main import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def said(r) -> str:
    """The output with line wrapping undone, so long paths can be matched."""
    return " ".join(r.output.split())


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_starter_spec_validates_for_every_cloud(tmp_path, cloud):
    out = tmp_path / "env.yaml"
    r = run("init", "--cloud", cloud, "-o", str(out))
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert text.count("\n#") >= 5 and f"cloud: {cloud}" in text
    v = run("validate", "--json", str(out))
    assert v.exit_code == 0, v.output
    pools = json.loads(v.stdout)["node_pools"]
    assert any(p["gpu"] in {"L4", "A10"} for p in pools)
    assert run("cost", str(out)).exit_code == 0
    # Every alternative is a one-GPU type this cloud's catalog offers in the region (A10 never exists on AWS: A10G).
    from aiinfra import catalog

    spec = yaml.safe_load(text)
    options = spec["node_pools"][0]["gpu"]
    offered = {f"{o.gpu}:1" for o in catalog.offers(cloud) if o.gpu and o.spec.gpu_count == 1 and spec["region"] in o.spec.regions}
    assert len(options) == 2 and set(options) <= offered, options


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_gpu_option_sets_the_pool(tmp_path, cloud):
    out = tmp_path / "h100.yaml"
    assert run("init", "--cloud", cloud, "--gpu", "H100:8", "--name", "big-train", "-o", str(out)).exit_code == 0
    data = json.loads(run("validate", "--json", str(out)).stdout)
    gpu_pool = next(p for p in data["node_pools"] if p["gpu"])
    assert (gpu_pool["gpu"], gpu_pool["gpus_per_node"]) == ("H100", 8)
    assert yaml.safe_load(out.read_text())["name"] == "big-train"


def test_region_and_project(tmp_path):
    out = tmp_path / "g.yaml"
    assert run("init", "--cloud", "gcp", "--region", "europe-west4", "--project", "acme-ml-prod", "-o", str(out)).exit_code == 0
    spec = yaml.safe_load(out.read_text())
    assert spec["region"] == "europe-west4" and spec["gcp"]["project"] == "acme-ml-prod"


def test_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "env.yaml"
    out.write_text("keep me\n")
    r = run("init", "-o", str(out))
    assert r.exit_code == 2 and "already exists" in said(r) and "--force" in said(r)
    assert out.read_text() == "keep me\n"
    assert run("init", "-o", str(out), "--force").exit_code == 0
    assert "cloud: aws" in out.read_text()


def test_stdout(tmp_path):
    r = run("init", "--cloud", "azure", "-o", "-")
    assert r.exit_code == 0
    assert yaml.safe_load(r.stdout)["cloud"] == "azure"


@pytest.mark.parametrize(
    "args, where",
    [
        (["--gpu", "H10:8"], "did you mean H100"),
        (["--gpu", "H100"], "MODEL:COUNT"),
        (["--gpu", "H100:0"], "MODEL:COUNT"),
        (["--cloud", "azure", "--gpu", "B200:8"], "B200"),
        (["--region", "us-east1"], "us-east-1"),
        (["--name", "Bad_Name"], "--name"),
        (["--cloud", "oracle"], "oracle"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, args, where):
    out = tmp_path / "env.yaml"
    r = runner.invoke(app, ["init", *args, "-o", str(out)])
    assert r.exit_code == 2, r.output
    assert where in said(r) and "Traceback" not in r.output
    assert not out.exists()


def test_output_is_a_directory(tmp_path):
    r = run("init", "-o", str(tmp_path))
    assert r.exit_code == 2 and "is a directory" in said(r)
