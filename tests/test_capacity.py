"""Reserved and flexible capacity in the spec, the resolver and the cost: each cloud's kinds and reservation shapes
(from its profile), the rules every cloud shares, and reserved pools billed whether used or not."""

from __future__ import annotations

import pytest

from aiinfra.problems import SpecError
from aiinfra.report.preview import cost_items, estimate
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

BLOCK = "{id: cr-0a1b2c3d4e5f67890, kind: capacity-block}"
CRG = "/subscriptions/0f0e0d0c-0b0a-4909-8807-060504030201/resourceGroups/capacity-rg/providers/Microsoft.Compute/capacityReservationGroups/h100-crg"
HEAD = {
    "aws": "name: cap-env\ncloud: aws\nregion: us-east-1\n",
    "gcp": "name: cap-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\n",
    "azure": "name: cap-env\ncloud: azure\nregion: eastus\nazure: {subscription_id: 0f0e0d0c-0b0a-4909-8807-060504030201}\n",
}


def env(cloud: str, pool: str):
    return resolve(parse_spec(HEAD[cloud] + f"node_pools:\n  - {pool}\n"))


def problems(cloud: str, pool: str) -> list[tuple[str, str, str | None]]:
    with pytest.raises(SpecError) as info:
        env(cloud, pool)
    return [(p.path, p.message, p.hint) for p in info.value.problems]


@pytest.mark.parametrize(
    ("cloud", "pool", "path", "words"),
    [
        ("gcp", f"{{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-central1-a, reservation: {BLOCK}}}",
         "node_pools[0].reservation.kind", "(offered on: AWS)"),
        ("azure", f"{{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, reservation: {BLOCK}}}", "node_pools[0].reservation.kind", "(offered on: AWS)"),
        ("aws", "{name: t, gpu: 'H100:8', nodes: {min: 0, max: 2}, capacity: flex-start}", "node_pools[0].capacity", "(offered on: GCP)"),
        ("azure", "{name: t, gpu: 'H100:8', nodes: {min: 0, max: 2}, capacity: flex-start}", "node_pools[0].capacity", "(offered on: GCP)"),
        ("aws", f"{{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, reservation: {BLOCK}}}", "node_pools[0].zone", "one availability zone"),
        ("aws", f"{{name: t, gpu: 'H100:8', nodes: 65, capacity: reserved, zone: us-east-1a, reservation: {BLOCK}}}", "node_pools[0].nodes", "at most 64"),
        ("aws", f"{{name: t, gpu: 'H100:8', nodes: 2, capacity: spot, zone: us-east-1a, reservation: {BLOCK}}}", "node_pools[0]", "cannot be spot"),
        ("gcp", "{name: t, gpu: 'H100:8', nodes: 4, capacity: flex-start}", "node_pools[0]", "a fixed size or minimum (4)"),
        ("gcp", "{name: t, gpu: 'H100:8', nodes: {min: 1, max: 4}, capacity: flex-start}", "node_pools[0]", "minimum (a minimum of 1)"),
        ("gcp", "{name: t, gpu: 'H100:8', nodes: {min: 0, max: 4}, capacity: flex-start, reservation: r}", "node_pools[0]", "cannot use a reservation"),
        ("gcp", "{name: t, gpu: 'H100:8', nodes: 2, queued: true}", "node_pools[0]", "queued provisioning is a mode of flex-start"),
        ("aws", "{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-east-1a, reservation: my-res}", "node_pools[0].reservation", "EC2 capacity reservation id"),
        ("gcp", "{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-central1-a, reservation: cr-0a1b2c3d4e5f67890x_Y}",
         "node_pools[0].reservation", "Compute Engine reservation name"),
        ("azure", "{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, reservation: cr-0a1b2c3d4e5f67890}", "node_pools[0].reservation",
         "resource id of a capacity reservation group"),
        ("aws", "{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-east-1a, reservation: {id: cr-0a1b2c3d4e5f67890, block: b1}}",
         "node_pools[0].reservation.block", "reservation blocks exist on: GCP"),
        ("gcp", "{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, reservation: {id: my-res, block: b-001}}", "node_pools[0].zone", "in one zone"),
        ("aws", "{name: t, gpu: 'H100:8', nodes: {min: 0, max: 2}, capacity: flex-start, queued: true}", "node_pools[0].queued", "(offered on: GCP)"),
    ],
)
def test_bad_capacity_input_names_the_path_and_where_it_exists(cloud, pool, path, words):
    found = problems(cloud, pool)
    assert any(p == path and words in m and h for p, m, h in found), found


