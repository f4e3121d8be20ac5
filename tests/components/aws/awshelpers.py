"""Shared helpers for the AWS component tests (imported by name; pytest puts this folder on sys.path)."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from aiinfra.components.aws import mocks as mock_aws
from aiinfra.program import engine

REGION = "us-east-1"
ZONES = ["us-east-1a", "us-east-1b"]
ACCOUNT = mock_aws.ACCOUNT
DEPLOYER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/aiinfra-deployer"

T_VPC = "aws:ec2/vpc:Vpc"
T_SUBNET = "aws:ec2/subnet:Subnet"
T_IGW = "aws:ec2/internetGateway:InternetGateway"
T_NAT = "aws:ec2/natGateway:NatGateway"
T_EIP = "aws:ec2/eip:Eip"
T_RT = "aws:ec2/routeTable:RouteTable"
T_RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"
T_SG = "aws:ec2/securityGroup:SecurityGroup"
T_SG_IN = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
T_SG_OUT = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
T_LT = "aws:ec2/launchTemplate:LaunchTemplate"
T_PG = "aws:ec2/placementGroup:PlacementGroup"
T_KMS = "aws:kms/key:Key"
T_ALIAS = "aws:kms/alias:Alias"
T_ROLE = "aws:iam/role:Role"
T_RPA = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
T_OIDC = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
T_LOGS = "aws:cloudwatch/logGroup:LogGroup"
T_EKS = "aws:eks/cluster:Cluster"
T_ADDON = "aws:eks/addon:Addon"
T_NG = "aws:eks/nodeGroup:NodeGroup"
T_ACCESS = "aws:eks/accessEntry:AccessEntry"
T_ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
T_POD_ID = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
T_BUCKET = "aws:s3/bucket:Bucket"
T_SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
T_PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
T_OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
T_VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
T_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
T_BUCKET_LOGGING = "aws:s3/bucketLogging:BucketLogging"
T_LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
T_ECR = "aws:ecr/repository:Repository"
T_ECR_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"

ENV_COMPONENT = "aiinfra:index:Environment"


def mocks(zones: list[str] | None = None, offered: Callable[[str], list[str]] | None = None, region: str = REGION) -> engine.CloudMocks:
    zs = list(zones or ZONES)
    return engine.CloudMocks("aws", region, zs, offered_zones=offered or (lambda instance_type: list(zs)))


def run(program: Callable[[], Any], m: engine.CloudMocks | None = None) -> engine.RunResult:
    return engine.run(program, m or mocks(), stack="test")


def mock_outputs(m: engine.CloudMocks, token: str, name: str, inputs: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    """The (id, outputs) the mocks give a resource; deterministic in (token, name) for the types used here."""
    return m.outputs(token, name, dict(inputs or {}))


def mock_id(m: engine.CloudMocks, token: str, name: str, inputs: dict[str, Any] | None = None) -> str:
    return mock_outputs(m, token, name, inputs)[0]


def by_name(resources: Iterable[engine.CapturedResource]) -> dict[str, engine.CapturedResource]:
    out: dict[str, engine.CapturedResource] = {}
    for r in resources:
        assert r.name not in out, f"two resources named {r.name}"
        out[r.name] = r
    return out


def doc(value: str) -> dict[str, Any]:
    assert isinstance(value, str), f"expected a JSON document string, got {value!r}"
    return json.loads(value)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
