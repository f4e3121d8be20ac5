"""WorkloadDeployment under Pulumi mocks: with `workload.enabled` the Environment renders the manifests
from its own Outputs and applies them with a ConfigGroup on the platform's provider, after the add-ons."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra.program import engine, mock_settings, offered_zones
from aiinfra.resolve.resolver import load

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "specs" / "aws.ok.workload-efa.yaml"


@pytest.fixture(scope="module")
def result():
    env = load(SPEC)

    def program():
        from aiinfra.components import Environment

        Environment(env.spec.name, env)
        return {}

    mocks = engine.CloudMocks("aws", env.spec.region, env.zones, offered_zones(env), mock_settings(env))
    return engine.run(program, mocks, stack=env.spec.name)


def test_config_group_applies_the_rendered_manifests_under_the_component(result):
    env_urn = result.one("aiinfra:index:Environment").urn
    component = result.one("aiinfra:index:WorkloadDeployment", "wl-aws-workload")
    assert component.parent == env_urn
    group = result.one("kubernetes:yaml/v2:ConfigGroup", "wl-aws-workload-manifests")
    assert group.parent == component.urn
    kinds = {o["kind"] for o in group.inputs["objs"]}
    # mlops.serving defaults to KServe, so serving is an InferenceService
    assert {"TrainJob", "InferenceService"} <= kinds


def test_platform_owns_the_namespace_and_service_account(result):
    objs = result.one("kubernetes:yaml/v2:ConfigGroup").inputs["objs"]
    assert not [o for o in objs if o["kind"] in ("Namespace", "ServiceAccount")]
    assert result.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]["name"] == "workload"


def test_workload_waits_for_the_platform_and_uses_its_provider(result):
    component = result.one("aiinfra:index:WorkloadDeployment")
    # The platform's charts; Karpenter's are the platform's own dependency, reached through it.
    charts = {r.urn for r in result.of_type("kubernetes:helm.sh/v4:Chart") if "aiinfra:kubernetes:Platform$" in r.urn}
    assert charts and charts <= set(component.options["depends_on"])  # a component dependency expands to its children
    group = result.one("kubernetes:yaml/v2:ConfigGroup")
    (provider,) = [r for r in result.of_type("pulumi:providers:kubernetes") if "aiinfra:aws:Karpenter$" not in r.urn]  # Karpenter has its own
    assert group.options["provider"].startswith(provider.urn)


def test_manifests_carry_the_environments_real_bucket_and_registry(result):
    objs = result.one("kubernetes:yaml/v2:ConfigGroup").inputs["objs"]
    job = next(o for o in objs if o["kind"] == "TrainJob" and o["metadata"]["name"] == "wl-aws-train")
    checkpoint = job["spec"]["trainer"]["args"][3]
    assert checkpoint.startswith("s3://wl-aws-checkpoints-") and checkpoint.endswith("/checkpoints/wl-aws")
    assert job["spec"]["trainer"]["image"].endswith("/wl-aws/reference:train-0.1.0")


def test_workload_deployment_requires_a_provider():
    from aiinfra.components.workload_deployment import WorkloadDeployment

    with pytest.raises(ValueError, match="provider"):
        engine.run(lambda: WorkloadDeployment("w", [], None), engine.CloudMocks("aws", "us-east-1", ["us-east-1a"], lambda t: ["us-east-1a"]))