def test_each_cloud_takes_its_own_shapes():
    aws = env("aws", f"{{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-east-1b, reservation: {BLOCK}}}").worker_pools[0]
    assert (aws.reservation, aws.reservation_kind, aws.reservation_block) == ("cr-0a1b2c3d4e5f67890", "capacity-block", None)
    gcp = env("gcp", "{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-central1-a, reservation: {id: my-res, block: my-res-block-001}}").worker_pools[0]
    assert (gcp.reservation, gcp.reservation_kind, gcp.reservation_block) == ("my-res", "targeted", "my-res-block-001")
    azure = env("azure", f"{{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, reservation: {{id: {CRG}}}}}").worker_pools[0]
    assert azure.reservation == CRG and azure.reservation_kind == "targeted"
    queued = env("gcp", "{name: q, gpu: 'L4:1', nodes: {min: 0, max: 4}, capacity: flex-start, queued: true}").worker_pools[0]
    assert queued.queued and [t.key for t in queued.taints] == ["cloud.google.com/gke-queued"]


def test_reserved_pools_cost_their_whole_size_whether_used_or_not():
    e = env("aws", "{name: t, gpu: 'H100:8', nodes: {min: 0, max: 4}, capacity: reserved, zone: us-east-1b, reservation: cr-0123456789abcdef0}")
    (item,) = [i for i in cost_items(e) if i.item.startswith("pool t ")]
    assert (item.quantity_min, item.quantity_max) == (4, 4)
    assert "whether used or not" in item.note
    spot = env("aws", "{name: s, gpu: 'H100:8', nodes: {min: 0, max: 4}, capacity: spot}")
    (item,) = [i for i in cost_items(spot) if i.item.startswith("pool s ")]
    assert (item.quantity_min, item.quantity_max) == (0, 4)


def test_a_spec_price_wins_and_a_capacity_block_says_it_is_prepaid():
    own = env("aws", "{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-east-1b, "
                     "reservation: {id: cr-0a1b2c3d4e5f67890, kind: capacity-block, price_per_hour: 31.464}}")
    pool = own.worker_pools[0]
    assert pool.hourly_usd_per_node == 31.464 and "reservation.price_per_hour" in pool.price_note
    items = estimate(own)["cost"]["items"]
    (row,) = [i for i in items if i["item"] == "pool t (p5.48xlarge, capacity block)"]
    assert row["hourly_usd_min"] == row["hourly_usd_max"] == round(2 * 31.464, 4)
    assert row["price_origin"] == {"kind": "spec", "source": "reservation.price_per_hour", "as_of": None}
    (given,) = [p for p in estimate(own)["cost"]["freshness"]["prices"] if p["for"] == ["t"]]
    assert given["stale"] is False and given["text"] == "t: given in the spec (reservation.price_per_hour)"
    block = env("aws", f"{{name: t, gpu: 'H100:8', nodes: 2, capacity: reserved, zone: us-east-1b, reservation: {BLOCK}}}").worker_pools[0]
    assert "prepaid for its whole duration" in block.price_note and block.hourly_usd_per_node == 55.04
    assert block.price_origin.kind == "snapshot" and block.price_origin.source == "KARP-AWS"


def test_flex_start_is_priced_at_on_demand_and_says_so():
    pool = env("gcp", "{name: t, gpu: 'L4:1', nodes: {min: 0, max: 4}, capacity: flex-start}").worker_pools[0]
    on_demand = env("gcp", "{name: t, gpu: 'L4:1', nodes: 1}").worker_pools[0]
    assert pool.hourly_usd_per_node == on_demand.hourly_usd_per_node
    assert "no flex-start price in the catalog; on-demand rate shown" in pool.price_note
