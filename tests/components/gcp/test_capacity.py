"""GKE specific reservations and reservation blocks, flex-start and queued provisioning (accelerators-capacity-data.md §4.2)."""

from __future__ import annotations

import pytest
from gcphelpers import PROJECT, REGION, T_POOL, ZONES, run

from aiinfra.components.gcp.gpu_pool import NodePool, NodePoolArgs


def _gpu(machine, accel, count):
    return dict(machine_type=machine, gpu="H100", gpus_per_node=count, accelerator_type=accel)


def _pool(pool_name="train", **kw):
    holder = {}
    base = dict(project=PROJECT, cluster=f"projects/{PROJECT}/locations/{REGION}/clusters/env", location=REGION, candidate_zones=ZONES)

    def program():
        holder["pool"] = NodePool(f"env-{pool_name}", NodePoolArgs(**{**base, "pool": pool_name, **kw}))

    return run(program).one(T_POOL), holder["pool"]

H100 = _gpu("a3-highgpu-8g", "nvidia-h100-80gb", 8)


def test_reservation_block_is_named_as_reservation_slash_block():
    pool, component = _pool(zone="us-central1-c", capacity="reserved", reservation="my-res", reservation_block="my-res-block-001", nodes_min=2, nodes_max=2, **H100)
    assert pool.inputs["nodeConfig"]["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION",
        "key": "compute.googleapis.com/reservation-name",
        "values": ["my-res/reservationBlocks/my-res-block-001"],
    }
    assert pool.inputs["nodeLocations"] == ["us-central1-c"] == component.zones


@pytest.fixture(scope="module")
def flex():
    return _pool("flex", capacity="flex-start", nodes_min=0, nodes_max=4, compact_placement=True, **H100)


def test_flex_start_pool_scales_from_zero_without_spot_repair_or_reservations(flex):
    pool, _ = flex
    cfg = pool.inputs["nodeConfig"]
    assert cfg["flexStart"] is True
    assert cfg["spot"] is False
    assert cfg["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert pool.inputs["autoscaling"]["totalMinNodeCount"] == 0 and pool.inputs["autoscaling"]["totalMaxNodeCount"] == 4
    assert pool.inputs["initialNodeCount"] == 0
    assert pool.inputs["management"]["autoRepair"] is False
    assert "placementPolicy" not in pool.inputs  # COMPACT with flex-start only on a3-ultragpu / a4 / h4d
    assert "queuedProvisioning" not in pool.inputs


def test_flex_start_keeps_compact_placement_on_a4():
    pool, _ = _pool("flexa4", capacity="flex-start", nodes_min=0, nodes_max=2, compact_placement=True, **_gpu("a4-highgpu-8g", "nvidia-b200", 8))
    assert pool.inputs["placementPolicy"] == {"type": "COMPACT"}


def test_queued_provisioning_is_an_option_of_flex_start():
    pool, _ = _pool("queued", capacity="flex-start", queued=True, nodes_min=0, nodes_max=8, compact_placement=True, **_gpu("a4-highgpu-8g", "nvidia-b200", 8))
    assert pool.inputs["queuedProvisioning"] == {"enabled": True}
    assert pool.inputs["nodeConfig"]["flexStart"] is True
    assert "placementPolicy" not in pool.inputs  # queued provisioning refuses COMPACT for GPUs


@pytest.mark.parametrize(
    ("kw", "path"),
    [
        (dict(capacity="reserved", reservation="r", reservation_block="b"), "zone"),
        (dict(capacity="reserved", reservation="r", reservation_kind="capacity-block", zone="us-central1-a"), "reservation_kind"),
        (dict(capacity="flex-start", nodes_min=1, nodes_max=2), "capacity"),
        (dict(queued=True), "queued"),
    ],
)
def test_capacity_contract_violations(kw, path):
    from aiinfra.components.base.errors import ComponentInputError

    with pytest.raises(ComponentInputError) as info:
        _pool("bad", **{**H100, **kw})
    assert path in {p.path for p in info.value.problems}
