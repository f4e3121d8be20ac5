"""WorkloadIdentity (components/aws/identity.py) under the offline engine."""

from __future__ import annotations

import pytest
from awshelpers import T_POD_ID, T_ROLE, T_ROLE_POLICY, as_list, doc, mock_outputs, mocks, run

from aiinfra.components.aws import WorkloadIdentity, WorkloadIdentityArgs

BUCKETS = ["arn:aws:s3:::env-datasets-1234567", "arn:aws:s3:::env-checkpoints-7654321"]
KEY = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-4333-8444-555555555555"
REPOS = ["arn:aws:ecr:us-east-1:123456789012:repository/env/train"]


def _run(**kw):
    base = dict(cluster_name="demo", namespace="ml", service_account="workload", bucket_arns=BUCKETS, kms_key_arn=KEY)
    base.update(kw)

    def program():
        w = WorkloadIdentity("wi", WorkloadIdentityArgs(**base))
        return {"role_arn": w.role_arn}

    return run(program)


@pytest.fixture(scope="module")
def result():
    return _run(tags={"team": "ml"})


@pytest.fixture(scope="module")
def with_repos():
    return _run(repository_arns=REPOS)


def _statements(result):
    return doc(result.one(T_ROLE_POLICY).inputs["policy"])["Statement"]


def test_role_trusts_pod_identity_only(result):
    role = result.one(T_ROLE)
    (st,) = doc(role.inputs["assumeRolePolicy"])["Statement"]
    assert st["Effect"] == "Allow"
    assert st["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(as_list(st["Action"])) == ["sts:AssumeRole", "sts:TagSession"]
    assert role.inputs["tags"] == {"team": "ml"}


def test_pod_identity_association(result):
    role = result.one(T_ROLE)
    _, role_out = mock_outputs(mocks(), T_ROLE, role.name, role.inputs)
    assoc = result.one(T_POD_ID)
    assert assoc.inputs["clusterName"] == "demo"
    assert assoc.inputs["namespace"] == "ml"
    assert assoc.inputs["serviceAccount"] == "workload"
    assert assoc.inputs["roleArn"] == role_out["arn"] == result.outputs["role_arn"]


def test_policy_attached_to_the_role(result):
    role = result.one(T_ROLE)
    role_id, _ = mock_outputs(mocks(), T_ROLE, role.name, role.inputs)
    assert result.one(T_ROLE_POLICY).inputs["role"] == role_id


def test_object_actions_only_on_the_given_buckets_objects(result):
    object_actions = {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
    granted = set()
    for st in _statements(result):
        actions = set(as_list(st["Action"]))
        if actions & object_actions:
            assert sorted(as_list(st["Resource"])) == sorted(f"{b}/*" for b in BUCKETS)
            granted |= actions & object_actions
    assert {"s3:GetObject", "s3:PutObject"} <= granted


def test_bucket_level_actions_only_on_the_given_buckets(result):
    for st in _statements(result):
        if "s3:ListBucket" in as_list(st["Action"]):
            assert sorted(as_list(st["Resource"])) == sorted(BUCKETS)


def test_kms_only_on_the_given_key(result):
    kms = [st for st in _statements(result) if any(a.startswith("kms:") for a in as_list(st["Action"]))]
    assert kms
    for st in kms:
        assert as_list(st["Resource"]) == [KEY]
        assert set(as_list(st["Action"])) <= {"kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt", "kms:DescribeKey"}


@pytest.mark.parametrize("fixture", ["result", "with_repos"])
def test_no_wildcards(fixture, request):
    result = request.getfixturevalue(fixture)
    for st in _statements(result):
        assert st["Effect"] == "Allow"
        actions = as_list(st["Action"])
        assert not any(a == "*" or a.endswith(":*") for a in actions), st
        resources = as_list(st["Resource"])
        if "*" in resources:
            assert actions == ["ecr:GetAuthorizationToken"], st


def test_no_ecr_statements_without_repositories(result):
    assert not [st for st in _statements(result) if any(a.startswith("ecr:") for a in as_list(st["Action"]))]


def test_ecr_push_only_on_given_repositories(with_repos):
    statements = _statements(with_repos)
    push = [st for st in statements if "ecr:PutImage" in as_list(st["Action"])]
    assert len(push) == 1
    assert as_list(push[0]["Resource"]) == REPOS
    login = [st for st in statements if "ecr:GetAuthorizationToken" in as_list(st["Action"])]
    assert len(login) == 1 and as_list(login[0]["Resource"]) == ["*"]


@pytest.mark.parametrize("kw", [{"namespace": ""}, {"service_account": ""}])
def test_missing_namespace_or_service_account_raises(kw):
    with pytest.raises(ValueError, match="namespace and service_account"):
        _run(**kw)
