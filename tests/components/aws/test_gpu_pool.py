"""NodePool (components/aws/gpu_pool.py) under the offline engine."""

from __future__ import annotations

from collections import Counter

import pytest
from awshelpers import T_LT, T_NG, T_PG, T_SG, T_SG_IN, T_SG_OUT, mock_id, mock_outputs, mocks, run

from aiinfra.components.aws import NodePool, NodePoolArgs
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

SUBNETS = {"us-east-1a": "subnet-a", "us-east-1b": "subnet-b"}
CLUSTER_SG = "sg-cluster0000000000"
RESERVATION = "cr-0123456789abcdef0"


def _args(**kw):
    base = dict(
        cluster_name="demo",
        node_role_arn="arn:aws:iam::123456789012:role/demo-node",
        cluster_security_group_id=CLUSTER_SG,
        vpc_id="vpc-123",
        subnets=SUBNETS,
    )
    base.update(kw)
    return NodePoolArgs(**base)


def _run(name="pool", offered=None, **kw):
    m = mocks(offered=offered)

    def program():
        p = NodePool(name, _args(**kw))
        return {"node_group_name": p.pool_name, "launch_template_id": p.launch_template_id, "zones": p.zones}

    return run(program, m), m


def _p5(**kw):
    base = dict(instance_type="p5.48xlarge", gpu="H100", gpus_per_node=8, efa_interfaces=32, nodes_min=2, nodes_max=2)
    base.update(kw)
    return _run("train", **base)


@pytest.fixture(scope="module")
def p5():
    return _p5()


@pytest.fixture(scope="module")
def cpu():
    return _run("work", instance_type="m6i.2xlarge", nodes_min=0, nodes_max=3)


# -- EFA ---------------------------------------------------------------------


def test_p5_has_33_interfaces_one_efa_per_card(p5):
    result, _ = p5
    nics = result.one(T_LT).inputs["networkInterfaces"]
    assert len(nics) == 33
    layout = sorted((n["networkCardIndex"], n["deviceIndex"], n["interfaceType"]) for n in nics)
    expected = [(0, 0, "interface"), (0, 1, "efa-only")] + [(card, 0, "efa-only") for card in range(1, 32)]
    assert layout == sorted(expected)
    efa_per_card = Counter(n["networkCardIndex"] for n in nics if n["interfaceType"] in ("efa", "efa-only"))
    assert efa_per_card == Counter(range(32))
    # exactly one interface carries pod IPs (ENA on card 0 device 0)
    assert [(n["networkCardIndex"], n["deviceIndex"]) for n in nics if n["interfaceType"] == "interface"] == [(0, 0)]
    assert len({(n["networkCardIndex"], n["deviceIndex"]) for n in nics}) == 33


def test_every_interface_has_cluster_and_efa_security_groups(p5):
    result, m = p5
    efa_sg = mock_id(m, T_SG, "train-efa")
    for n in result.one(T_LT).inputs["networkInterfaces"]:
        assert sorted(n["securityGroups"]) == sorted([CLUSTER_SG, efa_sg])
        assert n["associatePublicIpAddress"] == "false"
        assert n["deleteOnTermination"] == "true"


def test_efa_security_group_allows_all_traffic_only_within_itself(p5):
    result, m = p5
    sg = result.one(T_SG, "train-efa")
    assert sg.inputs["vpcId"] == "vpc-123"
    assert not sg.inputs.get("ingress") and not sg.inputs.get("egress")
    sg_id = mock_id(m, T_SG, "train-efa")
    ingress, egress = result.of_type(T_SG_IN), result.of_type(T_SG_OUT)
    assert len(ingress) == 1 and len(egress) == 1
    for rule in (ingress[0], egress[0]):
        assert rule.inputs["ipProtocol"] == "-1"
        assert rule.inputs["securityGroupId"] == sg_id
        assert rule.inputs["referencedSecurityGroupId"] == sg_id
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs


def test_cluster_placement_group_in_launch_template(p5):
    result, m = p5
    pg = result.one(T_PG)
    assert pg.inputs["strategy"] == "cluster"
    _, pg_out = mock_outputs(m, T_PG, pg.name, pg.inputs)
    assert result.one(T_LT).inputs["placement"]["groupName"] == pg_out["name"]


