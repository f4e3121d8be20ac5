"""The pool rules read Karpenter NodePools as they read node groups: taint, spot scale-to-zero, one zone for EFA."""

from __future__ import annotations

import copy

from aiinfra import policy
from aiinfra.components.base import policy as pools
from aiinfra.policy.model import Resource
from aiinfra.report.preview import build
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

T_NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
SPEC = """
name: kp-policy
cloud: aws
region: us-east-1
node_pools:
  - {name: train, gpu: "H100:8", nodes: {min: 0, max: 4}}
  - {name: serve, gpu: "L4:1", nodes: {min: 1, max: 3}, capacity: spot}
"""


def nodepools() -> dict[str, dict]:
    data = build(resolve(parse_spec(SPEC)), check_policy=False)
    return {r["name"].split("-")[-2]: r for r in data["resources"] if r["type"] == T_NODEPOOL}


def verdict(rule_id: str, r: dict) -> list[str]:
    rule = next(x for x in policy.rules() if x.id == rule_id)
    res = Resource(r["type"], r["name"], r["inputs"])
    if rule.scope == "stack":  # AI-K8S-002 asks the whole stack whether a provisioner acts on the pool
        return [f.message for f in rule.on_stack([res])]
    return rule.on_resource(res)


def test_nodepools_are_pools_to_the_rules():
    found = nodepools()
    train, serve = pools.view(Resource(T_NODEPOOL, "t", found["train"]["inputs"])), pools.view(Resource(T_NODEPOOL, "s", found["serve"]["inputs"]))
    assert (train.name, train.gpu, train.spot, train.nodes_min, train.nodes_max, train.fabric, train.placement_domains) == ("train", True, False, 0, 4, "efa", 1)
    assert train.taints == ("nvidia.com/gpu=true:NoSchedule",)
    assert (serve.spot, serve.nodes_min) == (True, 0)  # Karpenter keeps no idle node: spot scales to zero


def test_the_rules_pass_on_nodepools_and_catch_a_broken_one():
    found = nodepools()
    for rule_id in ("AI-K8S-001", "AI-K8S-002", "AI-K8S-003"):
        assert verdict(rule_id, found["train"]) == [] and verdict(rule_id, found["serve"]) == [], rule_id
    untainted = copy.deepcopy(found["train"])
    del untainted["inputs"]["spec"]["template"]["spec"]["taints"]
    assert verdict("AI-K8S-001", untainted)
    spread = copy.deepcopy(found["train"])
    zone = next(q for q in spread["inputs"]["spec"]["template"]["spec"]["requirements"] if q["key"] == "topology.kubernetes.io/zone")
    zone["values"] = ["us-east-1a", "us-east-1b"]
    assert verdict("AI-K8S-003", spread)
