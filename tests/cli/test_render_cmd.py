"""`aiinfra render`: files written, where names come from, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from aiinfra.cli.main import app

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
GCP_OUTPUTS = {
    "buckets": {"checkpoints": "wl-gcp-checkpoints-1a2b3c4"},
    "registry": {"wl-gcp": "us-central1-docker.pkg.dev/my-ml-project/wl-gcp"},
    "workload_service_account": "ml/workload",
    "workload_gsa_email": "wl@my-ml-project.iam.gserviceaccount.com",
}


def run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_render_offline_writes_one_file_per_manifest_and_says_names_are_previewed(tmp_path):
    r = run("render", str(SPECS / "aws.ok.workload-efa.yaml"), "--out", str(tmp_path / "out"), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["names_from"] == "offline preview" and "offline preview" in data["note"]
    files = sorted((tmp_path / "out").glob("*.yaml"))
    assert [Path(f["path"]).name for f in data["files"]] == [f.name for f in files]
    docs = [yaml.safe_load(f.read_text()) for f in files]
    assert [d["kind"] for d in docs][:2] == ["Namespace", "ServiceAccount"]
    job = next(d for d in docs if d["kind"] == "TrainJob" and d["metadata"]["name"] == "wl-aws-train")
    # Bucket and registry names are the mocks' physical names, as `up` would compute them.
    assert job["spec"]["trainer"]["args"][3].startswith("s3://wl-aws-checkpoints-")
    assert ".dkr.ecr.us-east-1.amazonaws.com/" in job["spec"]["trainer"]["image"]


def test_render_text_output_lists_files_and_the_offline_note(tmp_path):
    r = run("render", str(SPECS / "aws.ok.workload-ethernet.yaml"), "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    flat = "".join(r.output.split())  # rich wraps long paths
    assert "trainjob-wl-eth-train.yaml" in flat and "offlinepreview" in flat


def test_render_with_stack_outputs(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(GCP_OUTPUTS))
    r = run("render", str(SPECS / "gcp.ok.workload-gke-fabrics.yaml"), "--out", str(tmp_path / "m"), "--outputs", str(outputs), "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["note"] is None and data["fabric_tests"] == ["mega", "ultra"]
    sa = yaml.safe_load((tmp_path / "m" / "01-serviceaccount-workload.yaml").read_text())
    assert sa["metadata"]["annotations"]["iam.gke.io/gcp-service-account"] == GCP_OUTPUTS["workload_gsa_email"]


def test_render_outputs_missing_a_key_exits_2_with_the_path(tmp_path):
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({k: v for k, v in GCP_OUTPUTS.items() if k != "workload_gsa_email"}))
    r = run("render", str(SPECS / "gcp.ok.workload-gke-fabrics.yaml"), "--out", str(tmp_path / "m"), "--outputs", str(outputs), "--json")
    assert r.exit_code == 2
    problem = json.loads(r.stdout)["problems"][0]
    assert problem["path"] == "--outputs" and "workload_gsa_email" in problem["message"]
    assert not (tmp_path / "m").exists()


def test_render_bad_spec_exits_2_listing_workload_problems(tmp_path):
    r = run("render", str(SPECS / "aws.bad.workload-references.yaml"), "--out", str(tmp_path))
    assert r.exit_code == 2
    assert "workload.train_pool" in r.output and "did you mean train?" in r.output
    assert "Traceback" not in r.output


def test_render_spec_without_bucket_exits_2(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("name: nobkt\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: g, gpu: 'L4:1'}]\n")
    r = run("render", str(spec), "--out", str(tmp_path / "o"), "--json")
    assert r.exit_code == 2
    assert json.loads(r.stdout)["problems"][0]["path"] == "storage.buckets"
