"""GKE node pools (components/gcp/gpu_pool.py): accelerators, GPU NICs, placement, capacity, zones, node hardening."""

from __future__ import annotations

import pytest
from gcphelpers import PROJECT, REGION, T_POOL, ZONES, mocks, run, site

from aiinfra.components.gcp.gpu_pool import NodePool, NodePoolArgs
from aiinfra.components.gcp.network import Network, NetworkArgs

CLUSTER = f"projects/{PROJECT}/locations/{REGION}/clusters/env"
NODE_SA = f"env-nodes@{PROJECT}.iam.gserviceaccount.com"


def _args(**kw) -> NodePoolArgs:
    base = dict(project=PROJECT, cluster=CLUSTER, location=REGION, candidate_zones=ZONES, service_account=NODE_SA, tags={"aiinfra.dev/environment": "env"})
    base.update(kw)
    return NodePoolArgs(**base)


def _pool(pool_name="train", m=None, fabric=None, **kw):
    holder = {}

    def program():
        nics = []
        if fabric:
            net = Network("env", NetworkArgs(project=PROJECT, region=REGION, fabrics=[fabric]))
            nics = net.gpu_nics[fabric.key]
        holder["pool"] = NodePool(f"env-{pool_name}", _args(pool=pool_name, gpu_nics=nics, **kw))

    result = run(program, m)
    return result.one(T_POOL), holder["pool"]


def _gpu(machine, accel, count, **kw):
    return dict(machine_type=machine, gpu="H100", gpus_per_node=count, accelerator_type=accel, **kw)


@pytest.fixture(scope="module")
def tcpxo():
    return _pool(fabric=site("tcpxo"), nodes_min=2, nodes_max=2, fabric_kind="tcpxo", compact_placement=True, local_ssd_count=16, **_gpu("a3-megagpu-8g", "nvidia-h100-mega-80gb", 8))


def test_accelerator_with_gke_managed_driver(tcpxo):
    pool, _ = tcpxo
    cfg = pool.inputs["nodeConfig"]
    assert cfg["machineType"] == "a3-megagpu-8g"
    assert cfg["guestAccelerators"] == [{"type": "nvidia-h100-mega-80gb", "count": 8, "gpuDriverInstallationConfig": {"gpuDriverVersion": "LATEST"}}]
    assert cfg["ephemeralStorageLocalSsdConfig"] == {"localSsdCount": 16}


def test_gpu_taint_and_labels(tcpxo):
    cfg = tcpxo[0].inputs["nodeConfig"]
    assert cfg["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert cfg["labels"] == {
        "aiinfra.dev/pool": "train", "aiinfra.dev/capacity": "on-demand", "aiinfra.dev/gpu": "H100", "aiinfra.dev/gpu-count": "8", "aiinfra.dev/fabric": "tcpxo",
    }
    assert cfg["resourceLabels"] == {"aiinfra-dev_environment": "env", "aiinfra-dev_pool": "train"}


