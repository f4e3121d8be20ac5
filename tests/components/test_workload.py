"""WorkloadDeployment under Pulumi mocks: manifests rendered from the environment's Outputs and
applied by a ConfigGroup on the cluster's provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra import engine
from aiinfra.preview import mock_settings, offered_zones
from aiinfra.resolve import load

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "specs" / "aws.ok.workload-efa.yaml"


@pytest.fixture(scope="module")
def result():
    env = load(SPEC)

    def program():
        import pulumi
        import pulumi_kubernetes as k8s

        from aiinfra.components import Environment
        from aiinfra.components.workload import WorkloadDeployment, manifests_output

        e = Environment(env.spec.name, env)
        provider = k8s.Provider("cluster", kubeconfig=e.built.kubeconfig, opts=pulumi.ResourceOptions(parent=e))
        WorkloadDeployment("workload", manifests_output(env, e.built), provider, opts=pulumi.ResourceOptions(parent=e))
        return {}

    mocks = engine.CloudMocks("aws", env.spec.region, env.zones, offered_zones(env), mock_settings(env))
    return engine.run(program, mocks, stack=env.spec.name)


def test_config_group_applies_the_rendered_manifests_under_the_component(result):
    component = result.one("aiinfra:index:WorkloadDeployment", "workload")
    group = result.one("kubernetes:yaml/v2:ConfigGroup", "workload-manifests")
    assert group.parent == component.urn
    objs = group.inputs["objs"]
    assert [o["kind"] for o in objs][:2] == ["Namespace", "ServiceAccount"]
    kinds = {o["kind"] for o in objs}
    assert {"TrainJob", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds


def test_manifests_carry_the_environments_real_bucket_and_registry(result):
    objs = result.one("kubernetes:yaml/v2:ConfigGroup").inputs["objs"]
    job = next(o for o in objs if o["kind"] == "TrainJob" and o["metadata"]["name"] == "wl-aws-train")
    checkpoint = job["spec"]["trainer"]["args"][3]
    assert checkpoint.startswith("s3://wl-aws-checkpoints-") and checkpoint.endswith("/checkpoints/wl-aws")
    assert job["spec"]["trainer"]["image"].endswith("/wl-aws/reference:train-0.1.0")


def test_workload_deployment_requires_a_provider():
    from aiinfra.components.workload import WorkloadDeployment

    with pytest.raises(ValueError, match="provider"):
        engine.run(lambda: WorkloadDeployment("w", [], None), engine.CloudMocks("aws", "us-east-1", ["us-east-1a"], lambda t: ["us-east-1a"]))
