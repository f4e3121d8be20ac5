"""Kubernetes versions that exist (issue 21 item 4): the sourced table, the day's default, the refusal of a
version a cloud does not offer, and extended support priced as such."""

import datetime as dt
from pathlib import Path

import pytest

from aiinfra.catalog import kubernetes as kv
from aiinfra.problems import SpecError
from aiinfra.report.preview import estimate
from aiinfra.resolve.resolver import load

SPECS = Path(__file__).parent / "fixtures" / "specs"
DAY = dt.date(2026, 12, 7)


def test_every_cloud_has_a_sourced_row_per_version():
    data = kv.table()
    assert set(data) == {"aws", "gcp", "azure"}
    for entry in data.values():
        assert entry.versions and entry.extended["hourly_usd"] > 0.1
        for v in entry.versions.values():
            assert v.source and v.standard_until < v.extended_until


@pytest.mark.parametrize("day", ["2026-11-26", "2026-12-07", "2027-02-01"])
def test_the_default_is_in_standard_support_everywhere_and_at_least_1_34(day):
    on = dt.date.fromisoformat(day)
    version = kv.default_version(on)
    assert tuple(map(int, version.split("."))) >= kv.MIN_DEFAULT
    assert all(kv.support(cloud, version, on)[0] == kv.STANDARD for cloud in ("aws", "gcp", "azure"))


def test_the_default_follows_AIINFRA_TODAY(monkeypatch):
    monkeypatch.setenv("AIINFRA_TODAY", "2026-12-07")
    assert kv.default_version() == "1.35"
    assert load(Path(__file__).parents[1] / "stacks" / "aws-llm.yaml").spec.cluster.kubernetes_version == "1.35"


@pytest.mark.parametrize(("fixture", "service", "asked"), [("aws.bad.k8s-version-gone.yaml", "EKS", "1.25"), ("gcp.bad.k8s-version-unknown.yaml", "GKE", "1.40")])
def test_a_version_the_cloud_does_not_offer_lists_those_it_does(fixture, service, asked):
    with pytest.raises(SpecError) as err:
        load(SPECS / fixture)
    [p] = err.value.problems
    assert p.path == "cluster.kubernetes_version" and f"{service} does not offer Kubernetes {asked}" in p.message
    assert p.hint.startswith(f"{service} offers: ") and "1.35 (standard until" in p.hint


def test_a_version_past_eks_standard_support_is_priced_as_extended(monkeypatch):
    monkeypatch.setenv("AIINFRA_TODAY", "2026-12-07")
    env = load(SPECS / "aws.ok.extended-support.yaml")
    [w] = [w for w in env.warnings if w.path == "cluster.kubernetes_version"]
    assert "left standard support on 2026-07-29" in w.message and "$0.60/h" in w.message
    [plane] = [i for i in estimate(env)["cost"]["items"] if i["item"].startswith("EKS control plane")]
    assert plane["hourly_usd_each"] == 0.6 and "extended support" in plane["item"]


def test_aks_long_term_support_is_the_premium_tier(monkeypatch):
    monkeypatch.setenv("AIINFRA_TODAY", "2026-12-07")
    env = load(SPECS / "azure.ok.long-term-support.yaml")
    [plane] = [i for i in estimate(env)["cost"]["items"] if i["item"].startswith("AKS")]
    assert plane["hourly_usd_each"] == 0.6 and "Premium" in plane["item"] and plane["note"] == "list price, unverified"


def test_a_version_in_standard_support_costs_the_standard_fee(monkeypatch):
    monkeypatch.setenv("AIINFRA_TODAY", "2026-12-07")
    env = load(Path(__file__).parents[1] / "stacks" / "aws-llm.yaml")
    [plane] = [i for i in estimate(env)["cost"]["items"] if i["item"].startswith("EKS control plane")]
    assert plane["hourly_usd_each"] == 0.1
    assert not [w for w in env.warnings if w.path == "cluster.kubernetes_version"]
