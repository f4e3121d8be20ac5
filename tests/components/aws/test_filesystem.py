"""The FSx CSI controller's role: EKS Pod Identity for the chart's controller service account, with the driver's
documented permissions and nothing else."""

from __future__ import annotations

import json

import yaml

from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

SPEC = """
name: data
cloud: aws
region: us-east-1
node_pools: [{name: train, gpu: 'H100:8', nodes: {min: 0, max: 2}}]
storage:
  buckets: [datasets]
  filesystems: [{name: scratch, kind: lustre, size_tib: 36, import_from: datasets}]
"""
VALUES = "tests/fixtures/helm-values/aws-fsx-csi-driver-1.17.0.values.yaml"


def test_fsx_csi_controller_gets_a_pod_identity_role_for_the_charts_service_account():
    result = run_offline(resolve(parse_spec(SPEC)))
    chart_sa = yaml.safe_load(open(VALUES))["controller"]["serviceAccount"]["name"]
    assoc = result.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "data-fsx-csi").inputs
    assert (assoc["namespace"], assoc["serviceAccount"]) == ("kube-system", chart_sa) == ("kube-system", "fsx-csi-controller-sa")
    assert assoc["clusterName"] == result.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "data-workload").inputs["clusterName"]
    role = result.one("aws:iam/role:Role", "data-fsx-csi")
    assert assoc["roleArn"].startswith("arn:aws:iam::") and ":role/data-fsx-csi" in assoc["roleArn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"} and trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    policy = json.loads(result.one("aws:iam/rolePolicy:RolePolicy", "data-fsx-csi").inputs["policy"])
    actions = {a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {
        "iam:CreateServiceLinkedRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "s3:ListBucket",
        "fsx:CreateFileSystem", "fsx:DeleteFileSystem", "fsx:DescribeFileSystems", "fsx:TagResource", "fsx:UpdateFileSystem",
    }
    linked = next(s for s in policy["Statement"] if s["Sid"] == "FsxLinkedRole")
    assert linked["Condition"] == {"StringLike": {"iam:AWSServiceName": ["fsx.amazonaws.com"]}}
    assert not any("*" == a.split(":")[-1] for a in actions), "no wildcard actions"
    component = result.one("aiinfra:aws:FileSystems")
    assert {r.name for r in result.children_of(component.urn)} >= {"data-fsx-csi"}
    assert role.parent == component.urn and not role.options.get("protect"), "a child of the file system component, not data"


def test_the_cluster_addons_wait_for_the_association():
    """Pod Identity hands credentials to pods started after the association exists: the chart comes after it."""
    result = run_offline(resolve(parse_spec(SPEC)))
    assoc = result.one("aws:eks/podIdentityAssociation:PodIdentityAssociation", "data-fsx-csi")
    provider = next(p for p in result.of_type("pulumi:providers:kubernetes") if "karpenter" not in p.name)
    assert assoc.urn in provider.options["depends_on"]


def test_no_filesystem_no_fsx_csi_role():
    text = SPEC.split("  filesystems:")[0]
    result = run_offline(resolve(parse_spec(text)))
    assert not [r for r in result.of_type("aws:iam/role:Role") if r.name == "data-fsx-csi"]
