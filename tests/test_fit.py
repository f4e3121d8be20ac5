"""The fit check: every example's and ok fixture's pods fit a node; each failing reason is caught; the node shapes
match what the programs create and each cloud's reservation formula."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from aiinfra.resolve import fit
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tests" / "fixtures" / "specs"
FIT = ROOT / "tests" / "fixtures" / "fit"
EXAMPLES = [p for p in sorted((ROOT / "stacks").glob("*.yaml")) if not p.name.startswith("Pulumi")]
OK = sorted(SPECS.glob("*.ok.*.yaml"))


@pytest.mark.parametrize("spec", EXAMPLES + OK, ids=lambda p: p.name)
def test_every_example_and_ok_fixture_fits(spec):
    report = fit.check(load(spec))
    assert report.errors == []
    assert all(row["fits"] for row in report.rows)  # a spec with no workload renders no pods aiinfra places


@pytest.mark.parametrize("case", sorted(FIT.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_reason_is_caught(case):
    data = yaml.safe_load(case.read_text(encoding="utf-8"))
    report = fit.check(load(ROOT / data["spec"]), [data["manifest"]], platform=False)
    assert report.errors and len(report.errors) == len(report.rows)  # one per pod template
    words = {"selector": "nodeSelector", "taint": "is not tolerated"}
    for problem in report.errors:
        assert problem.path.startswith(f"{data['manifest']['kind']} {data['manifest']['metadata']['name']}: ")
        assert problem.hint and problem.message.startswith("fits no node: pool ")
        for reason in data["fails"]:
            assert words.get(reason, f"{reason} request") in problem.message


def test_the_old_rayjob_on_aws_data_is_caught_and_the_new_one_fits():
    data = yaml.safe_load((FIT / "aws-data.rayjob-cpu.yaml").read_text(encoding="utf-8"))
    env = load(ROOT / data["spec"])
    old = fit.check(env, [data["manifest"]], platform=False)
    assert len(old.errors) == 2  # head and worker
    assert "pool system (m6i.large): cpu request 2 CPU exceeds the 1.93 CPU allocatable" in old.errors[0].message
    rays = [r for r in fit.check(env).rows if r["pod"].startswith("RayJob ")]
    assert len(rays) == 2 and all(r["fits"] == ["train"] for r in rays)


@pytest.mark.parametrize("fixture", ["aws.bad.fit-selector.yaml", "aws.bad.fit-cpu.yaml"])
def test_spec_fixtures_that_fit_no_node(fixture):
    report = fit.check(load(SPECS / fixture))
    assert report.errors
    assert all("fits no node" in p.message for p in report.errors)


def test_the_ray_pods_are_sized_from_a_small_pool():
    from aiinfra.manifests.data import data_pool, ray_resources

    env = load(SPECS / "aws.bad.fit-cpu.yaml")
    assert data_pool(env).name == "small"
    assert ray_resources(env, data_pool(env))["requests"] == {"cpu": "1400m", "memory": "4Gi"}


def test_allocatable_follows_each_clouds_formula():
    from aiinfra.components.aws import allocatable as aws
    from aiinfra.components.azure import allocatable as azure
    from aiinfra.components.gcp import allocatable as gcp

    # EKS AL2023: 60+10+5+5 m for 4 cores; 11 x 29 + 255 MiB kube-reserved + 100 MiB eviction on m6i.large.
    assert aws.reserved("m6i.large", 2, 8).cpu_millicores == 70
    assert aws.reserved("m6i.large", 2, 8).memory_mib == 11 * 29 + 255 + 100
    assert aws.reserved("p5.48xlarge", 192, 2048).cpu_millicores == 60 + 10 + 10 + 470
    assert aws.reserved("x9.unknown", 2, 8).notes  # nodeadm's default maxPods, said
    # GKE: 25% of 4 GiB + 20% of 4 + 10% of 8 for 16 GiB, + 100 MiB; 80m for 4 cores.
    assert gcp.reserved("e2-standard-4", 4, 16).memory_mib == round(1024 + 819.2 + 819.2) + 100
    assert gcp.reserved("e2-standard-4", 4, 16).cpu_millicores == 80
    # AKS: 140m for 4 cores; memory the lesser of 20 x 250 + 50 MiB and 25% of 16 GiB.
    assert azure.reserved("Standard_D4s_v5", 4, 16).cpu_millicores == 140
    assert azure.reserved("Standard_D4s_v5", 4, 16).memory_mib == 4096 + 100


def test_a_pool_with_alternatives_has_one_shape_each():
    env = load(ROOT / "stacks" / "aws-data.yaml")
    train = next(p for p in env.pools if p.name == "train")
    types = [fit.TypeFacts("p5.48xlarge", 192, 2048, 8), fit.TypeFacts("p5en.48xlarge", 192, 2048, 8)]
    shapes = fit.shapes(env, train, types)
    assert [s.labels["node.kubernetes.io/instance-type"] for s in shapes] == [{"p5.48xlarge"}, {"p5en.48xlarge"}]
    pod = fit.Pod("Job x: spec", {"node.kubernetes.io/instance-type": "p5en.48xlarge"}, [], [fit.GPU_TOLERATION], {})
    assert [s.instance_type for s in fit.fit_pod(pod, shapes)[0]] == ["p5en.48xlarge"]


def _program_labels(resource) -> tuple[str, dict[str, str]] | None:
    """(pool label, node labels) of a node pool resource as each cloud's program declares it."""
    i = resource.inputs
    if resource.type == "aws:eks/nodeGroup:NodeGroup":
        labels = i.get("labels") or {}
    elif resource.type == "gcp:container/nodePool:NodePool":
        labels = (i.get("nodeConfig") or {}).get("labels") or {}
    elif resource.type == "kubernetes:karpenter.sh/v1:NodePool":
        labels = ((i.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    elif resource.type.startswith("azure-native:containerservice") and ("nodeLabels" in i or "agentPoolProfiles" in i):
        labels = i.get("nodeLabels") or ((i.get("agentPoolProfiles") or [{}])[0].get("nodeLabels") or {})
    else:
        return None
    return (labels.get(fit.POOL_LABEL), labels) if labels.get(fit.POOL_LABEL) else None


@pytest.mark.parametrize("example", ["aws-data.yaml", "gcp-tpu.yaml", "azure-llm.yaml"])
def test_the_labels_the_check_expects_are_the_labels_the_program_sets(example):
    from aiinfra.report.preview import run_offline

    env = load(ROOT / "stacks" / example)
    declared = dict(filter(None, (_program_labels(r) for r in run_offline(env).resources)))
    assert set(declared) == {p.name for p in env.pools}
    for pool in env.pools:
        assert fit.node_labels(env, pool) == declared[pool.name], pool.name
