"""Capacity Blocks for ML and targeted ODCRs on EKS managed node groups (accelerators-capacity-data.md §4.1)."""

from __future__ import annotations

import pytest
from awshelpers import T_LT, T_NG, T_PG, mocks, run

from aiinfra.components.aws import NodePool, NodePoolArgs

RESERVATION = "cr-0123456789abcdef0"
BLOCK = "cr-0fedcba9876543210"
NETWORK = dict(
    cluster_name="demo", node_role_arn="arn:aws:iam::123456789012:role/demo-node", cluster_security_group_id="sg-cluster0000000000",
    vpc_id="vpc-123", subnets={"us-east-1a": "subnet-a", "us-east-1b": "subnet-b"},
)


def _run(**kw):
    def program():
        NodePool("pool", NodePoolArgs(**{**NETWORK, **kw}))

    return run(program, mocks()), None


def _p5(**kw):
    return _run(**{**dict(instance_type="p5.48xlarge", gpu="H100", gpus_per_node=8, efa_interfaces=32), **kw})


@pytest.fixture(scope="module")
def block():
    return _p5(capacity="reserved", reservation=BLOCK, reservation_kind="capacity-block", zone="us-east-1b", nodes_min=2, nodes_max=2)


def test_capacity_block_node_group_has_its_own_capacity_type_and_no_instance_types(block):
    ng = block[0].one(T_NG)
    assert ng.inputs["capacityType"] == "CAPACITY_BLOCK"
    assert "instanceTypes" not in ng.inputs  # the launch template carries the block's one type
    assert ng.inputs["subnetIds"] == ["subnet-b"]  # the block's zone only
    assert ng.inputs["scalingConfig"] == {"minSize": 2, "maxSize": 2, "desiredSize": 2}


def test_capacity_block_launch_template_names_market_block_and_type(block):
    lt = block[0].one(T_LT)
    assert lt.inputs["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert lt.inputs["capacityReservationSpecification"] == {"capacityReservationTarget": {"capacityReservationId": BLOCK}}
    assert lt.inputs["instanceType"] == "p5.48xlarge"
    assert block[0].of_type(T_PG) == []  # a new placement group can conflict with the block
    assert len(lt.inputs["networkInterfaces"]) == 33


def test_targeted_odcr_stays_on_demand_without_market_options():
    result, _ = _run(capacity="reserved", reservation=RESERVATION, zone="us-east-1a")
    lt, ng = result.one(T_LT), result.one(T_NG)
    assert ng.inputs["capacityType"] == "ON_DEMAND" and ng.inputs["instanceTypes"] == ["m6i.large"]
    assert lt.inputs["capacityReservationSpecification"]["capacityReservationTarget"]["capacityReservationId"] == RESERVATION
    assert "instanceMarketOptions" not in lt.inputs and "instanceType" not in lt.inputs


@pytest.mark.parametrize(
    ("kw", "path"),
    [
        (dict(capacity="reserved", reservation=BLOCK, reservation_kind="capacity-block"), "zone"),
        (dict(capacity="reserved", reservation=BLOCK, reservation_block="b-1", zone="us-east-1a"), "reservation_block"),
        (dict(capacity="flex-start", nodes_min=0, nodes_max=2), "capacity"),
        (dict(reservation_kind="capacity-block"), "reservation"),
    ],
)
def test_capacity_contract_violations(kw, path):
    from aiinfra.components.base.errors import ComponentInputError

    with pytest.raises(ComponentInputError) as info:
        _run(**kw)
    assert path in {p.path for p in info.value.problems}
