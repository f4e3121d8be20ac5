"""Training pods on a pool Karpenter provisions carry karpenter.sh/do-not-disrupt, so consolidation and drift leave
a running job's node alone; serving pods may move, and pools no Karpenter scales get nothing."""

from __future__ import annotations

from renderhelpers import SPECS, outputs_for, pods

from aiinfra.manifests.context import render, values_from_outputs
from aiinfra.resolve.resolver import load, resolve

KEY = "karpenter.sh/do-not-disrupt"


def rendered(autoscaling: str | None = None) -> dict[str, dict]:
    env = load(SPECS / "aws.ok.workload-efa.yaml")  # train {min: 0, max: 2} and serve {min: 1, max: 3}
    if autoscaling:
        env = resolve(env.spec.model_copy(update={"cluster": env.spec.cluster.model_copy(update={"autoscaling": autoscaling})}))
    values = values_from_outputs(env, outputs_for("efa", "aws"))
    return pods(render(env, values, serving="deployment"))


def annotations(pod: dict) -> dict[str, str]:
    return pod["metadata"].get("annotations") or {}


def test_training_and_fabric_test_pods_on_karpenter_pools_are_not_disrupted():
    found = rendered()
    training = {n: p for n, p in found.items() if "train" in n or "allreduce" in n}
    assert training and all(annotations(p).get(KEY) == "true" for p in training.values()), sorted(training)
    serving = {n: p for n, p in found.items() if "serve" in n}
    assert serving and all(KEY not in annotations(p) for p in serving.values())


def test_no_karpenter_no_annotation():
    for choice in ("cluster-autoscaler", "none"):
        assert all(KEY not in annotations(p) for p in rendered(choice).values()), choice
