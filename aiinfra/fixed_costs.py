"""How many of each priced fixed resource (control plane, NAT gateway, KMS key, ...) an environment
creates, from the resolved spec alone, so that `cost` needs no run of the Pulumi program.

These counts restate what aiinfra.components.<cloud> creates; tests/test_fixed_costs.py checks them
against the resources the real program registers, for every example and fixture.
"""

from __future__ import annotations

from typing import Callable

from aiinfra.resolved import ResolvedEnvironment


def _aws(env: ResolvedEnvironment) -> dict[str, int]:
    nats = len(env.zones) if env.spec.network.nat_gateways == "per-zone" else min(1, len(env.zones))
    return {
        "aws:eks/cluster:Cluster": 1,
        "aws:ec2/natGateway:NatGateway": nats,
        "aws:kms/key:Key": 2,  # EKS secrets envelope key + the buckets' data key (the storage component always exists)
    }


def _gcp(env: ResolvedEnvironment) -> dict[str, int]:
    return {
        "gcp:container/cluster:Cluster": 1,
        "gcp:compute/routerNat:RouterNat": 1,
        "gcp:kms/cryptoKey:CryptoKey": 2,  # GKE secrets key + the buckets' CMEK
    }


def _azure(env: ResolvedEnvironment) -> dict[str, int]:
    return {
        "azure-native:containerservice:ManagedCluster": 1,
        "azure-native:network:NatGateway": 1,
        "azure-native:network:PublicIPAddress": 1,  # the NAT gateway's address
        "azure-native:keyvault:Key": 1 if env.spec.azure.etcd_kms else 0,
    }


COUNTS: dict[str, Callable[[ResolvedEnvironment], dict[str, int]]] = {"aws": _aws, "gcp": _gcp, "azure": _azure}


def resource_counts(env: ResolvedEnvironment) -> dict[str, int]:
    """Resource type token -> how many the program creates, for the types that carry a fixed price."""
    return COUNTS[env.spec.cloud](env)
