"""The full AWS environment (components/aws/environment.py via aiinfra.report.preview.run_offline)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from awshelpers import (
    ENV_COMPONENT,
    T_BUCKET,
    T_ECR,
    T_EKS,
    T_KMS,
    T_LT,
    T_NAT,
    T_NG,
    T_PG,
    T_POD_ID,
    T_ROLE_POLICY,
    T_SG,
    T_SUBNET,
    T_VPC,
    as_list,
    doc,
    mock_id,
    mocks,
)

from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

STACKS = Path(__file__).resolve().parents[3] / "stacks"


@pytest.fixture(scope="module")
def llm():
    env = load(STACKS / "aws-llm.yaml")
    return env, run_offline(env)


@pytest.fixture(scope="module")
def cpu():
    env = load(STACKS / "aws-cpu.yaml")
    return env, run_offline(env)


def _offline(yaml_text):
    env = resolve(parse_spec(yaml_text))
    return env, run_offline(env)


def _pool_ng(result, env_name, pool):
    return result.one(T_NG, f"{env_name}-{pool}-ng")


def _pool_lt(result, env_name, pool):
    return result.one(T_LT, f"{env_name}-{pool}-lt")


# -- tree -----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["llm", "cpu"])
def test_every_resource_descends_from_the_environment(fixture, request):
    env, result = request.getfixturevalue(fixture)
    root = result.one(ENV_COMPONENT)
    assert root.name == env.spec.name
    assert root.parent is not None and root.parent.endswith("pulumi:pulumi:Stack::" + f"aiinfra-{env.spec.name}")
    assert result.outside(root) == []


@pytest.mark.parametrize("fixture", ["llm", "cpu"])
def test_type_name_pairs_unique(fixture, request):
    _, result = request.getfixturevalue(fixture)
    dupes = [k for k, n in Counter((r.type, r.name) for r in result.resources).items() if n > 1]
    assert dupes == []
    assert len({r.urn for r in result.resources}) == len(result.resources)


def test_components_present(llm):
    _, result = llm
    root = result.one(ENV_COMPONENT)
    top = Counter(r.type for r in result.children_of(root.urn) if not r.custom)
    assert top == Counter(
        {
            "aiinfra:aws:Network": 1,
            "aiinfra:aws:Cluster": 1,
            "aiinfra:aws:NodePool": 1,  # train; serve autoscales, so Karpenter provisions it (test_karpenter.py)
            "aiinfra:aws:Karpenter": 1,
            "aiinfra:aws:ObjectStorage": 1,
            "aiinfra:aws:ContainerRegistry": 1,
            "aiinfra:aws:WorkloadIdentity": 1,
            "aiinfra:kubernetes:Platform": 1,
        }
    )
    assert [r for r in result.children_of(root.urn) if r.custom] == []


# -- pools ------------------------------------------------------------------------------


def test_train_pool_is_p5_with_32_efa_interfaces(llm):
    env, result = llm
    pool = next(p for p in env.pools if p.name == "train")
    assert pool.instance_type == "p5.48xlarge"
    assert pool.fabric is not None and pool.fabric.kind == "efa" and pool.fabric.interfaces == 32
    ng = _pool_ng(result, "llm-train", "train")
    assert ng.inputs["instanceTypes"] == ["p5.48xlarge"]
    assert ng.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 2, "desiredSize": 2}
    assert len(ng.inputs["subnetIds"]) == 1
    nics = _pool_lt(result, "llm-train", "train").inputs["networkInterfaces"]
    assert len(nics) == 33
    assert Counter(n["networkCardIndex"] for n in nics if n["interfaceType"] == "efa-only") == Counter(range(32))
    pg = result.one(T_PG, "llm-train-train-pg")
    assert pg.inputs["strategy"] == "cluster"
    assert _pool_lt(result, "llm-train", "train").inputs["placement"]["groupName"].startswith("llm-train-train-pg")
    result.one(T_SG, "llm-train-train-efa")


def test_train_pool_in_a_private_subnet(llm):
    _, result = llm
    ng = _pool_ng(result, "llm-train", "train")
    # the mock ids are deterministic per (type, name), so the private subnets' ids can be recomputed
    private_ids = {_mock_id(T_SUBNET, s.name) for s in result.of_type(T_SUBNET) if "-private-" in s.name}
    assert len(private_ids) == 2
    assert set(ng.inputs["subnetIds"]) <= private_ids


def test_serve_pool_is_spot_l4_without_efa_or_placement(llm):
    """With cluster.autoscaling: cluster-autoscaler the serve pool is a node group sized between its bounds."""
    env, _ = llm
    env = resolve(env.spec.model_copy(update={"cluster": env.spec.cluster.model_copy(update={"autoscaling": "cluster-autoscaler"})}))
    result = run_offline(env)
    pool = next(p for p in env.pools if p.name == "serve")
    assert pool.gpu == "L4" and pool.fabric is None
    ng = _pool_ng(result, "llm-train", "serve")
    assert ng.inputs["capacityType"] == "SPOT"
    assert ng.inputs["instanceTypes"] == [pool.instance_type]
    assert ng.inputs["scalingConfig"] == {"minSize": 1, "maxSize": 4, "desiredSize": 1}
    assert ng.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    assert len(ng.inputs["subnetIds"]) == 2
    lt = _pool_lt(result, "llm-train", "serve")
    assert "networkInterfaces" not in lt.inputs
    assert "placement" not in lt.inputs
    assert [p.name for p in result.of_type(T_PG)] == ["llm-train-train-pg"]
    assert [s.name for s in result.of_type(T_SG)] == ["llm-train-train-efa"]
    assert "aiinfra.dev/fabric" not in ng.inputs["labels"]


def test_node_groups_join_the_cluster_with_its_node_role(llm):
    _, result = llm
    ngs = result.of_type(T_NG)
    assert sorted(n.name for n in ngs) == ["llm-train-system-ng", "llm-train-train-ng"]
    roles = {n.inputs["nodeRoleArn"] for n in ngs}
    assert len(roles) == 1
    assert {n.inputs["clusterName"] for n in ngs} == {"llm-train"}


def test_every_node_group_waits_for_the_network_addons(llm):
    _, result = llm
    eks = result.one(T_EKS)
    addons = {a.inputs["addonName"]: a.urn for a in result.of_type("aws:eks/addon:Addon")}
    network = [addons[n] for n in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")]
    for ng in result.of_type(T_NG):
        deps = ng.options["depends_on"]
        assert eks.urn in deps, ng.name
        missing = [u.rsplit("::", 1)[-1] for u in network if u not in deps]
        assert missing == [], ng.name


# -- tags ---------------------------------------------------------------------------------


def test_tags_propagate(llm):
    _, result = llm
    expected = {"aiinfra.dev/environment": "llm-train", "team": "ml-platform", "managed-by": "aiinfra"}
    must = [result.one(T_VPC), result.one(T_EKS), *result.of_type(T_BUCKET), *result.of_type(T_KMS), *result.of_type(T_ECR), *result.of_type(T_NG)]
    assert len(result.of_type(T_BUCKET)) == 3
    for r in must:
        assert expected.items() <= r.inputs["tags"].items(), f"{r.type} {r.name}: {r.inputs.get('tags')}"
    tagged = [r for r in result.resources if r.custom and "tags" in r.inputs]
    assert len(tagged) > 30
    for r in tagged:
        assert expected.items() <= r.inputs["tags"].items(), f"{r.type} {r.name}: {r.inputs['tags']}"
    for spec in _pool_lt(result, "llm-train", "train").inputs["tagSpecifications"]:
        assert expected.items() <= spec["tags"].items()


# -- storage, registry, identity wiring ---------------------------------------------------------


def test_buckets_and_registry_outputs(llm):
    _, result = llm
    out = result.outputs
    assert sorted(out["buckets"]) == ["checkpoints", "datasets"]
    assert sorted(out["registry"]) == ["serve", "train"]
    assert out["registry"]["train"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/llm-train/train"
    assert sorted(out["node_pools"]) == ["serve", "train"]
    assert out["cluster_name"] == "llm-train"
    assert out["workload_service_account"] == "ml/workload"
    assert out["workload_role_arn"].startswith("arn:aws:iam::123456789012:role/llm-train-workload")
    assert out["vpc_id"].startswith("vpc-")


def test_data_buckets_protected_in_the_environment(llm):
    _, result = llm
    for b in result.of_type(T_BUCKET):
        assert b.options["protect"] is True and b.options["retain_on_delete"] is True, b.name
        assert b.inputs["forceDestroy"] is False


def test_workload_policy_covers_exactly_the_environments_buckets_and_repos(llm):
    _, result = llm
    arns = {f"arn:aws:s3:::{n}" for n in result.outputs["buckets"].values()}
    statements = doc(result.one(T_ROLE_POLICY).inputs["policy"])["Statement"]
    objects = next(s for s in statements if "s3:GetObject" in as_list(s["Action"]))
    assert set(as_list(objects["Resource"])) == {f"{a}/*" for a in arns}
    listing = next(s for s in statements if "s3:ListBucket" in as_list(s["Action"]))
    assert set(as_list(listing["Resource"])) == arns
    push = next(s for s in statements if "ecr:PutImage" in as_list(s["Action"]))
    assert sorted(as_list(push["Resource"])) == sorted(
        f"arn:aws:ecr:us-east-1:123456789012:repository/llm-train/{r}" for r in ("train", "serve")
    )
    kms = next(s for s in statements if "kms:Decrypt" in as_list(s["Action"]))
    (key,) = [k for k in result.of_type(T_KMS) if k.name == "llm-train-data"]
    assert as_list(kms["Resource"]) == [f"arn:aws:kms:us-east-1:123456789012:key/{_mock_id(T_KMS, key.name)}"]
    assoc = result.one(T_POD_ID, "llm-train-workload")
    assert (assoc.inputs["namespace"], assoc.inputs["serviceAccount"], assoc.inputs["clusterName"]) == ("ml", "workload", "llm-train")


def _mock_id(token, name):
    return mock_id(mocks(), token, name)


def test_kubeconfig_output_execs_get_token(llm):
    _, result = llm
    kc = json.loads(result.outputs["kubeconfig"])
    assert kc["users"][0]["user"]["exec"]["args"][:2] == ["eks", "get-token"]
    assert result.outputs["cluster_endpoint"].startswith("https://")


# -- CPU-only stack -------------------------------------------------------------------------------


def test_cpu_stack_has_no_gpu_anything(cpu):
    env, result = cpu
    assert env.gpu_pools == []
    ngs = result.of_type(T_NG)
    assert sorted(n.name for n in ngs) == ["cpu-dev-system-ng"]  # work autoscales: a Karpenter NodePool
    for ng in ngs:
        assert ng.inputs["amiType"] == "AL2023_x86_64_STANDARD"
        assert not ng.inputs.get("taints")
    text = json.dumps([r.inputs for r in result.resources])
    assert "NVIDIA" not in text
    assert "nvidia.com/gpu" not in text
    assert result.of_type(T_PG) == [] and result.of_type(T_SG) == []


def test_cpu_stack_in_its_region(cpu):
    _, result = cpu
    zones = sorted(s.inputs["availabilityZone"] for s in result.of_type(T_SUBNET))
    assert zones == ["us-west-2a", "us-west-2a", "us-west-2b", "us-west-2b"]
    pool = result.one("kubernetes:karpenter.sh/v1:NodePool", "cpu-dev-karpenter-work-nodepool").inputs["spec"]
    zone = next(r for r in pool["template"]["spec"]["requirements"] if r["key"] == "topology.kubernetes.io/zone")
    assert zone["values"] == ["us-west-2a", "us-west-2b"] and pool["limits"]["cpu"] == str(3 * 8)


# -- spec variations ------------------------------------------------------------------------------


def test_variation_per_zone_nat_reserved_pool_and_disposable_storage():
    env, result = _offline(
        """
