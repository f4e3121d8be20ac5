"""One offline preview per cloud (the reference-workload fixtures: fabric pools, spot pools, buckets, registry and
the rendered workload in a ConfigGroup), shared by the rule tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # policyhelpers

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
from policyhelpers import BASE  # noqa: E402


@pytest.fixture(scope="session")
def previews() -> dict[str, dict]:
    from aiinfra.report.preview import build
    from aiinfra.resolve.resolver import load, resolve

    def base(cloud: str, name: str):
        env = load(SPECS / name)
        if cloud == "aws":
            # Node groups for every pool, as the rule tables below expect; Karpenter NodePools: test_karpenter_pools.py.
            env = resolve(env.spec.model_copy(update={"cluster": env.spec.cluster.model_copy(update={"autoscaling": "cluster-autoscaler"})}))
        return env

    return {cloud: build(base(cloud, name), check_policy=False) for cloud, name in BASE.items()}
