"""Rendered manifests for every fabric, shared by the render tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from renderhelpers import SCENARIOS, render_scenario  # noqa: E402


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict]]:
    """Every scenario with the default training operator and plain Deployment serving (what the spec
    gets with mlops.serving other than kserve), plus the JobSet and KServe alternatives."""
    out = {name: render_scenario(name, serving="deployment") for name in SCENARIOS}
    out["efa-jobset-kserve"] = render_scenario("efa", training="jobset", serving="kserve")
    out["gke-jobset"] = render_scenario("gke", training="jobset")
    out["neuron-jobset-kserve"] = render_scenario("neuron", training="jobset", serving="kserve")
    out["mi300x-kserve"] = render_scenario("mi300x", serving="kserve")
    out["zero-aws-kserve"] = render_scenario("zero-aws", serving="kserve")
    out["nodes-aws-kserve"] = render_scenario("nodes-aws", serving="kserve")
    out["route-gcp-kserve"] = render_scenario("route-gcp", serving="kserve")
    return out


