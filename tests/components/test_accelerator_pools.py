"""Non-NVIDIA node pools under mocks (issue 14): GKE TPU pools, EKS Neuron node groups, AKS ND MI300X v5 pools,
each with exactly the machine type, placement, AMI / driver, taint and labels its accelerator needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

STACKS = Path(__file__).resolve().parents[2] / "stacks"


def pools(result, token):
    return {r.name: r.inputs for r in result.resources if r.type == token}


@pytest.fixture(scope="module")
def tpu():
    return pools(run_offline(load(STACKS / "gcp-tpu.yaml")), "gcp:container/nodePool:NodePool")


@pytest.fixture(scope="module")
def trn():
    return pools(run_offline(load(STACKS / "aws-trainium.yaml")), "aws:eks/nodeGroup:NodeGroup")


@pytest.fixture(scope="module")
def mi300x():
    return pools(run_offline(load(STACKS / "azure-mi300x.yaml")), "azure-native:containerservice:AgentPool")


def test_multi_host_tpu_slice_is_placed_by_its_topology_in_one_zone(tpu):
    p = tpu["tpu-train-slice-np"]
    cfg = p["nodeConfig"]
    assert cfg["machineType"] == "ct5p-hightpu-4t"
    assert "guestAccelerators" not in cfg or cfg["guestAccelerators"] is None
    assert p["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "2x2x2"}
    assert p["nodeCount"] == 2 and "autoscaling" not in p
    assert p["nodeLocations"] == ["us-central1-a"]
    assert cfg["taints"] == [{"key": "google.com/tpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert cfg["labels"]["cloud.google.com/gke-tpu-accelerator"] == "tpu-v5p-slice"
    assert cfg["labels"]["cloud.google.com/gke-tpu-topology"] == "2x2x2"


def test_single_host_tpu_pool_autoscales_on_spot_without_placement(tpu):
    p = tpu["tpu-train-serve-np"]
    cfg = p["nodeConfig"]
    assert (cfg["machineType"], cfg["spot"]) == ("ct6e-standard-8t", True)
    assert cfg["reservationAffinity"] == {"consumeReservationType": "NO_RESERVATION"}
    assert "placementPolicy" not in p
    assert p["autoscaling"] == {"totalMinNodeCount": 0, "totalMaxNodeCount": 2, "locationPolicy": "ANY"}
    assert p["nodeLocations"] == ["us-central1-b"]
    assert cfg["labels"]["cloud.google.com/gke-tpu-topology"] == "2x4"
    assert "nvidia.com/gpu" not in str(cfg["taints"])


def test_tpu_slice_keeps_its_topology_with_a_reservation():
    env = resolve(parse_spec(
        "name: tpu-res\ncloud: gcp\nregion: us-central1\ngcp: {project: p-123456}\nnode_pools:\n"
        " - {name: s, accelerator: 'TPU-v6e:4', topology: 4x4, nodes: {min: 0, max: 4}, capacity: reserved, reservation: my-v6e-res, zone: us-central1-b}\n"
    ))
    p = pools(run_offline(env), "gcp:container/nodePool:NodePool")["tpu-res-s-np"]
    assert p["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "4x4"}
    assert p["autoscaling"] == {"minNodeCount": 0, "maxNodeCount": 4, "locationPolicy": "ANY"}
    assert p["nodeConfig"]["reservationAffinity"] == {
        "consumeReservationType": "SPECIFIC_RESERVATION", "key": "compute.googleapis.com/reservation-name", "values": ["my-v6e-res"]}


def test_neuron_node_groups_get_the_neuron_ami_and_taint_and_efa(trn):
    train = trn["trn-train-train-ng"]
    assert "trn-train-serve-ng" not in trn, "the autoscaling serve pool is a Karpenter NodePool (tests/components/aws/test_karpenter.py)"
    assert train["amiType"] == "AL2023_x86_64_NEURON"
    assert train["taints"] == [{"key": "aws.amazon.com/neuron", "value": "true", "effect": "NO_SCHEDULE"}]
    assert train["labels"]["accelerator"] == "neuron"
    assert train["instanceTypes"] == ["trn1.32xlarge"]
    assert train["labels"]["vpc.amazonaws.com/efa.present"] == "true"


def test_neuron_training_pool_has_every_efa_interface_in_a_placement_group():
    result = run_offline(load(STACKS / "aws-trainium.yaml"))
    lt = next(r for r in result.resources if r.name == "trn-train-train-lt").inputs
    assert len(lt["networkInterfaces"]) == 9  # card 0: ENA + efa-only, then one efa-only per card 1..7 (8 EFA)
    assert sum(n["interfaceType"] == "efa-only" for n in lt["networkInterfaces"]) == 8
    assert "placement" in lt
    assert any(r.type == "aws:ec2/placementGroup:PlacementGroup" and r.name == "trn-train-train-pg" for r in result.resources)


def test_mi300x_pool_has_the_amd_taint_no_aks_nvidia_driver_and_an_ib_domain(mi300x):
    p = mi300x["amd-train-train-pool"]
    assert p["vmSize"] == "Standard_ND96isr_MI300X_v5"
    assert p["nodeTaints"] == ["amd.com/gpu=present:NoSchedule"]
    assert p["gpuProfile"] == {"driver": "None"}
    assert p["nodeLabels"]["accelerator"] == "amd"
    assert p["nodeLabels"]["aiinfra.dev/fabric"] == "infiniband" and p["nodeLabels"]["aiinfra.dev/ib-domain"] == "train"
