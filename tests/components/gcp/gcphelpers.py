"""Shared helpers for the GCP component tests (imported by name; pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from aiinfra import catalog
from aiinfra.program import engine

PROJECT = "my-ml-project"
REGION = "us-central1"
ZONES = ["us-central1-a", "us-central1-b", "us-central1-c", "us-central1-f"]

T_NETWORK = "gcp:compute/network:Network"
T_SUBNET = "gcp:compute/subnetwork:Subnetwork"
T_FIREWALL = "gcp:compute/firewall:Firewall"
T_ROUTER = "gcp:compute/router:Router"
T_NAT = "gcp:compute/routerNat:RouterNat"
T_CLUSTER = "gcp:container/cluster:Cluster"
T_POOL = "gcp:container/nodePool:NodePool"
T_KEYRING = "gcp:kms/keyRing:KeyRing"
T_KEY = "gcp:kms/cryptoKey:CryptoKey"
T_KEY_IAM = "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember"
T_SA = "gcp:serviceaccount/account:Account"
T_SA_IAM = "gcp:serviceaccount/iAMMember:IAMMember"
T_PROJECT_IAM = "gcp:projects/iAMMember:IAMMember"
T_BUCKET = "gcp:storage/bucket:Bucket"
T_BUCKET_IAM = "gcp:storage/bucketIAMMember:BucketIAMMember"
T_REPO = "gcp:artifactregistry/repository:Repository"
T_REPO_IAM = "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember"

ENV_COMPONENT = "aiinfra:index:Environment"
DEFAULT_LABELS = {"aiinfra-dev_environment": "llm-train-gcp", "managed-by": "aiinfra", "team": "ml-platform"}


def gcp_catalog():
    return catalog.cloud_catalog("gcp")


def mocks(offered: Callable[[str], list[str]] | None = None, region: str = REGION, zones: list[str] | None = None, project: str = PROJECT) -> engine.CloudMocks:
    zs = list(zones or ZONES)
    return engine.CloudMocks("gcp", region, zs, offered_zones=offered or (lambda machine_type: list(zs)), settings={"project": project})


def run(program: Callable[[], Any], m: engine.CloudMocks | None = None) -> engine.RunResult:
    return engine.run(program, m or mocks(), stack="test")


def by_name(resources: Iterable[engine.CapturedResource]) -> dict[str, engine.CapturedResource]:
    out: dict[str, engine.CapturedResource] = {}
    for r in resources:
        assert r.name not in out, f"two resources named {r.name}"
        out[r.name] = r
    return out


def site(kind: str, zone: str | None = None):
    """The FabricSite an environment would build for a catalog fabric kind."""
    from aiinfra.components.gcp.network import FabricSite

    cat = gcp_catalog()
    interfaces = next(it.fabric.interfaces for it in cat.instance_types.values() if it.fabric and it.fabric.kind == kind)
    return FabricSite(kind, cat.fabric_networks[kind], interfaces, zone)
