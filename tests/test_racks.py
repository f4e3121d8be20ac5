"""GB200/GB300 NVL72 racks: catalog rows on every cloud, rack-size and capacity rules, DRA's Kubernetes floor and the Kueue TAS plan."""

from pathlib import Path

import pytest

from aiinfra import catalog
from aiinfra.problems import SpecError
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).parent / "fixtures" / "specs"


@pytest.mark.parametrize(
    "fixture, instance_type, price",
    [("aws.ok.gb200.yaml", "p6e-gb200.36xlarge", 240), ("gcp.ok.gb200.yaml", "a4x-highgpu-4g", None), ("azure.ok.gb200.yaml", "Standard_ND128isr_NDR_GB200_v6", 108.16)],
)
def test_gb200_4_resolves_on_every_cloud_to_an_arm64_nvl72_rack(fixture, instance_type, price):
    (p,) = [p for p in load(SPECS / fixture).pools if p.name == "rack"]
    assert (p.instance_type, p.gpu, p.gpus_per_node, p.architecture, p.family) == (instance_type, "GB200", 4, "arm64", "nvidia")
    assert (p.nvlink_domain.nodes, p.nodes_min, p.nodes_max, p.dra_driver, p.dra) == (18, 18, 18, True, False)
    assert p.hourly_usd_per_node == price


def test_catalog_rows_are_sourced_and_unpriced_where_no_price_was_found():
    aws = catalog.cloud_catalog("aws").instance_types["p6e-gb200.36xlarge"]
    assert (aws.sold_as, aws.nvlink_domain.sizes, aws.nvlink_domain.unit, aws.fabric.interfaces, aws.fabric.primary_card_efa) == ("capacity-block", [9, 18], 9, 16, False)
    assert all(r.on_demand is None for r in aws.regions.values())
    gcp = catalog.cloud_catalog("gcp").instance_types["a4x-highgpu-4g"]
    assert (gcp.vcpus, gcp.memory_gib, gcp.fabric.kind, gcp.fabric.interfaces, gcp.nvlink_domain.tas_level) == (140, 884, "rdma", 4, "cloud.google.com/gce-topology-subblock")
    az = catalog.cloud_catalog("azure").instance_types
    assert (az["Standard_ND128isr_NDR_GB200_v6"].regions["eastus"].on_demand, az["Standard_ND128isr_GB300_v6"].gpu) == (108.16, "GB300")
    assert az["Standard_ND128isr_GB300_v6"].regions["eastus"].on_demand is None
    assert catalog.canonical_gpu("gb200-nvl72") == "GB200"


@pytest.mark.parametrize(
    "fixture, path, message, hint",
    [
        ("aws.bad.gb200-no-capacity-block.yaml", "node_pools[0].capacity", "sold on aws only through Capacity Blocks, but this pool asks for on-demand", "kind: capacity-block"),
        ("aws.bad.gb200-split-domain.yaml", "node_pools[0].nodes", "4 nodes of p6e-gb200.36xlarge split an NVLink domain: one domain is 9 or 18 nodes", "set nodes: 9, or nvlink_domains: partial"),
        ("gcp.bad.gb200-autoscaling.yaml", "node_pools[0].nodes", "an NVLink-domain pool (a4x-highgpu-4g) is fixed-size", "write nodes: 18"),
        ("gcp.bad.dra-old-kubernetes.yaml", "cluster.kubernetes_version", "Kubernetes 1.33 has no resource.k8s.io/v1", '"1.34" or later'),
        ("azure.bad.tas-not-offered.yaml", "mlops.topology_aware", "not offered on azure: AKS sets no block or rack node labels", "train on GKE or EKS"),
        ("aws.bad.tas-autoscaling.yaml", "node_pools[0].nodes", "counts only Ready nodes, so a pool under it must be fixed-size; nodes says 0..4", "write nodes: 4"),
    ],
)
def test_rack_rules_are_errors_with_a_path_and_a_hint(fixture, path, message, hint):
    with pytest.raises(SpecError) as info:
        load(SPECS / fixture)
    (p,) = info.value.problems
    assert p.path == path and message in p.message and hint in (p.hint or "")


def test_tas_is_on_for_nvlink_pools_where_the_cloud_labels_its_topology():
    aws = load(SPECS / "aws.ok.gb200.yaml")
    assert aws.topology == ("aws-network", ("topology.k8s.aws/network-node-layer-1", "topology.k8s.aws/network-node-layer-2", "topology.k8s.aws/network-node-layer-3", "kubernetes.io/hostname"))
    assert aws.pools[-1].topology_request == ("required", "topology.k8s.aws/network-node-layer-3")
    gcp = load(SPECS / "gcp.ok.gb200.yaml")
    assert gcp.topology[0] == "gke-default" and gcp.pools[-1].topology_request == ("required", "cloud.google.com/gce-topology-subblock")
    azure = load(SPECS / "azure.ok.gb200.yaml")
    assert azure.topology is None and azure.pools[-1].topology_request is None
    assert any(w.path == "mlops.topology_aware" and "no Kueue topology-aware scheduling on azure" in w.message for w in azure.warnings)


def test_partial_domains_and_dra_elsewhere_are_spelled_out(tmp_path):
    env = load(SPECS / "aws.ok.gb200-partial.yaml")
    rack, h100 = env.pools[1:]
    assert (rack.nodes_max, rack.dra_driver, rack.topology_request) == (2, True, ("required", "topology.k8s.aws/network-node-layer-3"))
    assert (h100.dra, h100.dra_driver, h100.topology_request) == (True, True, None)
    path = tmp_path / "x.yaml"
    path.write_text("{name: x-env, cloud: aws, region: us-east-1, node_pools: [{name: h, gpu: 'H100:8', nodes: 2, nvlink_domains: partial}]}")
    with pytest.raises(SpecError) as info:
        load(path)
    assert [p.path for p in info.value.problems] == ["node_pools[0].nvlink_domains"]


def test_asked_for_tas_covers_every_multi_node_gpu_pool_at_the_preferred_level(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("{name: x-env, cloud: gcp, region: us-central1, gcp: {project: p-123456}, mlops: {topology_aware: true}, node_pools: [{name: h, gpu: 'H100:8', nodes: 2}, {name: one, gpu: 'L4:1'}]}")
    env = load(path)
    assert {p.name: p.topology_request for p in env.worker_pools} == {"h": ("preferred", "cloud.google.com/gce-topology-subblock"), "one": None}
