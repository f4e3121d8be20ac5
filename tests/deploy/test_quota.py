"""Quota shortfalls before `up`: each cloud's pools against its quotas, the arithmetic and the message, with
fake limits (no cloud is asked)."""

from __future__ import annotations

import pytest

from aiinfra.deploy.quota import Limit, QuotaUnavailable, check, needs
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

SPECS = {
    "aws": "name: q-env\ncloud: aws\nregion: us-east-1\nnode_pools:\n"
           "  - {name: train, gpu: 'H100:8', nodes: 2}\n  - {name: more, gpu: 'H100:8', nodes: {min: 0, max: 1}}\n  - {name: serve, gpu: 'L4:1', nodes: 3, capacity: spot}\n"
           "  - {name: held, gpu: 'H100:8', nodes: 4, capacity: reserved, zone: us-east-1a, reservation: cr-0123456789abcdef0}\n",
    "gcp": "name: q-env\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\nnode_pools:\n"
           "  - {name: train, gpu: 'H100:8', nodes: 2}\n  - {name: flex, gpu: 'L4:1', nodes: {min: 0, max: 4}, capacity: flex-start}\n",
    "azure": "name: q-env\ncloud: azure\nregion: eastus\nazure: {subscription_id: 0f0e0d0c-0b0a-4909-8807-060504030201}\nnode_pools:\n"
             "  - {name: train, gpu: 'H100:8', nodes: 2}\n  - {name: serve, gpu: 'T4:1', nodes: 2, capacity: spot}\n",
}


def env(cloud: str):
    return resolve(parse_spec(SPECS[cloud]))


def test_what_each_cloud_counts():
    aws = {(n.pool, n.quota, n.amount) for n in needs(env("aws"))}
    assert ("train", "L-417A185B", 384.0) in aws and ("more", "L-417A185B", 192.0) in aws
    assert ("serve", "L-3819A6DF", 12.0) in aws  # g6.xlarge spot: 4 vCPUs x 3
    assert not any(n[0] == "held" for n in aws)  # a reservation's capacity is granted already
    gcp = {(n.pool, n.quota, n.amount) for n in needs(env("gcp"))}
    assert ("train", "NVIDIA_H100_MEGA_GPUS", 16.0) in gcp and ("flex", "PREEMPTIBLE_NVIDIA_L4_GPUS", 4.0) in gcp
    azure = {(n.pool, n.quota, n.amount) for n in needs(env("azure"))}
    assert ("train", "standardNDSH100v5Family", 192.0) in azure and ("serve", "lowPriorityCores", 8.0) in azure


def test_a_shortfall_names_the_quota_the_pools_and_the_request_to_raise():
    e = env("aws")
    short, note = check(e, lambda env, codes: {"L-417A185B": Limit(192), "L-3819A6DF": Limit(100), "L-1216C47A": Limit(1000)})
    assert note is None
    assert short == [
        "AWS quota 'Running On-Demand P instances' (L-417A185B) in us-east-1: pool(s) train, more need 576 vCPUs at their maximum size; "
        "the limit is 192. Request 576: aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-417A185B "
        "--desired-value 576 --region us-east-1"
    ]


def test_usage_counts_against_the_limit():
    short, _ = check(env("gcp"), lambda env, codes: {"NVIDIA_H100_MEGA_GPUS": Limit(24, 16), "PREEMPTIBLE_NVIDIA_L4_GPUS": Limit(16, 0)})
    assert len(short) == 1 and "need 16 GPUs at their maximum size; the limit is 24, 16 in use. Request 32:" in short[0]
    assert check(env("gcp"), lambda env, codes: {"NVIDIA_H100_MEGA_GPUS": Limit(32, 16)})[0] == []


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_without_sdk_or_credentials_the_check_is_skipped_with_a_note(cloud, monkeypatch):
    for var in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "GOOGLE_APPLICATION_CREDENTIALS", "AZURE_CLIENT_ID"):
        monkeypatch.delenv(var, raising=False)

    def unavailable(env, codes):
        raise QuotaUnavailable("no credentials")

    assert check(env(cloud), unavailable) == ([], "quota check skipped: no credentials")
