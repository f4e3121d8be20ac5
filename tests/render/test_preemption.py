"""Rendered training pods give the SIGTERM checkpoint time to finish: the kubelet's grace period outlasts
torchrun's shutdown timeout, which outlasts the checkpoint budget of the model; cloud capacity taints are tolerated."""

from __future__ import annotations

from renderhelpers import pods

from aiinfra.manifests.context import CHECKPOINT_BUDGET_S, preemption_budget


def test_budget_per_model():
    assert preemption_budget("tiny") == (30, 60)
    assert preemption_budget("gpt2-124m") == (60, 90)
    assert all(preemption_budget(m)[1] > b for m, b in CHECKPOINT_BUDGET_S.items())


def test_every_training_pod_gets_the_grace_period_and_the_shutdown_timeout(rendered):
    seen = 0
    for name, manifests in rendered.items():
        for pod_name, pod in pods(manifests).items():
            spec = pod["spec"]
            if "terminationGracePeriodSeconds" not in spec:
                continue
            seen += 1
            (main,) = [c for c in spec["containers"] if c["name"] == "node"]
            env = {e["name"]: e.get("value") for e in main.get("env", [])}
            assert int(env["TORCH_ELASTIC_SHUTDOWN_TIMEOUT"]) < spec["terminationGracePeriodSeconds"], (name, pod_name)
    assert seen >= 4
