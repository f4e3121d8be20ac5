"""Cluster (components/aws/cluster.py) under the offline engine."""

from __future__ import annotations

import json

import pulumi
import pytest
from awshelpers import (
    DEPLOYER_ROLE,
    T_ACCESS,
    T_ACCESS_POLICY,
    T_ADDON,
    T_EKS,
    T_KMS,
    T_LOGS,
    T_LT,
    T_NG,
    T_OIDC,
    T_ROLE,
    T_ROLE_POLICY,
    T_RPA,
    as_list,
    doc,
    mock_outputs,
    mocks,
    run,
)

from aiinfra.components.aws import Cluster, ClusterArgs
from aiinfra.components.aws.cluster import ADMIN_POLICY

SUBNETS = {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b"}
ADMIN_A = "arn:aws:iam::123456789012:role/platform-admins"
ADMIN_B = "arn:aws:iam::123456789012:user/alice"
NETWORK_ADDONS = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")


def _run(**kw):
    m = mocks()

    def program():
        c = Cluster("demo", ClusterArgs(vpc_id="vpc-123", private_subnets=SUBNETS, **kw))
        return {
            "name": c.name,
            "endpoint": c.endpoint,
            "kubeconfig": c.kubeconfig,
            "kubeconfig_secret": pulumi.Output.from_input(c.kubeconfig.is_secret()),
            "node_role_arn": c.node_role_arn,
            "oidc_provider_arn": c.oidc_provider_arn,
            "security_group_id": c.security_group_id,
            "ca": c.certificate_authority,
        }

    return run(program, m), m


@pytest.fixture(scope="module")
def default():
    return _run()


@pytest.fixture(scope="module")
def eks(default):
    return default[0].one(T_EKS)


def test_endpoint_private_only_by_default(eks):
    vpc = eks.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == ["subnet-a", "subnet-b"]


def test_public_endpoint_with_cidrs():
    result, _ = _run(public_endpoint=True, public_access_cidrs=["203.0.113.0/24"])
    vpc = result.one(T_EKS).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


@pytest.mark.parametrize("cidrs", [[], ["0.0.0.0/0"], ["203.0.113.0/24", "0.0.0.0/0"]])
def test_public_endpoint_without_safe_cidrs_raises(cidrs):
    with pytest.raises(ValueError, match="public_access_cidrs"):
        _run(public_endpoint=True, public_access_cidrs=cidrs)


def test_one_subnet_raises():
    with pytest.raises(ValueError, match="two zones"):
        run(lambda: Cluster("demo", ClusterArgs(vpc_id="vpc-123", private_subnets={"us-east-1a": "subnet-a"})))


def test_secrets_encrypted_with_the_clusters_kms_key(default, eks):
    result, m = default
    key = result.one(T_KMS, "demo-secrets")
    _, key_out = mock_outputs(m, T_KMS, key.name, key.inputs)
    enc = eks.inputs["encryptionConfig"]
    assert enc["resources"] == ["secrets"]
    key_arn = enc["provider"]["keyArn"]
    assert key_arn is not None
    assert key_arn.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    assert key_arn == key_out["arn"]


def test_kms_key_rotates(default):
    key = default[0].one(T_KMS, "demo-secrets")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] >= 7


def test_all_control_plane_log_types(eks):
    assert sorted(eks.inputs["enabledClusterLogTypes"]) == sorted(["api", "audit", "authenticator", "controllerManager", "scheduler"])


def test_log_group_precreated_with_retention(default, eks):
    result, _ = default
    logs = result.one(T_LOGS)
    assert logs.inputs["name"] == "/aws/eks/demo/cluster"
    assert logs.inputs["retentionInDays"] == 90
    assert logs.urn in eks.options["depends_on"]


def test_access_config_api_mode_without_creator_admin(eks):
    access = eks.inputs["accessConfig"]
    assert access["authenticationMode"] == "API"
    assert access["bootstrapClusterCreatorAdminPermissions"] is False
    assert eks.inputs["name"] == "demo"
    assert eks.inputs["version"] == "1.35"  # the day's default (aiinfra.catalog.kubernetes; AIINFRA_TODAY from conftest)


def _admin_grants(result):
    entries = {e.inputs["principalArn"]: e for e in result.of_type(T_ACCESS)}
    assocs = {a.inputs["principalArn"]: a for a in result.of_type(T_ACCESS_POLICY)}
    return entries, assocs


