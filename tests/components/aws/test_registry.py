"""ContainerRegistry (components/aws/registry.py) under the offline engine."""

from __future__ import annotations

import pytest
from awshelpers import T_ECR, T_ECR_LIFECYCLE, doc, run

from aiinfra.components.aws import ContainerRegistry, RegistryArgs

REPOS = ["train", "serve"]


def _run(repos=REPOS, **kw):
    def program():
        r = ContainerRegistry("reg", RegistryArgs(repositories=list(repos), **kw))
        return {"urls": r.repository_urls, "arns": r.repository_arns}

    return run(program)


@pytest.fixture(scope="module")
def result():
    return _run(tags={"team": "ml"})


def _repos(result):
    return {r.inputs["name"]: r for r in result.of_type(T_ECR)}


def test_one_repository_per_name(result):
    assert sorted(_repos(result)) == ["reg/serve", "reg/train"]


def test_repository_settings(result):
    for name, r in _repos(result).items():
        i = r.inputs
        assert i["imageTagMutability"] == "IMMUTABLE", name
        assert i["imageScanningConfiguration"] == {"scanOnPush": True}, name
        assert i["encryptionConfigurations"] == [{"encryptionType": "KMS"}], name
        assert i["forceDelete"] is False, name
        assert i["tags"] == {"team": "ml"}, name


def test_lifecycle_policy_expires_untagged_images(result):
    policies = {p.inputs["repository"]: p for p in result.of_type(T_ECR_LIFECYCLE)}
    assert sorted(policies) == ["reg/serve", "reg/train"]
    for p in policies.values():
        rules = doc(p.inputs["policy"])["rules"]
        assert len(rules) == 1
        (rule,) = rules
        assert rule["selection"]["tagStatus"] == "untagged"
        assert rule["selection"]["countType"] == "sinceImagePushed"
        assert rule["selection"]["countUnit"] == "days"
        assert rule["selection"]["countNumber"] > 0
        assert rule["action"] == {"type": "expire"}
        # never expires tagged images
        assert all(r["selection"]["tagStatus"] != "tagged" and r["selection"]["tagStatus"] != "any" for r in rules)


def test_outputs(result):
    assert result.outputs["urls"] == {
        "train": "123456789012.dkr.ecr.us-east-1.amazonaws.com/reg/train",
        "serve": "123456789012.dkr.ecr.us-east-1.amazonaws.com/reg/serve",
    }
    assert result.outputs["arns"]["train"] == "arn:aws:ecr:us-east-1:123456789012:repository/reg/train"


def test_children_parented_to_registry(result):
    comp = result.one("aiinfra:aws:ContainerRegistry")
    assert len(result.children_of(comp.urn)) == 4
    assert all(r.parent == comp.urn for r in result.resources if r is not comp)


def test_empty_repository_list_raises():
    with pytest.raises(ValueError, match="at least one repository"):
        _run([])
