"""Failover in `aiinfra up`: the stand-in Pulumi CLI fails a GPU pool's creation with each cloud's real stockout
text, then succeeds; aiinfra retries only that pool, on the next zone offering its type, then its gpu alternative,
and records where in the stack's config, so that the next `up` runs the same program."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app

SPECS = {
    "aws": """name: fo-aws
cloud: aws
region: us-east-1
node_pools:
  - {name: train, gpu: ["H100:8", "A100:8"], nodes: 2}
  - {name: cpu, nodes: 1}
""",
    "gcp": """name: fo-gcp
cloud: gcp
region: us-central1
gcp: {project: my-ml-project}
node_pools:
  - {name: train, gpu: ["H100:8", "A100-80GB:8"], nodes: 2, zone: us-central1-a}
  - {name: cpu, nodes: 1}
""",
    "azure": """name: fo-azure
cloud: azure
region: eastus
azure: {subscription_id: 0f0e0d0c-0b0a-4909-8807-060504030201}
node_pools:
  - {name: train, gpu: ["H100:8", "A100-80GB:8"], nodes: 2, zone: "1"}
  - {name: cpu, nodes: 1}
""",
}
POOL_TYPE = {"aws": "aws:eks/nodeGroup:NodeGroup", "gcp": "gcp:container/nodePool:NodePool", "azure": "azure-native:containerservice:AgentPool"}


def ec2(zone: str) -> str:
    # As an EKS managed node group reports it (aws/containers-roadmap#2204, red-hat-storage/ocs-ci#9263).
    return (f"creating EKS Node Group: unexpected state 'CREATE_FAILED', wanted target 'ACTIVE'. last error: AsgInstanceLaunchFailures: "
            f"Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have sufficient p5.48xlarge capacity "
            f"in the Availability Zone you requested ({zone}). Our system will be working on provisioning additional capacity. You can "
            f"currently get p5.48xlarge capacity by not specifying an Availability Zone in your request or choosing us-east-1c, us-east-1d.")


def gce(zone: str) -> str:
    # As a GKE node pool's instance group reports it (tranquilitybase-io/tb-gcp#589, cluster-toolkit#6278).
    return (f"error creating NodePool: Google Compute Engine: Not all instances running in IGM after 25m0s. Expected 1, running 0, "
            f"transitioning 1. Current errors: [GCE_STOCKOUT]: Instance 'gke-fo-gcp-train-1a2b3c4d-x7k2' creation failed: The zone "
            f"'projects/my-ml-project/zones/{zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.")


AZURE = ('Code="ReconcileVMSSAgentPoolFailed" Message="Code=\\"ZonalAllocationFailed\\" Message=\\"Allocation failed. We do not have sufficient '
         'capacity for the requested VM size in this zone. Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance\\""')
FAILURES = {"aws": [ec2("us-east-1a"), ec2("us-east-1b")], "gcp": [gce("us-central1-a")], "azure": [AZURE]}
EXPECTED = {
    "aws": [
        "failover: pool train: try 1 (p5.48xlarge in us-east-1a) failed: InsufficientInstanceCapacity",
        "failover: pool train: try 2: p5.48xlarge in us-east-1b (next zone offering p5.48xlarge); no other pool or data is changed",
        "failover: pool train: try 2 (p5.48xlarge in us-east-1b) failed: InsufficientInstanceCapacity",
        "failover: pool train: try 3: p4d.24xlarge in the region (zone left to the cloud) (next gpu alternative A100:8); no other pool or data is changed",
    ],
    "gcp": [
        "failover: pool train: try 1 (a3-megagpu-8g in us-central1-a) failed: GCE_STOCKOUT",
        "failover: pool train: try 2: a3-megagpu-8g in us-central1-b (next zone offering a3-megagpu-8g); no other pool or data is changed",
    ],
    "azure": [
        "failover: pool train: try 1 (Standard_ND96isr_H100_v5 in 1) failed: ZonalAllocationFailed",
        "failover: pool train: try 2: Standard_ND96isr_H100_v5 in 2 (next zone offering Standard_ND96isr_H100_v5); no other pool or data is changed",
    ],
}
MOVED = {"aws": ("p4d.24xlarge", None), "gcp": ("a3-megagpu-8g", "us-central1-b"), "azure": ("Standard_ND96isr_H100_v5", "2")}


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


def _scenario(fake_pulumi, state_of, tmp_path: Path, cloud: str, failures: list[str]) -> tuple[str, str]:
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load

    spec = tmp_path / f"{cloud}.yaml"
    spec.write_text(SPECS[cloud])
    resources = state_of(build(load(spec)))
    (pool,) = [r["urn"] for r in resources if r["type"] == POOL_TYPE[cloud] and r["urn"].endswith(f"fo-{cloud}-train-" + r["urn"].rsplit("-", 1)[-1])]
    fake_pulumi.scenario(resources=resources, outputs={"cluster_name": f"fo-{cloud}"}, fail_create_times={pool: list(failures)})
    return str(spec), pool




@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_a_stockout_moves_only_that_pool_to_the_next_candidate(cloud, fake_pulumi, as_state, tmp_path, monkeypatch, envs):
    monkeypatch.setenv("AIINFRA_SKIP_CREDENTIALS_CHECK", "1")  # GCP and Azure: the stand-in CLI needs none
    spec, pool_urn = _scenario(fake_pulumi, as_state, tmp_path, cloud, FAILURES[cloud])
    result = CliRunner().invoke(app, ["up", spec, "--yes"])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.output.splitlines() if line.strip().startswith("failover:")]
    assert lines[: len(EXPECTED[cloud])] == EXPECTED[cloud]
    assert len(fake_pulumi.ran("up")) == len(FAILURES[cloud]) + 1 == len(envs)
    first, last = envs[0], envs[-1]
    moved = next(p for p in last.pools if p.name == "train")
    assert (moved.instance_type, moved.zone) == MOVED[cloud]
    for before, after in zip(first.pools, last.pools):
        if before.name != "train":
            assert before == after  # every other pool is the same program input
    assert dataclasses.replace(last, pools=first.pools) == first  # and so is everything else (spec, network zones)
    deployed = {r["urn"] for r in fake_pulumi.stacks()[f"fo-{cloud}"]["deployment"]["resources"]}
    assert pool_urn in deployed
    record = json.loads(fake_pulumi.stacks()[f"fo-{cloud}"]["config"]["aiinfra:placement"])["train"]
    assert (record["instance_type"], record["zone"]) == MOVED[cloud]
    again = CliRunner().invoke(app, ["up", spec, "--yes"])  # the next run keeps the pool where failover put it
    assert again.exit_code == 0 and "failover:" not in again.output, again.output
    assert envs[-1] == last


def test_no_failover_stops_at_the_first_stockout(fake_pulumi, as_state, tmp_path):
    spec, _ = _scenario(fake_pulumi, as_state, tmp_path, "aws", FAILURES["aws"])
    result = CliRunner().invoke(app, ["up", spec, "--yes", "--no-failover"])
    assert result.exit_code == 1
    assert "failover:" not in result.output and "InsufficientInstanceCapacity" in result.output
    assert len(fake_pulumi.ran("up")) == 1


def test_a_quota_error_is_not_retried(fake_pulumi, as_state, tmp_path):
    quota = ("creating EKS Node Group: last error: AsgInstanceLaunchFailures: Could not launch On-Demand Instances. VcpuLimitExceeded - You have "
             "requested more vCPU capacity than your current vCPU limit of 0 allows for the instance bucket that the specified instance type belongs to.")
    spec, _ = _scenario(fake_pulumi, as_state, tmp_path, "aws", [quota])
    result = CliRunner().invoke(app, ["up", spec, "--yes"])
    assert result.exit_code == 1
    assert "failover: pool train: VcpuLimitExceeded is a quota limit, not a stockout: not retried (raise the quota)" in result.output
    assert len(fake_pulumi.ran("up")) == 1