def _check_admin(entries, assocs, principal):
    assert principal in entries, f"no access entry for {principal}"
    assert principal in assocs, f"no access policy association for {principal}"
    e, a = entries[principal], assocs[principal]
    assert e.inputs["clusterName"] == "demo"
    assert e.inputs["type"] == "STANDARD"
    assert a.inputs["clusterName"] == "demo"
    assert a.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" == ADMIN_POLICY
    assert a.inputs["accessScope"] == {"type": "cluster"}
    assert e.urn in a.options["depends_on"]


def test_default_admin_is_the_deploying_role(default):
    entries, assocs = _admin_grants(default[0])
    assert set(entries) == {DEPLOYER_ROLE}
    assert set(assocs) == {DEPLOYER_ROLE}
    _check_admin(entries, assocs, DEPLOYER_ROLE)


def test_explicit_admins_replace_the_default():
    result, _ = _run(admins=[ADMIN_A, ADMIN_B])
    entries, assocs = _admin_grants(result)
    assert set(entries) == {ADMIN_A, ADMIN_B}
    assert set(assocs) == {ADMIN_A, ADMIN_B}
    for p in (ADMIN_A, ADMIN_B):
        _check_admin(entries, assocs, p)


def test_oidc_provider_for_the_cluster_issuer(default):
    result, m = default
    oidc = result.one(T_OIDC)
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    _, eks_out = mock_outputs(m, T_EKS, "demo-eks", {"name": "demo"})
    issuer = eks_out["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["url"] == issuer
    assert oidc.inputs["url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert result.outputs["oidc_provider_arn"].startswith("arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/")


def _node_role(result):
    node_role_arn = result.outputs["node_role_arn"]
    role_name = node_role_arn.rsplit("/", 1)[-1]
    role = result.one(T_ROLE, "demo-node")
    return role, role_name


def test_node_role_trusts_only_ec2(default):
    result, _ = default
    role, _ = _node_role(result)
    policy = doc(role.inputs["assumeRolePolicy"])
    principals = []
    for st in policy["Statement"]:
        assert st["Effect"] == "Allow"
        assert set(st["Principal"]) == {"Service"}
        principals += as_list(st["Principal"]["Service"])
        assert as_list(st["Action"]) == ["sts:AssumeRole"]
    assert principals == ["ec2.amazonaws.com"]


def test_node_role_has_only_the_node_policies(default):
    result, _ = default
    _, role_name = _node_role(result)
    attached = sorted(a.inputs["policyArn"] for a in result.of_type(T_RPA) if a.inputs["role"] == role_name)
    assert attached == sorted(
        f"arn:aws:iam::aws:policy/{p}" for p in ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonEKS_CNI_Policy")
    )
    assert not [p for p in result.of_type(T_ROLE_POLICY) if p.inputs.get("role") == role_name]


def test_no_role_gets_administrator_access(default):
    result, _ = default
    for a in result.of_type(T_RPA):
        assert not a.inputs["policyArn"].endswith("/AdministratorAccess"), a.name


def test_cluster_role_trusts_eks(default):
    result, _ = default
    role = result.one(T_ROLE, "demo-cluster")
    st = doc(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in st] == [{"Service": "eks.amazonaws.com"}]
    eks = result.one(T_EKS)
    assert eks.inputs["roleArn"].endswith("/" + mock_outputs(mocks(), T_ROLE, "demo-cluster")[0])
    att = result.one(T_RPA, "demo-cluster")
    assert att.inputs["policyArn"] == "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"
    assert att.urn in eks.options["depends_on"]


def test_addons_exist(default):
    addons = {a.inputs["addonName"]: a for a in default[0].of_type(T_ADDON)}
    assert set(addons) == {"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver"}
    for a in addons.values():
        assert a.inputs["clusterName"] == "demo"


def test_ebs_csi_driver_uses_pod_identity(default):
    result, _ = default
    addon = next(a for a in result.of_type(T_ADDON) if a.inputs["addonName"] == "aws-ebs-csi-driver")
    (assoc,) = addon.inputs["podIdentityAssociations"]
    assert assoc["serviceAccount"] == "ebs-csi-controller-sa"
    role = result.one(T_ROLE, "demo-ebs-csi")
    assert assoc["roleArn"] == f"arn:aws:iam::123456789012:role/{mock_outputs(mocks(), T_ROLE, 'demo-ebs-csi')[0]}"
    st = doc(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in st] == [{"Service": "pods.eks.amazonaws.com"}]
    att = result.one(T_RPA, "demo-ebs-csi")
    assert att.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"


def _addon_urns(result, names):
    return {a.inputs["addonName"]: a.urn for a in result.of_type(T_ADDON) if a.inputs["addonName"] in names}


def test_system_node_group_depends_on_network_addons(default):
    """Nodes never get Ready without the CNI; the node group itself (not only its component) must wait for it."""
    result, _ = default
    ng = result.one(T_NG, "demo-system-ng")
    urns = _addon_urns(result, NETWORK_ADDONS)
    assert sorted(urns) == sorted(NETWORK_ADDONS)
    missing = sorted(n for n, u in urns.items() if u not in ng.options["depends_on"])
    assert missing == []


def test_node_prerequisites_exposed_for_other_pools():
    captured = {}

    def program():
        c = Cluster("demo", ClusterArgs(vpc_id="vpc-123", private_subnets=SUBNETS))
        captured["prereqs"] = list(c.node_prerequisites)
        return {"urns": [r.urn for r in c.node_prerequisites]}

    result = run(program)
    assert sorted(result.outputs["urns"]) == sorted(_addon_urns(result, NETWORK_ADDONS).values())
    assert len(captured["prereqs"]) == 3


def test_node_addons_wait_for_the_system_node_group(default):
    result, _ = default
    ng = result.one(T_NG, "demo-system-ng")
    for a in result.of_type(T_ADDON):
        if a.inputs["addonName"] in ("coredns", "aws-ebs-csi-driver"):
            assert ng.urn in a.options["depends_on"], a.name
        else:
            assert ng.urn not in a.options["depends_on"], a.name


def test_system_node_group(default):
    result, _ = default
    ng = result.one(T_NG, "demo-system-ng")
    assert ng.inputs["clusterName"] == "demo"
    assert ng.inputs["instanceTypes"] == ["m6i.large"]
    assert ng.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert ng.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 2, "desiredSize": 2}
    assert ng.inputs["subnetIds"] == ["subnet-a", "subnet-b"]
    assert ng.inputs["labels"]["aiinfra.dev/role"] == "system"
    assert not ng.inputs.get("taints")
    assert ng.inputs["nodeRoleArn"] == result.outputs["node_role_arn"]
    lt = result.one(T_LT, "demo-system-lt")
    assert lt.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 50


def test_kubeconfig_uses_get_token_and_holds_no_credentials(default):
    result, m = default
    assert result.outputs["kubeconfig_secret"] is True
    text = result.outputs["kubeconfig"]
    kc = json.loads(text)
    (user,) = kc["users"]
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"] == ["eks", "get-token", "--cluster-name", "demo", "--region", "us-east-1"]
    assert set(user["user"]) == {"exec"}
    for word in ("token:", '"token"', "password", "client-key-data", "client-certificate-data", "aws_secret_access_key", "AKIA"):
        assert word not in text
    (cluster,) = kc["clusters"]
    _, eks_out = mock_outputs(m, T_EKS, "demo-eks", {"name": "demo"})
    assert cluster["cluster"]["server"] == eks_out["endpoint"] == result.outputs["endpoint"]
    assert cluster["cluster"]["certificate-authority-data"] == eks_out["certificateAuthority"]["data"] == result.outputs["ca"]
    assert kc["current-context"] == "demo"


def test_security_group_output_is_the_cluster_sg(default):
    result, m = default
    _, eks_out = mock_outputs(m, T_EKS, "demo-eks", {"name": "demo"})
    sg = eks_out["vpcConfig"]["clusterSecurityGroupId"]
    assert result.outputs["security_group_id"] == sg
    lt = result.one(T_LT, "demo-system-lt")
    # CPU system pool: no EFA interfaces, no placement group.
    assert "networkInterfaces" not in lt.inputs
    assert "placement" not in lt.inputs


def test_tags_reach_cluster_resources():
    result, _ = _run(tags={"team": "ml"})
    for token in (T_EKS, T_KMS, T_LOGS, T_OIDC, T_ROLE, T_ADDON, T_NG):
        for r in result.of_type(token):
            assert r.inputs["tags"].get("team") == "ml", r.name


def test_deletion_protection_on_by_default_and_configurable(eks):
    assert eks.inputs["deletionProtection"] is True
    result, _ = _run(deletion_protection=False)
    assert result.one(T_EKS).inputs["deletionProtection"] is False
