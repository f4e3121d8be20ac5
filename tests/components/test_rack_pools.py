"""GB200 NVL72 pools under mocks on each cloud (issue 25): the exact node-group, node-pool and agent-pool inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


@pytest.fixture(scope="module")
def resources():
    cache: dict[str, list] = {}

    def get(fixture: str) -> list:
        if fixture not in cache:
            cache[fixture] = run_offline(load(SPECS / fixture)).resources
        return cache[fixture]

    return get


def one(resources: list, token: str, name: str) -> dict:
    (found,) = [r.inputs for r in resources if r.type == token and r.name == name]
    return found


def test_eks_gb200_is_a_capacity_block_node_group_on_the_arm64_nvidia_ami_with_efa_on_every_card_but_the_primary(resources):
    res = resources("aws.ok.gb200.yaml")
    ng = one(res, "aws:eks/nodeGroup:NodeGroup", "gb200-train-rack-ng")
    assert (ng["amiType"], ng["capacityType"], ng.get("instanceTypes")) == ("AL2023_ARM_64_NVIDIA", "CAPACITY_BLOCK", None)
    assert ng["scalingConfig"] == {"minSize": 18, "maxSize": 18, "desiredSize": 18}
    assert ng["labels"]["aiinfra.dev/dra"] == "true" and "nvidia.com/gpu.deploy.device-plugin" not in ng["labels"]
    lt = one(res, "aws:ec2/launchTemplate:LaunchTemplate", "gb200-train-rack-lt")
    nics = [(n["networkCardIndex"], n["deviceIndex"], n["interfaceType"]) for n in lt["networkInterfaces"]]
    assert nics == [(0, 0, "interface")] + [(card, 0, "efa-only") for card in range(1, 17)]
    assert lt["instanceMarketOptions"] == {"marketType": "capacity-block"} and lt["instanceType"] == "p6e-gb200.36xlarge"
    assert lt["capacityReservationSpecification"]["capacityReservationTarget"]["capacityReservationId"] == "cr-0a1b2c3d4e5f67890"


def test_gke_a4x_pool_takes_its_reservation_the_1x72_workload_policy_and_four_rdma_networks(resources):
    res = resources("gcp.ok.gb200.yaml")
    policy = one(res, "gcp:compute/resourcePolicy:ResourcePolicy", "a4x-train-rack-workload-policy")
    assert (policy["region"], policy["workloadPolicy"]) == ("us-central1", {"type": "HIGH_THROUGHPUT", "acceleratorTopology": "1x72"})
    np_ = one(res, "gcp:container/nodePool:NodePool", "a4x-train-rack-np")
    assert np_["placementPolicy"]["type"] == "COMPACT" and "policyName" in np_["placementPolicy"]
    assert np_["nodeLocations"] == ["us-central1-b"]
    cfg = np_["nodeConfig"]
    assert (cfg["machineType"], cfg["guestAccelerators"][0]["type"], cfg["guestAccelerators"][0]["count"]) == ("a4x-highgpu-4g", "nvidia-gb200", 4)
    assert cfg["reservationAffinity"] == {"consumeReservationType": "SPECIFIC_RESERVATION", "key": "compute.googleapis.com/reservation-name", "values": ["a4x-reservation"]}
    nets = np_["networkConfig"]["additionalNodeNetworkConfigs"]
    rdma = [n for n in nets if "gvnic" not in str(n["network"])]
    assert (len(rdma), len(nets)) == (4, 5)  # the four RoCE subnets, plus the host gVNIC network
    assert cfg["labels"]["aiinfra.dev/dra"] == "true" and cfg["labels"]["aiinfra.dev/fabric"] == "rdma"


def test_aks_gb200_pool_is_ubuntu_2404_on_infiniband_with_the_dra_label(resources):
    pool = one(resources("azure.ok.gb200.yaml"), "azure-native:containerservice:AgentPool", "ndgb-train-rack-pool")
    assert (pool["vmSize"], pool["osSKU"], pool["count"], pool["enableAutoScaling"]) == ("Standard_ND128isr_NDR_GB200_v6", "Ubuntu2404", 18, False)
    assert pool["nodeLabels"]["aiinfra.dev/fabric"] == "infiniband" and pool["nodeLabels"]["aiinfra.dev/dra"] == "true"


def test_dra_gpu_pools_turn_the_device_plugin_off_on_their_nodes(resources):
    ng = one(resources("aws.ok.gb200-partial.yaml"), "aws:eks/nodeGroup:NodeGroup", "gb200-try-h100-ng")
    assert ng["labels"]["aiinfra.dev/dra"] == "true" and ng["labels"]["nvidia.com/gpu.deploy.device-plugin"] == "false"
    assert ng["amiType"] == "AL2023_x86_64_NVIDIA"
