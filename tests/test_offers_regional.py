"""Offers once every region has its own figures (data/prices/): regions outside the US are ranked among priced
offers, not kept apart as "priced as <reference region>", and the aws-llm example moves to Azure westeurope."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.resolve.offers import offers
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[1] / "stacks"
ON_DEMAND = """name: od-llm
cloud: azure
region: westeurope
node_pools:
  - {name: batch, gpu: "T4:1", nodes: 1, capacity: on-demand}
  - {name: serve, gpu: [L4:1, A10:1], nodes: 1, capacity: on-demand}
"""
NON_US = {"azure": ["westeurope", "northeurope", "swedencentral", "uksouth", "japaneast", "australiaeast"], "aws": ["eu-west-1", "eu-central-1", "ap-northeast-1"]}


@pytest.fixture(scope="module")
def on_demand(tmp_path_factory):
    path = tmp_path_factory.mktemp("od") / "od.yaml"
    path.write_text(ON_DEMAND)
    return offers(load(path), source=str(path))


@pytest.mark.parametrize("cloud", sorted(NON_US))
def test_non_us_regions_are_ranked_with_their_own_prices(on_demand, cloud):
    ranked = {o["region"]: o for o in on_demand["offers"] if o["cloud"] == cloud}
    borrowed = {o["region"] for o in on_demand["borrowed"] if o["cloud"] == cloud}
    for region in NON_US[cloud]:
        if region in ranked:
            assert not ranked[region]["priced_elsewhere"], (cloud, region)
        assert region not in borrowed, (cloud, region)
    assert set(NON_US[cloud]) & set(ranked), cloud


def test_the_westeurope_offer_is_priced_at_westeurope_figures(on_demand):
    (we,) = [o for o in on_demand["offers"] if (o["cloud"], o["region"]) == ("azure", "westeurope")]
    serve = next(p for p in we["pools"] if p["name"] == "serve")
    assert serve["instance_type"] == "Standard_NV36ads_A10_v5" and serve["hourly_usd_per_node"] == 4.16  # eastus is 3.20
    assert serve["regional_price"]


def test_aws_llm_moved_to_azure_westeurope_resolves(tmp_path):
    text = (STACKS / "aws-llm.yaml").read_text().replace("cloud: aws", "cloud: azure").replace("region: us-east-1", "region: westeurope")
    path = tmp_path / "azure-llm.yaml"
    path.write_text(text)
    r = CliRunner().invoke(app, ["validate", str(path)])
    assert r.exit_code == 0, r.output
    pools = {p.name: p for p in load(path).pools}
    assert pools["train"].instance_type == "Standard_ND96isr_H100_v5"
    assert pools["serve"].instance_type == "Standard_NV36ads_A10_v5"
    r = CliRunner().invoke(app, ["cost", "--json", str(path)])
    assert r.exit_code == 0, r.output
    train = next(p for p in json.loads(r.output)["node_pools"] if p["name"] == "train")
    assert train["hourly_usd_per_node"] == 127.816
