"""One offline preview per cloud (the reference-workload fixtures: fabric pools, spot pools, buckets, registry and
the rendered workload in a ConfigGroup), shared by the rule tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # policyhelpers

SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "specs"
BASE = {"aws": "aws.ok.workload-efa.yaml", "gcp": "gcp.ok.workload-gke-fabrics.yaml", "azure": "azure.ok.workload-infiniband.yaml"}


@pytest.fixture(scope="session")
def previews() -> dict[str, dict]:
    from aiinfra.preview import build
    from aiinfra.resolve import load

    return {cloud: build(load(SPECS / name), check_policy=False) for cloud, name in BASE.items()}
