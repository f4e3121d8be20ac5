"""NodePool (components/azure/gpu_pool.py) under the offline engine."""

from __future__ import annotations

import pytest
from azurehelpers import RG, SUBNET_ID, T_POOL, mocks, run

from aiinfra.components.azure import NodePool, NodePoolArgs
from aiinfra.components.azure.gpu_pool import GPU_TAINT, agent_pool_name
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

RESERVATION = "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/capacityReservationGroups/h100"


def _run(pool="train", zones=("1", "2", "3"), **kw):
    base = dict(resource_group_name=RG, cluster_name="demo", node_subnet_id=SUBNET_ID, pool=pool, zones=list(zones))
    base.update(kw)

    def program():
        p = NodePool(f"demo-{pool}", NodePoolArgs(**base))
        return {"name": p.pool_name, "zones": p.zones}

    result = run(program, mocks(zones=list(zones)))
    return result, result.one(T_POOL)


def _nd(**kw):
    base = dict(vm_size="Standard_ND96isr_H100_v5", gpu="H100", gpus_per_node=8, infiniband=True, nodes_min=2, nodes_max=2)
    base.update(kw)
    return _run(**base)


@pytest.fixture(scope="module")
def nd():
    return _nd()


@pytest.fixture(scope="module")
def spot():
    return _run("serve", vm_size="Standard_NV36ads_A10_v5", gpu="A10", gpus_per_node=1, capacity="spot", nodes_min=1, nodes_max=4)


@pytest.fixture(scope="module")
def cpu():
    return _run("work", vm_size="Standard_D8s_v5", nodes_min=0, nodes_max=3)


def test_nd_pool_is_a_fixed_size_user_pool_on_the_node_subnet(nd):
    result, pool = nd
    i = pool.inputs
    assert (i["vmSize"], i["mode"], i["osType"], i["type"]) == ("Standard_ND96isr_H100_v5", "User", "Linux", "VirtualMachineScaleSets")
    assert (i["resourceName"], i["resourceGroupName"], i["vnetSubnetID"]) == ("demo", RG, SUBNET_ID)
    assert i["count"] == 2 and i["enableAutoScaling"] is False and "minCount" not in i
    assert i["agentPoolName"] == "train" == result.outputs["name"]


def test_nd_pool_is_one_infiniband_domain(nd):
    _, pool = nd
    labels = pool.inputs["nodeLabels"]
    assert labels["aiinfra.dev/fabric"] == "infiniband" and labels["aiinfra.dev/ib-domain"] == "train"
    # One scale set, no zone split: Azure links only the VMs of one scale set over IB.
    assert "availabilityZones" not in pool.inputs


def test_gpu_taint_labels_and_aks_managed_driver(nd):
    _, pool = nd
    assert pool.inputs["nodeTaints"] == [GPU_TAINT] == ["nvidia.com/gpu=true:NoSchedule"]
    labels = pool.inputs["nodeLabels"]
    assert (labels["accelerator"], labels["aiinfra.dev/gpu"], labels["aiinfra.dev/gpu-count"]) == ("nvidia", "H100", "8")
    assert pool.inputs["gpuProfile"] == {"driver": "Install"}


def test_driver_none_leaves_it_to_the_gpu_operator():
    _, pool = _nd(gpu_driver="none")
    assert pool.inputs["gpuProfile"] == {"driver": "None"}


def test_hardening_and_gpu_upgrade_settings(nd, cpu):
    for _, pool in (nd, cpu):
        assert pool.inputs["enableEncryptionAtHost"] is True and pool.inputs["enableNodePublicIP"] is False
    assert nd[1].inputs["upgradeSettings"] == {"maxSurge": "0", "maxUnavailable": "1"}
    assert cpu[1].inputs["upgradeSettings"] == {"maxSurge": "33%"}
    assert nd[1].inputs["osDiskSizeGB"] == 200