def test_efa_pool_uses_one_subnet(p5):
    result, _ = p5
    ng = result.one(T_NG)
    assert ng.inputs["subnetIds"] == ["subnet-a"]
    assert result.outputs["zones"] == ["us-east-1a"]


def test_efa_pool_picks_the_first_offered_zone():
    result, _ = _p5(offered=lambda t: ["us-east-1b"])
    assert result.one(T_NG).inputs["subnetIds"] == ["subnet-b"]


def test_efa_labels(p5):
    labels = p5[0].one(T_NG).inputs["labels"]
    assert labels["aiinfra.dev/fabric"] == "efa"
    assert labels["vpc.amazonaws.com/efa.present"] == "true"


@pytest.mark.parametrize(("gpu", "instance_type", "interfaces"), [("A100:8", "p4d.24xlarge", 4), ("H100:8", "p5.48xlarge", 32)])
def test_catalog_efa_count_reaches_launch_template(gpu, instance_type, interfaces):
    spec = parse_spec(
        f"""
name: efa-check
cloud: aws
region: us-east-1
node_pools:
  - name: train
    gpu: {gpu}
    instance_type: {instance_type}
    nodes: 2
"""
    )
    env = resolve(spec)
    pool = next(p for p in env.pools if p.name == "train")
    assert pool.instance_type == instance_type
    assert pool.fabric is not None and pool.fabric.kind == "efa"
    assert pool.fabric.interfaces == interfaces
    result, _ = _run(
        "train", instance_type=pool.instance_type, gpu=pool.gpu, gpus_per_node=pool.gpus_per_node,
        efa_interfaces=pool.fabric.interfaces, nodes_min=pool.nodes_min, nodes_max=pool.nodes_max,
    )
    nics = result.one(T_LT).inputs["networkInterfaces"]
    assert len(nics) == interfaces + 1
    assert Counter(n["networkCardIndex"] for n in nics if n["interfaceType"] == "efa-only") == Counter(range(interfaces))
    assert result.one(T_NG).inputs["instanceTypes"] == [instance_type]


def test_p4d_has_four_efa_interfaces():
    result, _ = _run("a100", instance_type="p4d.24xlarge", gpu="A100", gpus_per_node=8, efa_interfaces=4)
    nics = result.one(T_LT).inputs["networkInterfaces"]
    assert sorted((n["networkCardIndex"], n["deviceIndex"], n["interfaceType"]) for n in nics) == [
        (0, 0, "interface"), (0, 1, "efa-only"), (1, 0, "efa-only"), (2, 0, "efa-only"), (3, 0, "efa-only"),
    ]


# -- launch template -----------------------------------------------------------


@pytest.mark.parametrize("fixture", ["p5", "cpu"])
def test_metadata_requires_imdsv2_hop_limit_one(fixture, request):
    result, _ = request.getfixturevalue(fixture)
    md = result.one(T_LT).inputs["metadataOptions"]
    assert md["httpTokens"] == "required"
    assert md["httpPutResponseHopLimit"] == 1
    assert md["httpEndpoint"] == "enabled"


@pytest.mark.parametrize("fixture", ["p5", "cpu"])
def test_root_volume_encrypted_gp3(fixture, request):
    result, _ = request.getfixturevalue(fixture)
    (bdm,) = result.one(T_LT).inputs["blockDeviceMappings"]
    assert bdm["deviceName"] == "/dev/xvda"
    ebs = bdm["ebs"]
    assert ebs["volumeType"] == "gp3"
    assert ebs["encrypted"] == "true"
    assert ebs["volumeSize"] == 200
    assert ebs["deleteOnTermination"] == "true"


def test_root_volume_custom_size_and_kms_key():
    key = "arn:aws:kms:us-east-1:123456789012:key/abcd"
    result, _ = _run(disk_gib=500, volume_kms_key_arn=key)
    ebs = result.one(T_LT).inputs["blockDeviceMappings"][0]["ebs"]
    assert ebs["volumeSize"] == 500
    assert ebs["kmsKeyId"] == key


