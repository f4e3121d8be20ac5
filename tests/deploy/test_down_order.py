"""`down` on an environment with Karpenter: the NodePools go first, in a targeted destroy that returns only once their
instances are gone, and the controller, its roles and the network go only after; a failed first step stops there."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
SPEC = str(ROOT / "stacks" / "aws-llm.yaml")
STACK = "llm-train"
NODE_POOLS = ("kubernetes:karpenter.sh/v1:NodePool", "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")
INSTANCE = "arn:aws:ec2:us-east-1:123456789012:instance/i-0karpenter0000001"


@pytest.fixture(autouse=True)
def wide(monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def urns(resources: list[dict], *types: str, name: str = "") -> list[str]:
    return [r["urn"] for r in resources if r["type"] in types and name in r["urn"]]


def after_karpenter(resources: list[dict]) -> list[str]:
    """What must outlive every Karpenter instance: its controller chart, IAM roles, queue, and the network."""
    controller = urns(resources, "kubernetes:helm.sh/v4:Chart", name="karpenter-karpenter")
    iam = urns(resources, "aws:iam/role:Role", "aws:eks/accessEntry:AccessEntry", "aws:sqs/queue:Queue", name="karpenter")
    network = urns(resources, "aws:ec2/subnet:Subnet", "aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster")
    assert controller and len(iam) == 4 and network
    return controller + iam + network


def test_node_pools_go_first_and_their_instances_before_the_controller_roles_and_network(fake_pulumi, llm_scenario):
    pool = urns(llm_scenario, NODE_POOLS[0])
    assert len(pool) == 1
    fake_pulumi.deployed(STACK, llm_scenario)
    fake_pulumi.scenario(launched_by={pool[0]: [INSTANCE]})
    result = invoke("down", SPEC, "--yes")
    assert result.exit_code == 0, result.output
    first, rest = fake_pulumi.ran("destroy")
    targets = {first[i + 1] for i, a in enumerate(first) if a == "--target"}
    assert targets == set(urns(llm_scenario, *NODE_POOLS)) and "--target-dependents" in first
    assert "--target" not in rest
    gone = fake_pulumi.deleted_in_cloud()
    last_of_karpenter = max(gone.index(u) for u in [*targets, INSTANCE])
    assert all(gone.index(u) > last_of_karpenter for u in after_karpenter(llm_scenario))


def test_a_node_pool_that_cannot_be_removed_stops_down_before_anything_else(fake_pulumi, llm_scenario):
    pool = urns(llm_scenario, NODE_POOLS[0])
    fake_pulumi.deployed(STACK, llm_scenario)
    fake_pulumi.scenario(fail_delete=pool, launched_by={pool[0]: [INSTANCE]})
    result = invoke("down", SPEC, "--yes")
    assert result.exit_code == 1
    assert "could not be removed, so nothing else was" in " ".join(result.output.split())
    assert len(fake_pulumi.ran("destroy")) == 1
    left = {r["urn"] for r in fake_pulumi.stacks()[STACK]["deployment"]["resources"]}
    assert set(after_karpenter(llm_scenario)) <= left and set(pool) <= left
    assert INSTANCE not in fake_pulumi.deleted_in_cloud()
    # Once the pool can go, down runs to the end.
    fake_pulumi.scenario(fail_delete=[])
    again = invoke("down", SPEC, "--yes")
    assert again.exit_code == 0, again.output


def test_one_unordered_destroy_would_still_remove_node_pools_before_the_controller(llm_scenario):
    """Pulumi's own order (a plain `pulumi destroy`): each NodePool depends, transitively, on the controller, its
    roles, queue and access entry, so they are deleted after it."""
    by_urn = {r["urn"]: r for r in llm_scenario}

    def needs(urn: str) -> set[str]:
        seen: set[str] = set()
        todo = [urn]
        while todo:
            for d in by_urn[todo.pop()].get("dependencies", []):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    (pool,) = urns(llm_scenario, NODE_POOLS[0])
    controller = urns(llm_scenario, "kubernetes:helm.sh/v4:Chart", name="karpenter-karpenter")
    assert set(controller) <= needs(pool)
    iam = urns(llm_scenario, "aws:iam/role:Role", "aws:eks/accessEntry:AccessEntry", "aws:sqs/queue:Queue", "aws:eks/podIdentityAssociation:PodIdentityAssociation", name="karpenter")
    assert set(iam) <= needs(pool) | needs(controller[0]) | {d for c in needs(controller[0]) for d in needs(c)}