def test_spot_pool_evicts_deletes_and_caps_at_on_demand(spot):
    _, pool = spot
    i = pool.inputs
    assert (i["scaleSetPriority"], i["scaleSetEvictionPolicy"], i["spotMaxPrice"]) == ("Spot", "Delete", -1)
    assert i["nodeTaints"] == [GPU_TAINT, "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]
    assert i["nodeLabels"]["aiinfra.dev/capacity"] == "spot"
    assert "aiinfra.dev/fabric" not in i["nodeLabels"]


def test_autoscaling_bounds_and_autoscaler_owns_count(spot, nd):
    _, pool = spot
    assert (pool.inputs["enableAutoScaling"], pool.inputs["minCount"], pool.inputs["maxCount"], pool.inputs["count"]) == (True, 1, 4, 1)
    assert pool.options["ignore_changes"] == ["count"]
    assert nd[1].options["ignore_changes"] == []


def test_on_demand_pool_is_regular(nd):
    i = nd[1].inputs
    assert i["scaleSetPriority"] == "Regular" and "scaleSetEvictionPolicy" not in i and "spotMaxPrice" not in i


def test_cpu_pool_spreads_over_zones_without_gpu_settings(cpu):
    result, pool = cpu
    i = pool.inputs
    assert i["availabilityZones"] == ["1", "2", "3"] and result.outputs["zones"] == ["1", "2", "3"]
    assert "gpuProfile" not in i and i["nodeTaints"] == []
    assert "accelerator" not in i["nodeLabels"]
    assert (i["minCount"], i["maxCount"], i["count"]) == (0, 3, 0)


def test_pinned_zone_and_zone_less_region():
    assert _nd(zone="2")[1].inputs["availabilityZones"] == ["2"]
    _, pool = _run("work", zones=(), vm_size="Standard_D8s_v5")
    assert "availabilityZones" not in pool.inputs
    with pytest.raises(ValueError, match="not one of the region's zones"):
        _nd(zone="4")


def test_reserved_pool_uses_a_capacity_reservation_group_and_grants_the_cluster_identity_on_its_group():
    result, pool = _nd(capacity="reserved", reservation=RESERVATION, cluster_identity_principal_id="cluster-principal")
    assert pool.inputs["capacityReservationGroupID"] == RESERVATION
    assert pool.inputs["scaleSetPriority"] == "Regular"
    (grant,) = [r for r in result.resources if r.type == "azure-native:authorization:RoleAssignment"]
    assert grant.inputs["scope"] == "/subscriptions/x/resourceGroups/rg"
    assert grant.inputs["principalId"] == "cluster-principal"
    assert grant.inputs["roleDefinitionId"] == "/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/b24988ac-6180-42a0-ab88-20f7382dd24c"
    assert grant.urn in (pool.options.get("depends_on") or []), "the pool waits for the grant"


def test_reservation_group_without_the_cluster_identity_is_refused():
    with pytest.raises(ValueError, match="user-assigned identity"):
        _nd(capacity="reserved", reservation=RESERVATION)


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"capacity": "reserved", "reservation": "cr-0123456789abcdef0", "cluster_identity_principal_id": "p"}, "capacity reservation group"),
        ({"capacity": "flex-start", "nodes_min": 0}, "AKS pools take on-demand, spot or a capacity reservation group"),
        ({"nodes_min": 3, "nodes_max": 2}, "min <= max"),
        ({"gpu": None}, "go together"),
        ({"spot_max_price": 0.0, "capacity": "spot"}, "spot_max_price"),
    ],
)
def test_invalid_args_raise(kw, message):
    with pytest.raises(ValueError, match=message):
        _nd(**kw)


def test_infiniband_needs_a_gpu():
    with pytest.raises(ValueError, match="InfiniBand"):
        _run("work", vm_size="Standard_D8s_v5", infiniband=True)


@pytest.mark.parametrize(
    ("pool", "expected"),
    [("train", "train"), ("serve", "serve"), ("gpu-h100-large", None), ("9lives", None), ("inference-a10", None)],
)
def test_agent_pool_names_fit_aks_rules(pool, expected):
    got = agent_pool_name(pool)
    assert got.isalnum() and got.islower() and got[0].isalpha() and 1 <= len(got) <= 12
    if expected:
        assert got == expected
    assert agent_pool_name(pool) == got


def test_long_pool_names_do_not_collide():
    assert agent_pool_name("inference-a10-east") != agent_pool_name("inference-a10-west")


@pytest.mark.parametrize(
    ("gpu", "vm_size", "infiniband"),
    [
        ("H100:8", "Standard_ND96isr_H100_v5", True),
        ("A100-80GB:8", "Standard_ND96amsr_A100_v4", True),
        ("A100:8", "Standard_ND96asr_v4", True),
        ("T4:1", "Standard_NC4as_T4_v3", False),
        ("A10:1", "Standard_NV36ads_A10_v5", False),
        ("A100-80GB:1", "Standard_NC24ads_A100_v4", False),
        ("H100:1", "Standard_NC40ads_H100_v5", False),
    ],
)
def test_catalog_picks_the_vm_size_and_fabric(gpu, vm_size, infiniband):
    env = resolve(parse_spec(f"name: pick\ncloud: azure\nregion: eastus\nnode_pools: [{{name: p, gpu: '{gpu}', nodes: 2}}]\n"))
    pool = env.pools[1]
    assert pool.instance_type == vm_size
    assert (pool.fabric_kind == "infiniband") is infiniband
    if infiniband:
        assert pool.fabric.interfaces == 8 and any("AKSInfinibandSupport" in n for n in pool.fabric.notes)



def azure_bad_pool(**kw):
    return _run(**kw)


def test_bad_args_raise_one_component_input_error_with_every_problem():
    from aiinfra.components.base.errors import ComponentInputError

    with pytest.raises(ComponentInputError) as info:
        azure_bad_pool(nodes_min=3, nodes_max=1, capacity="reserved")
    assert {"nodes_min", "reservation"} <= {p.path for p in info.value.problems}