name: var-env
cloud: aws
region: us-east-1
network: {zones: 3, nat_gateways: per-zone}
cluster: {public_endpoint: true, public_access_cidrs: [203.0.113.0/24], admins: ["arn:aws:iam::123456789012:role/ops"]}
node_pools:
  - name: train
    gpu: H100:8
    nodes: 2
    capacity: reserved
    reservation: cr-0123456789abcdef0
    zone: us-east-1b
storage:
  buckets: [scratch]
  delete_with_environment: true
"""
    )
    assert env.zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    assert len(result.of_type(T_NAT)) == 3
    vpc = result.one(T_EKS).inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    lt = _pool_lt(result, "var-env", "train")
    assert lt.inputs["capacityReservationSpecification"]["capacityReservationTarget"]["capacityReservationId"] == "cr-0123456789abcdef0"
    assert "placement" not in lt.inputs
    assert result.of_type(T_PG) == []
    ng = _pool_ng(result, "var-env", "train")
    assert ng.inputs["capacityType"] == "ON_DEMAND"
    assert ng.inputs["subnetIds"] == [_mock_id(T_SUBNET, "var-env-private-us-east-1b")]
    for b in result.of_type(T_BUCKET):
        assert b.inputs["forceDestroy"] is True
        assert not b.options["protect"]
    principals = {r.inputs["principalArn"] for r in result.of_type("aws:eks/accessEntry:AccessEntry")}
    assert principals == {"arn:aws:iam::123456789012:role/ops"}
