"""The full GCP environment (components/gcp/environment.py via aiinfra.report.preview), and every AWS example moved to GCP."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from gcphelpers import (
    DEFAULT_LABELS,
    ENV_COMPONENT,
    PROJECT,
    T_BUCKET,
    T_BUCKET_IAM,
    T_CLUSTER,
    T_KEY,
    T_NAT,
    T_NETWORK,
    T_POOL,
    T_REPO,
)

from aiinfra.components.base.environment import default_tags
from aiinfra.report import preview
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

ROOT = Path(__file__).resolve().parents[3]
STACKS = ROOT / "stacks"
SPECS = ROOT / "tests" / "fixtures" / "specs"
def _portable(path: Path) -> bool:
    """An example whose accelerators every cloud has (NVIDIA or none): Trainium / Inferentia stay on AWS."""
    from aiinfra import catalog
    from aiinfra.resolve import accelerators
    from aiinfra.spec import load_spec
    from aiinfra.spec.gpu import GpuRequest

    models = [catalog.canonical_gpu(GpuRequest.model_of(g)) for pool in load_spec(path).node_pools for g in pool.gpu_options]
    return all(accelerators.family_of(m) in (None, accelerators.NVIDIA) for m in models)


AWS_EXAMPLES = [p for p in sorted(STACKS.glob("aws-*.yaml")) if _portable(p)]


@pytest.fixture(scope="module")
def llm():
    env = load(STACKS / "gcp-llm.yaml")
    return env, preview.run_offline(env)


@pytest.fixture(scope="module")
def rdma():
    env = load(SPECS / "gcp.ok.rdma.yaml")
    return env, preview.run_offline(env)


def on_gcp(path: Path, region: str = "us-central1") -> str:
    """The AWS example with only cloud, region and gcp.project changed."""
    data = yaml.safe_load(path.read_text())
    data.update(cloud="gcp", region=region, gcp={"project": PROJECT})
    return yaml.safe_dump(data, sort_keys=False)


def test_gcp_llm_is_aws_llm_with_only_cloud_region_and_project_changed():
    """And its name, so that both can live in one state backend."""
    aws = yaml.safe_load((STACKS / "aws-llm.yaml").read_text())
    gcp = yaml.safe_load((STACKS / "gcp-llm.yaml").read_text())
    assert gcp["name"] == f"{aws['name']}-gcp"
    assert {k: v for k, v in gcp.items() if k not in ("name", "cloud", "region", "gcp")} == {k: v for k, v in aws.items() if k not in ("name", "cloud", "region")}


def test_every_resource_descends_from_the_environment(llm):
    _, result = llm
    assert result.outside(result.one(ENV_COMPONENT)) == []
    assert [k for k, n in Counter((r.type, r.name) for r in result.resources).items() if n > 1] == []


def test_components_present(llm):
    _, result = llm
    root = result.one(ENV_COMPONENT)
    top = Counter(r.type for r in result.children_of(root.urn))
    assert top == Counter(
        {"aiinfra:gcp:Network": 1, "aiinfra:gcp:Cluster": 1, "aiinfra:gcp:NodePool": 2, "aiinfra:gcp:ObjectStorage": 1, "aiinfra:gcp:ContainerRegistry": 1, "aiinfra:gcp:WorkloadIdentity": 1, "aiinfra:kubernetes:Platform": 1}
    )


def test_train_pool_is_a3_mega_with_eight_tcpxo_nics_on_a_multi_network_cluster(llm):
    env, result = llm
    train = next(p for p in env.pools if p.name == "train")
    assert train.instance_type == "a3-megagpu-8g" and train.fabric.kind == "tcpxo"
    pool = result.one(T_POOL, "llm-train-gcp-train-np")
    assert len(pool.inputs["networkConfig"]["additionalNodeNetworkConfigs"]) == 8
    assert pool.inputs["placementPolicy"] == {"type": "COMPACT"} and len(pool.inputs["nodeLocations"]) == 1
    assert pool.inputs["nodeConfig"]["guestAccelerators"][0]["type"] == "nvidia-h100-mega-80gb"
    cluster = result.one(T_CLUSTER).inputs
    assert cluster["enableMultiNetworking"] is True and cluster["datapathProvider"] == "ADVANCED_DATAPATH"
    assert len(result.of_type(T_NETWORK)) == 9
    nets = result.outputs["gpu_networks"]["train"]
    assert [n["name"] for n in nets] == [f"vpc{i}" for i in range(1, 9)]
    assert {n["device_mode"] for n in nets} == {"NetDevice"}
    assert list(result.outputs["gpu_networks"]) == ["train"]


def test_serve_pool_is_spot_l4(llm):
    _, result = llm
    pool = result.one(T_POOL, "llm-train-gcp-serve-np")
    cfg = pool.inputs["nodeConfig"]
    assert cfg["machineType"] == "g2-standard-4" and cfg["spot"] is True
    assert cfg["guestAccelerators"][0]["type"] == "nvidia-l4"
    assert "networkConfig" not in pool.inputs and "placementPolicy" not in pool.inputs


def test_every_pool_runs_as_the_node_account_in_the_cluster(llm):
    _, result = llm
    pools = result.of_type(T_POOL)
    assert sorted(p.inputs["name"] for p in pools) == ["serve", "system", "train"]
    assert {p.inputs["nodeConfig"]["serviceAccount"] for p in pools} == {f"llm-train-gcp-nodes@{PROJECT}.iam.gserviceaccount.com"}
    assert {p.inputs["cluster"] for p in pools} == {f"projects/{PROJECT}/locations/us-central1/clusters/llm-train-gcp"}
    cluster = result.one(T_CLUSTER)
    assert all(cluster.urn in p.options["depends_on"] for p in pools)


def test_labels_propagate_as_valid_gcp_labels(llm):
    _, result = llm
    assert default_tags(llm[0])["aiinfra.dev/environment"] == "llm-train-gcp"
    labelled = [r for r in result.resources if r.custom and "labels" in r.inputs and r.type != T_POOL]
    assert {r.type for r in labelled} >= {T_BUCKET, T_KEY, T_REPO}
    for r in labelled:
        assert DEFAULT_LABELS.items() <= r.inputs["labels"].items(), r.name
    assert DEFAULT_LABELS.items() <= result.one(T_CLUSTER).inputs["resourceLabels"].items()
    for p in result.of_type(T_POOL):
        assert DEFAULT_LABELS.items() <= p.inputs["nodeConfig"]["resourceLabels"].items()


def test_outputs_and_workload_binding(llm):
    _, result = llm
    out = result.outputs
    assert out["cluster_name"] == "llm-train-gcp" and out["workload_service_account"] == "ml/workload"
    assert sorted(out["buckets"]) == ["checkpoints", "datasets"] and sorted(out["node_pools"]) == ["serve", "train"]
    assert out["registry"]["train"] == f"us-central1-docker.pkg.dev/{PROJECT}/llm-train-gcp/train"
    assert out["workload_gsa_email"] == f"llm-train-gcp-workload@{PROJECT}.iam.gserviceaccount.com"
    assert json.loads(out["kubeconfig"])["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    grants = {g.inputs["bucket"] for g in result.of_type(T_BUCKET_IAM) if g.inputs["member"].startswith("serviceAccount:llm-train-gcp-workload@")}
    assert grants == set(out["buckets"].values())


def test_build_returns_binding_with_gsa_annotation():
    import pulumi

    from aiinfra import program as aiinfra_program
    from aiinfra.components import Environment
    from aiinfra.program import engine

    env = load(STACKS / "gcp-llm.yaml")
    got = {}

    def build():
        e = Environment("llm-train-gcp", env)
        got["built"] = e.built
        return {"annotation": e.built.workload.annotations["iam.gke.io/gcp-service-account"], "bucket": e.built.bucket_urls["datasets"], "image": e.built.registry_urls["serve"]}

    m = engine.CloudMocks("gcp", env.spec.region, env.zones, aiinfra_program.offered_zones(env), aiinfra_program.mock_settings(env))
    result = engine.run(build, m)
    built = got["built"]
    assert set(built.node_pools) == {"system", "train", "serve"} and isinstance(built.cluster, pulumi.ComponentResource)
    assert (built.workload.namespace, built.workload.service_account) == ("ml", "workload")
    assert result.outputs["annotation"] == f"llm-train-gcp-workload@{PROJECT}.iam.gserviceaccount.com"
    assert result.outputs["bucket"].startswith("gs://llm-train-gcp-datasets-")
    assert result.outputs["image"].endswith("/llm-train-gcp/serve")


def test_cost_counts_the_gke_fee_nat_and_keys(llm):
    env, result = llm
    items = {i.item: i for i in preview.cost_items(env, result.resources)}
    assert items["GKE cluster fee"].quantity_min == 1 == len(result.of_type(T_CLUSTER))
    assert items["Cloud NAT gateway"].quantity_min == 1 == len(result.of_type(T_NAT))
    assert items["Cloud KMS key"].quantity_min == 2 == len(result.of_type(T_KEY))


def test_rdma_environment_zone_networks_and_disk(rdma):
    env, result = rdma
    pool = result.one(T_POOL, "h200-train-train-np")
    assert pool.inputs["nodeLocations"] == ["us-central1-b"]
    assert pool.inputs["nodeConfig"]["diskType"] == "hyperdisk-balanced"
    roce = [n for n in result.of_type(T_NETWORK) if "networkProfile" in n.inputs]
    assert [n.inputs["networkProfile"].rsplit("/", 1)[-1] for n in roce] == ["us-central1-b-vpc-roce"]
    assert len(pool.inputs["networkConfig"]["additionalNodeNetworkConfigs"]) == 9
    assert [n["name"] for n in result.outputs["gpu_networks"]["train"]] == ["gvnic-1"] + [f"rdma-{i}" for i in range(8)]


@pytest.mark.parametrize("example", AWS_EXAMPLES, ids=lambda p: p.name)
def test_every_aws_example_previews_on_gcp(example):
    env = resolve(parse_spec(on_gcp(example)))
    data = preview.build(env)
    assert (data["cloud"], data["region"]) == ("gcp", "us-central1")
    types = {r["type"] for r in data["resources"]}
    assert {T_CLUSTER, T_POOL, T_NAT} <= types
    assert not any(t.startswith("aws:") for t in types)
    aws_env = load(example)
    assert [p["name"] for p in data["node_pools"]] == [p.name for p in aws_env.pools]
    for p_gcp, p_aws in zip(data["node_pools"], aws_env.pools):
        assert (p_gcp["gpu"], p_gcp["gpus_per_node"], p_gcp["nodes_min"], p_gcp["nodes_max"], p_gcp["capacity"]) == (
            p_aws.gpu, p_aws.gpus_per_node, p_aws.nodes_min, p_aws.nodes_max, p_aws.capacity
        )
    assert data["cost"]["hourly_usd_min"] > 0 and data["cost"]["monthly_usd_max"] >= data["cost"]["monthly_usd_min"]
    assert {i["item"] for i in data["cost"]["items"]} >= {"GKE cluster fee", "Cloud NAT gateway"}
    assert data["outputs"]["kubeconfig"] == "[secret]"
    json.dumps(data)


def test_gpu_nic_network_names_must_be_unique_in_one_cluster():
    """Pods name GPU NIC networks per fabric kind (vpc1..), so an A3 High and an A3 Mega pool cannot share a cluster."""
    from aiinfra.components.gcp.environment import gpu_networks
    from aiinfra.components.gcp.network import GpuNic

    def nics(site: str, count: int) -> list[GpuNic]:
        return [GpuNic(f"vpc{i}", f"{site}-vpc{i}", f"{site}-sub{i}", "NetDevice", f"192.168.{i}.0/24") for i in range(1, count + 1)]

    assert [(n.name, n.vpc, n.subnet) for n in gpu_networks({"tcpxo": nics("tcpxo", 2)})] == [("vpc1", "tcpxo-vpc1", "tcpxo-sub1"), ("vpc2", "tcpxo-vpc2", "tcpxo-sub2")]
    with pytest.raises(ValueError, match="tcpx and tcpxo both need a GPU NIC network named vpc1"):
        gpu_networks({"tcpx": nics("tcpx", 4), "tcpxo": nics("tcpxo", 8)})