def test_node_group_uses_the_launch_template(p5):
    result, m = p5
    lt = result.one(T_LT)
    ng = result.one(T_NG)
    assert ng.inputs["launchTemplate"] == {"id": mock_id(m, T_LT, lt.name), "version": "1"}
    assert result.outputs["launch_template_id"] == mock_id(m, T_LT, lt.name)
    for spec in lt.inputs["tagSpecifications"]:
        assert spec["resourceType"] in ("instance", "volume")
        assert spec["tags"]["Name"] == "train"


# -- AMI, taints, labels --------------------------------------------------------


def test_gpu_pool_ami_taint_and_labels(p5):
    ng = p5[0].one(T_NG)
    assert ng.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng.inputs["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]
    labels = ng.inputs["labels"]
    assert labels["aiinfra.dev/gpu"] == "H100"
    assert labels["aiinfra.dev/gpu-count"] == "8"
    assert labels["accelerator"] == "nvidia"
    assert labels["aiinfra.dev/pool"] == "train"
    assert labels["aiinfra.dev/capacity"] == "on-demand"
    assert ng.inputs["instanceTypes"] == ["p5.48xlarge"]
    assert ng.inputs["clusterName"] == "demo"
    assert ng.inputs["nodeRoleArn"] == "arn:aws:iam::123456789012:role/demo-node"


def test_cpu_pool_standard_ami_no_taint_no_efa(cpu):
    result, _ = cpu
    ng = result.one(T_NG)
    assert ng.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert not ng.inputs.get("taints")
    labels = ng.inputs["labels"]
    assert not any(k in labels for k in ("aiinfra.dev/gpu", "accelerator", "aiinfra.dev/fabric", "vpc.amazonaws.com/efa.present"))
    assert ng.inputs["subnetIds"] == ["subnet-a", "subnet-b"]
    assert result.of_type(T_PG) == []
    assert result.of_type(T_SG) == []
    lt = result.one(T_LT)
    assert "networkInterfaces" not in lt.inputs
    assert "placement" not in lt.inputs


def test_user_labels_merge_into_node_labels():
    result, _ = _run(labels={"team": "ml", "aiinfra.dev/capacity": "override"})
    labels = result.one(T_NG).inputs["labels"]
    assert labels["team"] == "ml"
    assert labels["aiinfra.dev/capacity"] == "override"
    assert labels["aiinfra.dev/pool"] == "pool"


def test_gpu_pool_without_efa_has_no_fabric():
    result, _ = _run("serve", instance_type="g6.xlarge", gpu="L4", gpus_per_node=1, capacity="spot", nodes_min=1, nodes_max=4)
    ng = result.one(T_NG)
    assert ng.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng.inputs["taints"][0]["key"] == "nvidia.com/gpu"
    assert ng.inputs["subnetIds"] == ["subnet-a", "subnet-b"]
    assert result.of_type(T_PG) == [] and result.of_type(T_SG) == []
    assert "networkInterfaces" not in result.one(T_LT).inputs


# -- scaling and capacity -------------------------------------------------------------


def test_scaling_config_and_ignore_desired(cpu):
    ng = cpu[0].one(T_NG)
    assert ng.inputs["scalingConfig"] == {"minSize": 0, "maxSize": 3, "desiredSize": 0}
    assert ng.inputs["updateConfig"] == {"maxUnavailable": 1}
    assert "scalingConfig.desiredSize" in ng.options["ignore_changes"]


@pytest.mark.parametrize(("capacity", "expected"), [("spot", "SPOT"), ("on-demand", "ON_DEMAND"), ("reserved", "ON_DEMAND")])
def test_capacity_type(capacity, expected):
    extra = {"reservation": RESERVATION} if capacity == "reserved" else {}
    result, _ = _run(capacity=capacity, **extra)
    ng = result.one(T_NG)
    assert ng.inputs["capacityType"] == expected
    assert ng.inputs["labels"]["aiinfra.dev/capacity"] == capacity


def test_reserved_efa_pool_targets_reservation_without_placement_group():
    result, _ = _p5(capacity="reserved", reservation=RESERVATION, zone="us-east-1b")
    lt = result.one(T_LT)
    target = lt.inputs["capacityReservationSpecification"]["capacityReservationTarget"]
    assert target["capacityReservationId"] == RESERVATION
    assert result.of_type(T_PG) == []
    assert "placement" not in lt.inputs
    assert len(lt.inputs["networkInterfaces"]) == 33
    ng = result.one(T_NG)
    assert ng.inputs["capacityType"] == "ON_DEMAND"
    assert ng.inputs["subnetIds"] == ["subnet-b"]


def test_non_reserved_pool_has_no_reservation_target(p5):
    assert "capacityReservationSpecification" not in p5[0].one(T_LT).inputs


def test_reserved_without_reservation_raises():
    with pytest.raises(ValueError, match="reservation"):
        _run(capacity="reserved")


# -- zones -------------------------------------------------------------------------


def test_zone_pin_puts_group_in_that_subnet():
    result, _ = _run(zone="us-east-1b")
    assert result.one(T_NG).inputs["subnetIds"] == ["subnet-b"]
    assert result.outputs["zones"] == ["us-east-1b"]


def test_non_efa_pool_spans_only_offered_zones():
    result, _ = _run(instance_type="g6.xlarge", gpu="L4", gpus_per_node=1, offered=lambda t: ["us-east-1b", "us-east-1c"])
    assert result.one(T_NG).inputs["subnetIds"] == ["subnet-b"]


def test_type_offered_nowhere_raises():
    with pytest.raises(ValueError, match="not offered"):
        _p5(offered=lambda t: [])


def test_pinned_zone_not_offering_the_type_raises():
    with pytest.raises(ValueError, match="not offered in us-east-1b"):
        _p5(zone="us-east-1b", offered=lambda t: ["us-east-1a"])


def test_pinned_zone_outside_network_raises():
    with pytest.raises(ValueError, match="not one of the network's zones"):
        _run(zone="us-east-1c")


# -- argument checks ------------------------------------------------------------------


@pytest.mark.parametrize(("lo", "hi"), [(3, 2), (0, 0), (-1, 2)])
def test_bad_node_bounds_raise(lo, hi):
    with pytest.raises(ValueError, match="nodes"):
        _run(nodes_min=lo, nodes_max=hi)


@pytest.mark.parametrize("kw", [{"gpu": "H100"}, {"gpus_per_node": 8}])
def test_gpu_and_count_go_together(kw):
    with pytest.raises(ValueError, match="gpus_per_node"):
        _run(**kw)


def test_node_prerequisites_become_node_group_dependencies():
    import pulumi_aws as aws

    def program():
        cni = aws.eks.Addon("cni", cluster_name="demo", addon_name="vpc-cni")
        proxy = aws.eks.Addon("proxy", cluster_name="demo", addon_name="kube-proxy")
        NodePool("work", _args(node_prerequisites=[cni, proxy]))
        return {}

    result = run(program)
    ng = result.one(T_NG)
    for addon in result.of_type("aws:eks/addon:Addon"):
        assert addon.urn in ng.options["depends_on"], addon.name


def test_no_prerequisites_no_extra_dependencies(cpu):
    ng = cpu[0].one(T_NG)
    assert not [u for u in ng.options["depends_on"] if "aws:eks/addon:Addon" in u]


def test_children_parented_to_pool(p5):
    result, _ = p5
    comp = result.one("aiinfra:aws:NodePool")
    assert {r.type for r in result.children_of(comp.urn)} == {T_SG, T_SG_IN, T_SG_OUT, T_PG, T_LT, T_NG}



def aws_bad_pool(**kw):
    return _run(**kw)


def test_bad_args_raise_one_component_input_error_with_every_problem():
    from aiinfra.components.base.errors import ComponentInputError

    with pytest.raises(ComponentInputError) as info:
        aws_bad_pool(nodes_min=3, nodes_max=1, capacity="reserved")
    assert {"nodes_min", "reservation"} <= {p.path for p in info.value.problems}