def test_node_hardening(tcpxo):
    cfg = tcpxo[0].inputs["nodeConfig"]
    assert cfg["imageType"] == "COS_CONTAINERD"
    assert cfg["gvnic"] == {"enabled": True}
    assert cfg["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert cfg["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
    assert cfg["metadata"] == {"disable-legacy-endpoints": "true"}
    assert cfg["serviceAccount"] == NODE_SA
    assert cfg["oauthScopes"] == ["https://www.googleapis.com/auth/cloud-platform"]
    assert tcpxo[0].inputs["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_eight_gpu_nics_compact_placement_one_zone(tcpxo):
    pool, component = tcpxo
    extra = pool.inputs["networkConfig"]["additionalNodeNetworkConfigs"]
    assert len(extra) == 8
    assert [e["network"].rsplit("-", 1)[0] for e in extra] == [f"env-tcpxo-vpc{i}" for i in range(1, 9)]
    assert [e["subnetwork"].rsplit("-", 1)[0] for e in extra] == [f"env-tcpxo-vpc{i}" for i in range(1, 9)]
    assert pool.inputs["placementPolicy"] == {"type": "COMPACT"}
    assert pool.inputs["nodeLocations"] == ["us-central1-a"] and component.zones == ["us-central1-a"]


def test_autoscaling_totals_and_gpu_upgrades_one_at_a_time(tcpxo):
    pool, _ = tcpxo
    assert pool.inputs["autoscaling"] == {"totalMinNodeCount": 2, "totalMaxNodeCount": 2, "locationPolicy": "ANY"}
    assert pool.inputs["initialNodeCount"] == 2
    assert pool.inputs["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 0, "maxUnavailable": 1}
    assert set(pool.options["ignore_changes"]) == {"initialNodeCount", "nodeCount"}
    assert pool.inputs["name"] == "train" and pool.inputs["cluster"] == CLUSTER and pool.inputs["location"] == REGION


def test_rdma_pool_gets_host_nic_and_eight_rdma_subnets():
    pool, component = _pool(
        fabric=site("rdma", "us-central1-b"), zone="us-central1-b", fabric_kind="rdma", compact_placement=True, disk_type="hyperdisk-balanced",
        **_gpu("a3-ultragpu-8g", "nvidia-h200-141gb", 8),
    )
    extra = pool.inputs["networkConfig"]["additionalNodeNetworkConfigs"]
    assert len(extra) == 9
    assert len({e["network"] for e in extra[1:]}) == 1 and extra[1]["network"].startswith("env-rdma-b-rdma-")
    assert len({e["subnetwork"] for e in extra}) == 9
    assert [n.k8s_name for n in component.gpu_nics][:2] == ["gvnic-1", "rdma-0"]
    assert pool.inputs["nodeLocations"] == ["us-central1-b"]
    assert pool.inputs["nodeConfig"]["diskType"] == "hyperdisk-balanced"


def test_spot_pool_without_reservation_spreads_over_offering_zones():
    offered = {"g2-standard-4": ["us-central1-b", "us-central1-c"]}
    m = mocks(offered=lambda t: offered.get(t, ZONES))
    pool, component = _pool("serve", m, nodes_min=1, nodes_max=4, capacity="spot", **_gpu("g2-standard-4", "nvidia-l4", 1))
    cfg = pool.inputs["nodeConfig"]
    assert cfg["spot"] is True
    assert cfg["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert pool.inputs["nodeLocations"] == ["us-central1-b", "us-central1-c"] == component.zones
    assert "placementPolicy" not in pool.inputs and "networkConfig" not in pool.inputs
    assert pool.inputs["autoscaling"]["totalMaxNodeCount"] == 4 and pool.inputs["initialNodeCount"] == 1


def test_reservation_replaces_compact_placement():
    pool, _ = _pool(
        fabric=site("tcpx"), zone="us-central1-c", capacity="reserved", reservation="a3-block", compact_placement=True, fabric_kind="tcpx",
        nodes_min=4, nodes_max=4, **_gpu("a3-highgpu-8g", "nvidia-h100-80gb", 8),
    )
    assert pool.inputs["nodeConfig"]["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION", "key": "compute.googleapis.com/reservation-name", "values": ["a3-block"],
    }
    assert "placementPolicy" not in pool.inputs
    assert pool.inputs["nodeConfig"]["spot"] is False
    assert len(pool.inputs["networkConfig"]["additionalNodeNetworkConfigs"]) == 4


def test_cpu_pool_has_no_gpu_anything():
    pool, _ = _pool("work", machine_type="n2-standard-8", nodes_min=0, nodes_max=3)
    cfg = pool.inputs["nodeConfig"]
    assert "guestAccelerators" not in cfg and "taints" not in cfg
    assert pool.inputs["autoscaling"]["locationPolicy"] == "BALANCED" and pool.inputs["initialNodeCount"] == 0
    assert pool.inputs["upgradeSettings"] == {"strategy": "SURGE", "maxSurge": 1, "maxUnavailable": 0}
    assert pool.inputs["nodeLocations"] == ZONES


def test_type_offered_nowhere_fails_cleanly_naming_the_zones():
    m = mocks(offered=lambda t: [])
    with pytest.raises(Exception, match="not offered in any of the zones"):
        _pool(m=m, **_gpu("a3-ultragpu-8g", "nvidia-h200-141gb", 8))


def test_pinned_zone_without_the_type_names_where_it_is():
    m = mocks(offered=lambda t: ["us-central1-b"])
    with pytest.raises(Exception, match="not offered in us-central1-a; offered in: us-central1-b"):
        _pool(m=m, zone="us-central1-a", **_gpu("a3-ultragpu-8g", "nvidia-h200-141gb", 8))


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(nodes_min=3, nodes_max=2), "nodes must satisfy"),
        (dict(capacity="reserved"), "needs a reservation"),
        (dict(gpu="H100", gpus_per_node=8), "go together"),
        (dict(candidate_zones=[]), "candidate_zones"),
    ],
)
def test_invalid_args_rejected(kw, message):
    with pytest.raises(Exception, match=message):
        _pool(**kw)



def gcp_bad_pool(**kw):
    return _pool(**kw)


def test_bad_args_raise_one_component_input_error_with_every_problem():
    from aiinfra.components.base.errors import ComponentInputError

    with pytest.raises(ComponentInputError) as info:
        gcp_bad_pool(nodes_min=3, nodes_max=1, capacity="reserved")
    assert {"nodes_min", "reservation"} <= {p.path for p in info.value.problems}


def test_old_signature_with_the_pool_name_still_builds_and_says_what_it_became():
    holder = {}

    def program():
        holder["pool"] = NodePool("env-old", "old", _args())

    with pytest.warns(DeprecationWarning, match="args.pool"):
        result = run(program)
    assert result.one(T_POOL).inputs["name"] == "old"
