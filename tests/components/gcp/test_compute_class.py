"""GKE ComputeClasses under mocks: which pools get one, their priorities in the spec's order, node-pool
auto-creation within the cluster's resource limits, and the objects valid against the vendored ComputeClass schema."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
from k8shelpers import cr_errors, spec_env

from aiinfra.components.gcp.compute_class import LABEL, compute_class, resource_limits
from aiinfra.components.kubernetes.addons.model import pool_selector
from aiinfra.components.kubernetes.addons.scheduling import kueue_objects
from aiinfra.report.preview import build
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).resolve().parents[2] / "fixtures" / "specs"
T_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"
SA = "gke-classes-nodes@my-ml-project.iam.gserviceaccount.com"


@lru_cache(maxsize=1)
def preview() -> dict:
    return build(load(SPECS / "gcp.ok.compute-class.yaml"), check_policy=True)


def of_type(data: dict, token: str) -> dict[str, dict]:
    return {r["name"]: r["inputs"] for r in data["resources"] if r["type"] == token}


def a100(capacity_fields: dict, pool: str, capacity: str) -> dict:
    return {
        "machineType": "a2-ultragpu-1g",
        "gpu": {"type": "nvidia-a100-80gb", "count": 1, "driverVersion": "latest"},
        **capacity_fields,
        "nodeLabels": {"aiinfra.dev/pool": pool, "aiinfra.dev/capacity": capacity, "aiinfra.dev/gpu": "A100-80GB", "aiinfra.dev/gpu-count": "1"},
    }


def test_each_autoscaling_pool_with_alternatives_gets_a_class_trying_its_own_pool_first():
    classes = of_type(preview(), T_CLASS)
    assert sorted(classes) == ["gke-classes-class-serve", "gke-classes-class-tune"]  # `fixed` has nothing to scale
    serve = classes["gke-classes-class-serve"]["spec"]
    assert serve["priorities"] == [{"nodepools": ["serve"]}, a100({"spot": True, "reservations": {"affinity": "None"}}, "serve", "spot")]
    tune = classes["gke-classes-class-tune"]["spec"]
    assert tune["priorities"] == [{"nodepools": ["tune"]}, a100({"flexStart": {"enabled": True}, "reservations": {"affinity": "None"}}, "tune", "flex-start")]
    for spec in (serve, tune):
        assert spec["nodePoolAutoCreation"] == {"enabled": True} and spec["whenUnsatisfiable"] == "DoNotScaleUp"
        assert spec["nodePoolConfig"]["serviceAccount"] == SA and spec["nodePoolConfig"]["imageType"] == "cos_containerd"
    assert serve["nodePoolConfig"]["autoRepair"] is True and tune["nodePoolConfig"]["autoRepair"] is False  # GKE refuses it on flex-start


def test_the_pools_node_pool_joins_its_class_by_label_and_taint():
    pools = {n.removesuffix("-np"): r for n, r in of_type(preview(), "gcp:container/nodePool:NodePool").items()}
    serve = pools["gke-classes-serve"]["nodeConfig"]
    assert serve["labels"][LABEL] == "serve"
    assert {"key": LABEL, "value": "serve", "effect": "NO_SCHEDULE"} in serve["taints"]
    fixed = pools["gke-classes-fixed"]["nodeConfig"]
    assert LABEL not in fixed["labels"] and all(t["key"] != LABEL for t in fixed["taints"])


def test_node_auto_provisioning_is_limited_to_the_pools_at_their_maximum():
    (cluster,) = of_type(preview(), "gcp:container/cluster:Cluster").values()
    scaling = cluster["clusterAutoscaling"]
    assert scaling["enabled"] is True
    limits = {x["resourceType"]: (x["minimum"], x["maximum"]) for x in scaling["resourceLimits"]}
    # system 2 × e2-standard-4 (16 GiB); serve 3, tune 2 at their largest shape (a2-ultragpu-1g: 12 vCPU, 170 GiB);
    # fixed 1 × g2-standard-4 (16 GiB): 898 GiB = 964.2 GB.
    assert limits == {"cpu": (0, 2 * 4 + 5 * 12 + 4), "memory": (0, 965), "nvidia-a100-80gb": (0, 5), "nvidia-l4": (0, 6)}
    defaults = scaling["autoProvisioningDefaults"]
    assert defaults["serviceAccount"] == SA and defaults["shieldedInstanceConfig"] == {"enableSecureBoot": True, "enableIntegrityMonitoring": True}
    assert defaults["management"] == {"autoRepair": True, "autoUpgrade": True}


def test_memory_limits_are_gb_of_the_gib_the_catalog_lists():
    env = load(SPECS / "gcp.ok.compute-class.yaml")
    gib = sum(max(s.memory_gib for s in [p, *(p.fallbacks if p.compute_class else ())]) * p.nodes_max for p in env.pools)
    assert gib == 2 * 16 + 3 * 170 + 2 * 170 + 16
    assert dict(resource_limits(env.pools))["memory"] == 965 and 965 >= gib * 1.073741824 > 964


def test_rendered_classes_are_valid_against_the_computeclass_schema_and_its_rules():
    for body in (r for r in preview()["resources"] if r["type"] == T_CLASS):
        obj = {"apiVersion": "cloud.google.com/v1", "kind": "ComputeClass", **body["inputs"]}
        assert cr_errors(obj) == []
        for rule in obj["spec"]["priorities"]:  # the schema's CEL rules (x-kubernetes-validations), which jsonschema skips
            assert "nodepools" not in rule or len(rule) == 1
            assert not (rule.get("spot") and (rule.get("flexStart") or {}).get("enabled"))
            assert not ("machineType" in rule and "machineFamily" in rule)


def test_a_broken_class_fails_the_schema():
    env = load(SPECS / "gcp.ok.compute-class.yaml")
    body = compute_class(env.pools[1], "serve", SA)
    body["spec"]["priorities"][1]["gpu"]["driverVersion"] = "newest"
    body["spec"]["whenUnsatisfiable"] = "ScaleUpSometimes"
    errors = cr_errors(body)
    assert any("driverVersion" in e for e in errors) and any("whenUnsatisfiable" in e for e in errors)


def test_pods_and_kueue_flavors_select_the_class_and_tolerate_its_taint():
    env = load(SPECS / "gcp.ok.compute-class.yaml")
    serve = next(p for p in env.pools if p.name == "serve")
    assert pool_selector(env, serve) == {"aiinfra.dev/pool": "serve", LABEL: "serve"}
    toleration = {"key": LABEL, "operator": "Equal", "value": "serve", "effect": "NoSchedule"}
    assert toleration in serve.tolerations
    flavor = next(o.body for o in kueue_objects(env) if o.body["kind"] == "ResourceFlavor" and o.body["metadata"]["name"] == "serve")
    assert flavor["spec"]["nodeLabels"] == {"aiinfra.dev/pool": "serve", LABEL: "serve"} and toleration in flavor["spec"]["tolerations"]


def test_preview_says_the_class_scales_the_pool_and_prices_its_fallback():
    data = preview()
    rows = {p["name"]: p["scaled_by"] for p in data["node_pools"]}
    assert rows == {"system": None, "serve": "GKE autoscaler, ComputeClass serve (then a2-ultragpu-1g)",
                    "tune": "GKE autoscaler, ComputeClass tune (then a2-ultragpu-1g)", "fixed": None}
    fallback = [i for i in data["cost"]["items"] if i["item"].startswith("pool serve on its fallback")]
    assert [(i["quantity_min"], i["quantity_max"]) for i in fallback] == [(0, 3)] and fallback[0]["hourly_usd_each"] > 0
    assert data["policy"]["violations"] == [] or all(v["enforcement"] == "advisory" for v in data["policy"]["violations"])


@pytest.mark.parametrize("extra, pools", [
    ("cluster: {autoscaling: none}\n", "  - {name: serve, gpu: [L4:1, A100-80GB:1], nodes: {min: 0, max: 3}}"),  # nothing scales
    ("", "  - {name: serve, gpu: [L4:1, A100-80GB:1], nodes: 2}"),  # fixed size
    ("", "  - {name: serve, gpu: L4:1, nodes: {min: 0, max: 3}}"),  # no alternative
    ("", "  - {name: batch, gpu: [L4:1, A100-80GB:1], nodes: {min: 0, max: 3}, capacity: flex-start, queued: true}"),  # ProvisioningRequests
    ("", "  - {name: mega, gpu: [H100:8, A100-80GB:8], nodes: {min: 0, max: 2}}"),  # a fabric pool keeps its NICs and placement
])
def test_no_class_where_gke_has_nothing_to_fall_back_to(extra, pools):
    env = spec_env(f"name: gke-none\ncloud: gcp\nregion: us-central1\ngcp: {{project: my-ml-project}}\n{extra}node_pools:\n{pools}\n")
    assert [p.compute_class for p in env.worker_pools] == [None]
    assert resource_limits([p for p in env.pools if p.compute_class]) == [("cpu", 0), ("memory", 0)]
