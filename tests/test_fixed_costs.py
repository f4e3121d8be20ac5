"""`cost` counts fixed-price resources from the spec alone; these counts must match what the program creates."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from aiinfra import catalog
from aiinfra.report.fixed_costs import resource_counts
from aiinfra.report.preview import build, estimate
from aiinfra.resolve.resolver import load, resolve
from aiinfra.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [p for p in sorted((ROOT / "stacks").glob("*.yaml")) if not p.name.startswith("Pulumi")]


def variant(path: Path, **changes):
    """An example with some top-level sections changed: the spec switches the counts depend on."""
    data = yaml.safe_load(path.read_text())
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value}
    return resolve(parse_spec(yaml.safe_dump(data)))


def envs():
    yield from ((p.name, lambda p=p: load(p)) for p in EXAMPLES)
    yield "aws per-zone NAT", lambda: variant(ROOT / "stacks" / "aws-llm.yaml", network={"nat_gateways": "per-zone"})
    yield "azure without etcd KMS", lambda: variant(ROOT / "stacks" / "azure-llm.yaml", azure={"etcd_kms": False})


@pytest.mark.parametrize("make", [m for _, m in envs()], ids=[n for n, _ in envs()])
def test_counts_and_cost_match_the_program(make):
    env = make()
    data = build(env)
    priced = {f.resource_type for f in catalog.cloud_catalog(env.spec.cloud).fixed_costs.values()}
    created = Counter(r["type"] for r in data["resources"] if r["type"] in priced)
    assert {t: n for t, n in resource_counts(env).items() if n} == dict(created)
    assert set(resource_counts(env)) == priced, "every priced type of the cloud is counted"
    fast = estimate(env)
    assert fast["cost"] == data["cost"] and fast["node_pools"] == data["node_pools"]


def test_per_zone_nat_is_one_per_zone():
    env = variant(ROOT / "stacks" / "aws-llm.yaml", network={"nat_gateways": "per-zone"})
    assert resource_counts(env)["aws:ec2/natGateway:NatGateway"] == len(env.zones) > 1
