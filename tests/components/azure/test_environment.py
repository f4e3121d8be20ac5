"""The full Azure environment (components/azure/environment.py via aiinfra.report.preview)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pulumi
import pytest
import yaml
from azurehelpers import (
    ENV_COMPONENT,
    T_ACCOUNT,
    T_AKS,
    T_CONTAINER,
    T_POOL,
    T_PROVIDER,
    T_RG,
    T_ROLE,
    T_SUBNET,
    T_UAI,
    run,
)

from aiinfra import program
from aiinfra.components.azure.identity import ROLES
from aiinfra.report import preview
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

STACKS = Path(__file__).resolve().parents[3] / "stacks"
def _portable(path: Path) -> bool:
    """An example whose accelerators every cloud has (NVIDIA or none): Trainium / Inferentia stay on AWS."""
    from aiinfra import catalog
    from aiinfra.resolve import accelerators
    from aiinfra.spec import load_spec
    from aiinfra.spec.gpu import GpuRequest

    models = [catalog.canonical_gpu(GpuRequest.model_of(g)) for pool in load_spec(path).node_pools for g in pool.gpu_options]
    return all(accelerators.family_of(m) in (None, accelerators.NVIDIA) for m in models)


AWS_EXAMPLES = [p for p in sorted(STACKS.glob("aws-*.yaml")) if _portable(p)]
REGION_ON_AZURE = {"us-east-1": "eastus", "us-east-2": "eastus2", "us-west-2": "westus2"}
SUBSCRIPTION = "0f0e0d0c-0b0a-4909-8807-060504030201"


@pytest.fixture(scope="module")
def llm():
    env = load(STACKS / "azure-llm.yaml")
    return env, run_offline(env)


def _offline(text):
    env = resolve(parse_spec(text))
    return env, run_offline(env)


def _pool(result, env_name, pool):
    return result.one(T_POOL, f"{env_name}-{pool}-pool")


def test_every_resource_descends_from_the_environment(llm):
    _, result = llm
    assert result.outside(result.one(ENV_COMPONENT)) == []


def test_type_name_pairs_unique(llm):
    _, result = llm
    assert [k for k, n in Counter((r.type, r.name) for r in result.resources).items() if n > 1] == []


def test_components_present(llm):
    _, result = llm
    root = result.one(ENV_COMPONENT)
    top = Counter(r.type for r in result.children_of(root.urn))
    assert top == Counter(
        {
            "aiinfra:azure:Network": 1, "aiinfra:azure:Cluster": 1, "aiinfra:azure:NodePool": 2, "aiinfra:azure:ObjectStorage": 1,
            "aiinfra:azure:ContainerRegistry": 1, "aiinfra:azure:WorkloadIdentity": 1, "aiinfra:kubernetes:Platform": 1,
        }
    )


def test_train_pool_is_nd_h100_with_infiniband(llm):
    env, result = llm
    train = next(p for p in env.pools if p.name == "train")
    assert train.instance_type == "Standard_ND96isr_H100_v5"
    assert (train.fabric.kind, train.fabric.interfaces, train.fabric.gbps) == ("infiniband", 8, 3200)
    pool = _pool(result, "llm-train-azure", "train")
    assert pool.inputs["vmSize"] == "Standard_ND96isr_H100_v5" and pool.inputs["count"] == 2
    assert pool.inputs["nodeLabels"]["aiinfra.dev/fabric"] == "infiniband"


def test_serve_falls_back_to_a10_spot(llm):
    env, result = llm
    serve = next(p for p in env.pools if p.name == "serve")
    assert serve.gpu == "A10" and "L4:1 not offered" in serve.reason
    pool = _pool(result, "llm-train-azure", "serve")
    assert pool.inputs["scaleSetPriority"] == "Spot" and (pool.inputs["minCount"], pool.inputs["maxCount"]) == (1, 4)


def test_everything_in_the_spec_resource_group(llm):
    _, result = llm
    assert result.one(T_RG).inputs["resourceGroupName"] == "llm-train-azure-rg"
    for r in result.resources:
        if r.custom and "resourceGroupName" in r.inputs and r.type != T_RG:
            assert r.inputs["resourceGroupName"] == "llm-train-azure-rg", r.name


def test_pools_join_the_cluster_on_the_node_subnet(llm):
    _, result = llm
    subnet = next(s for s in result.of_type(T_SUBNET) if s.inputs["subnetName"] == "nodes")
    system = result.one(T_AKS).inputs["agentPoolProfiles"][0]
    for p in result.of_type(T_POOL):
        assert p.inputs["resourceName"] == "llm-train-azure"
        assert p.inputs["vnetSubnetID"] == system["vnetSubnetID"]
        assert p.inputs["vnetSubnetID"].endswith("/virtualNetworks/llm-train-azure-vnet/subnets/nodes")
    assert subnet.inputs["subnetName"] == "nodes"


def test_tags_propagate(llm):
    _, result = llm
    expected = {"aiinfra.dev/environment": "llm-train-azure", "team": "ml-platform", "managed-by": "aiinfra"}
    tagged = [r for r in result.resources if r.custom and "tags" in r.inputs]
    assert {r.type for r in tagged} >= {T_RG, T_AKS, T_POOL, T_ACCOUNT, T_UAI}
    for r in tagged:
        assert expected.items() <= r.inputs["tags"].items(), f"{r.type} {r.name}"


def test_outputs(llm):
    _, result = llm
    out = result.outputs
    assert out["cluster_name"] == "llm-train-azure" and out["cluster_endpoint"].startswith("https://")
    assert out["buckets"] == {"datasets": "datasets", "checkpoints": "checkpoints"}
    assert sorted(out["registry"]) == ["serve", "train"] and out["registry"]["train"].endswith(".azurecr.io/llm-train-azure/train")
    assert out["node_pools"] == {"train": "train", "serve": "serve"}
    assert out["workload_service_account"] == "ml/workload"
    assert out["workload_client_id"] and out["resource_group"] == "llm-train-azure-rg"
    kc = json.loads(out["kubeconfig"])
    assert kc["users"][0]["user"]["exec"]["command"] == "kubelogin"


def test_kubelet_and_workload_pull_from_the_registry(llm):
    _, result = llm
    pulls = [r for r in result.of_type(T_ROLE) if r.inputs["roleDefinitionId"].endswith(ROLES["AcrPull"])]
    assert sorted(r.name for r in pulls) == ["llm-train-azure-kubelet-acr-pull", "llm-train-azure-workload-acr"]
    assert len({r.inputs["scope"] for r in pulls}) == 1


def test_data_protected_and_group_kept(llm):
    _, result = llm
    for r in result.of_type(T_ACCOUNT) + result.of_type(T_CONTAINER):
        assert r.options["protect"] and r.options["retain_on_delete"], r.name
    rg = result.one(T_RG)
    assert rg.options["protect"] and rg.options["retain_on_delete"]
    assert result.one(T_AKS).options["protect"]


def test_built_environment_binds_workload_identity():
    env = load(STACKS / "azure-llm.yaml")
    seen = {}

    def program():
        from aiinfra.components import Environment

        e = Environment(env.spec.name, env)
        b = e.built
        seen.update(binding=b.workload, pools=sorted(b.node_pools), options=b.storage_options)
        return {
            "client": b.workload.annotations["azure.workload.identity/client-id"],
            "urls": pulumi.Output.all(**b.bucket_urls),
            "account": b.storage_options["account_name"],
            "outputs_client": b.outputs["workload_client_id"],
        }

    result = run(program, preview_mocks(env))
    assert seen["binding"].pod_labels == {"azure.workload.identity/use": "true"}
    assert (seen["binding"].namespace, seen["binding"].service_account) == ("ml", "workload")
    assert seen["pools"] == ["serve", "system", "train"]
    assert result.outputs["client"] == result.outputs["outputs_client"]
    assert result.outputs["urls"] == {"datasets": "az://datasets", "checkpoints": "az://checkpoints"}
    assert result.outputs["account"].startswith("llmtrain") and seen["options"].keys() == {"account_name"}


def preview_mocks(env):
    from aiinfra.program import engine

    return engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, program.offered_zones(env), program.mock_settings(env))


def test_preview_json_counts_fixed_costs_and_notes_infiniband():
    data = preview.build(load(STACKS / "azure-llm.yaml"))
    items = {i["item"]: i for i in data["cost"]["items"]}
    assert items["AKS Standard tier"]["quantity_min"] == 1 and items["NAT gateway"]["quantity_min"] == 1
    assert items["Key Vault key"]["quantity_min"] == 1
    pools = {p["name"]: p for p in data["node_pools"]}
    assert any("one InfiniBand domain" in n for n in pools["train"]["notes"])
    assert any("AKSInfinibandSupport" in n for n in pools["train"]["notes"])
    assert pools["serve"]["notes"] == [] and pools["system"]["notes"] == []
    assert data["outputs"]["kubeconfig"] == "[secret]"


def _on_azure(path: Path, **azure) -> str:
    data = yaml.safe_load(path.read_text())
    data["cloud"] = "azure"
    data["region"] = REGION_ON_AZURE.get(data["region"], "eastus")
    data["azure"] = azure
    return yaml.safe_dump(data)


@pytest.mark.parametrize("example", AWS_EXAMPLES, ids=lambda p: p.name)
def test_every_aws_example_previews_on_azure(example):
    aws = load(example)
    env = resolve(parse_spec(_on_azure(example, subscription_id=SUBSCRIPTION, resource_group=f"{aws.spec.name}-prod")))
    data = preview.build(env)
    assert [p["name"] for p in data["node_pools"]] == [p.name for p in aws.pools]
    for a, z in zip(aws.pools, env.pools):
        if a.gpu and a.gpu not in ("L4", "A10G"):
            assert (z.gpu, z.gpus_per_node) == (a.gpu, a.gpus_per_node)
    assert data["cost"]["hourly_usd_min"] > 0
    assert {"cluster_name", "cluster_endpoint", "kubeconfig", "node_pools", "buckets", "registry", "workload_service_account"} <= set(data["outputs"])
    types = Counter(r["type"] for r in data["resources"])
    assert types[T_AKS] == 1 and types[T_PROVIDER] == 1
    for r in data["resources"]:
        rid_fields = [v for k, v in r["inputs"].items() if k in ("scope", "vnetSubnetID") and isinstance(v, str)]
        for v in rid_fields:
            assert v.startswith(f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{aws.spec.name}-prod/"), (r["name"], v)


def test_zone_less_region_has_no_zones_anywhere():
    env, result = _offline(
        "name: west\ncloud: azure\nregion: westus\nnode_pools: [{name: train, gpu: 'H100:8', nodes: 2}, {name: work, cpus: 8}]\nstorage: {buckets: [data]}\n"
    )
    assert env.zones == []
    assert "availabilityZones" not in result.one(T_AKS).inputs["agentPoolProfiles"][0]
    for p in result.of_type(T_POOL):
        assert "availabilityZones" not in p.inputs, p.name
    assert result.one(T_ACCOUNT).inputs["sku"] == {"name": "Standard_LRS"}


def test_disposable_environment_unprotected_without_kms_and_with_gpu_operator():
    _, result = _offline(
        """
name: scratch
cloud: azure
region: eastus
azure: {gpu_driver: none, etcd_kms: false}
cluster: {deletion_protection: false}
node_pools: [{name: gpu, gpu: 'T4:1', nodes: {min: 0, max: 2}}]
storage: {buckets: [tmp], delete_with_environment: true}
"""
    )
    assert not result.one(T_AKS).options["protect"]
    assert not result.one(T_RG).options["protect"] and not result.one(T_RG).options["retain_on_delete"]
    assert result.of_type("azure-native:keyvault:Key") == []
    pool = result.one(T_POOL)
    assert pool.inputs["gpuProfile"] == {"driver": "None"} and pool.inputs["vmSize"] == "Standard_NC4as_T4_v3"
    assert result.of_type(T_PROVIDER) == []
