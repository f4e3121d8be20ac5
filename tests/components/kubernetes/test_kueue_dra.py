"""Kueue's quota for DRA devices (issue 25): the manager Configuration maps the NVIDIA DRA driver's DeviceClasses to
logical resources (resources.deviceClassMappings, Kueue 0.19.2), and the ClusterQueue gives each flavor a quota in them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from k8shelpers import HELM_VALUES, cr_errors

from aiinfra.components.kubernetes.addons import dra, scheduling
from aiinfra.components.kubernetes.addons.model import GPU_RESOURCE
from aiinfra.components.kubernetes.addons.plan import plan as addon_plan
from aiinfra.components.kubernetes.charts import chart
from aiinfra.manifests import claims
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[3]
SPECS = ROOT / "tests" / "fixtures" / "specs"
CHANNEL = "compute-domain.nvidia.com/channel"

# Kueue's validateDeviceClassMappings (pkg/config/validation.go at v0.19.2): names and DeviceClass names are label
# keys (apimachinery IsQualifiedName: optional DNS-1123 subdomain prefix, then a name of at most 63 characters),
# at most 16 mappings, each DeviceClass mapped once.
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$")
_PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def is_label_key(key: str) -> bool:
    prefix, _, name = key.rpartition("/")
    return bool(_NAME.match(name)) and len(name) <= 63 and (not prefix or (len(prefix) <= 253 and bool(_PREFIX.match(prefix))))


def manager_config(plan) -> dict | None:
    (kueue,) = [r for r in plan.releases if r.key == "kueue"]
    text = kueue.values.get("managerConfig", {}).get("controllerManagerConfigYaml")
    return yaml.safe_load(text) if text is not None else None


def chart_default() -> dict:
    values = yaml.safe_load((HELM_VALUES / "kueue-0.19.2.values.yaml").read_text())
    return yaml.safe_load(values["managerConfig"]["controllerManagerConfigYaml"])


def test_the_configuration_copy_is_the_pinned_charts_default():
    data = scheduling.kueue_configuration()
    assert data["configuration"] == chart_default()
    assert data["source"]["tag"] == "v" + chart("kueue").version


def test_the_mapped_device_classes_are_the_dra_drivers_and_the_claims():
    rows = {r["device_class"]: r for r in scheduling.kueue_configuration()["device_classes"]}
    assert set(rows) == {dra.GPU_CLASS, dra.CHANNEL_CLASS} and claims.GPU_CLASS == dra.GPU_CLASS
    # DRA GPUs share nvidia.com/gpu with device-plugin requests (the class's extendedResourceName).
    assert rows[dra.GPU_CLASS]["resource"] == GPU_RESOURCE
    for r in rows.values():
        assert r["driver_resource"] in dra.driver_resources(load(SPECS / "aws.ok.gb200-partial.yaml"))
        assert is_label_key(r["resource"]) and is_label_key(r["device_class"])


@pytest.mark.parametrize(
    "fixture, mapped",
    [
        ("aws.ok.gb200-partial.yaml", {"nvidia.com/gpu": ["gpu.nvidia.com"], CHANNEL: ["compute-domain-default-channel.nvidia.com"]}),
        ("gcp.ok.gb200.yaml", {CHANNEL: ["compute-domain-default-channel.nvidia.com"]}),
        ("aws.ok.gb200.yaml", {CHANNEL: ["compute-domain-default-channel.nvidia.com"]}),
        ("azure.ok.gb200.yaml", {CHANNEL: ["compute-domain-default-channel.nvidia.com"]}),
    ],
)
def test_the_manager_config_is_the_chart_default_plus_the_mappings(fixture, mapped):
    config = manager_config(addon_plan(load(SPECS / fixture)))
    assert config is not None
    mappings = config.pop("resources")["deviceClassMappings"]
    assert config == chart_default()
    assert {m["name"]: m["deviceClassNames"] for m in mappings} == mapped
    classes = [c for m in mappings for c in m["deviceClassNames"]]
    assert len(mappings) <= 16 and len(classes) == len(set(classes))


def test_no_dra_pool_keeps_the_charts_own_configuration():
    assert manager_config(addon_plan(load(ROOT / "stacks" / "aws-llm.yaml"))) is None


def quotas(plan) -> tuple[list[str], dict[str, dict]]:
    cq = next(o.body for o in plan.objects if o.key == "cluster-queue")
    assert cr_errors(cq) == []
    (group,) = cq["spec"]["resourceGroups"]
    return group["coveredResources"], {f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]} for f in group["flavors"]}


def test_the_cluster_queue_bounds_dra_gpus_and_imex_channels():
    env = load(SPECS / "aws.ok.gb200-partial.yaml")
    plan = addon_plan(env)
    covered, quota = quotas(plan)
    # Every logical resource Kueue maps is one the queue covers, so a claiming workload is bounded, not refused.
    assert {m["name"] for m in scheduling.device_class_mappings(env)} <= set(covered)
    assert quota["h100"]["nvidia.com/gpu"] == 8 * 2 and quota["h100"][CHANNEL] == 0  # the dra: true pool
    assert quota["rack"][CHANNEL] == 2 and quota["rack"]["nvidia.com/gpu"] == 4 * 2  # one IMEX channel a node
    for flavor in quota.values():
        assert list(flavor) == covered  # Kueue requires each flavor to list the group's resources in order


def test_a_full_rack_gets_one_channel_a_node():
    covered, quota = quotas(addon_plan(load(SPECS / "gcp.ok.gb200.yaml")))
    assert covered[-1] == CHANNEL and quota["rack"][CHANNEL] == 18


def test_queues_without_a_dra_pool_are_unchanged():
    covered, _ = quotas(addon_plan(load(ROOT / "stacks" / "aws-llm.yaml")))
    assert covered == ["cpu", "memory", "nvidia.com/gpu"]


def test_the_label_key_check_rejects_what_kueue_rejects():
    assert not is_label_key("gpu nvidia") and not is_label_key("a/b/c") and not is_label_key("-x.io/gpu") and not is_label_key("x.io/" + "g" * 64)
