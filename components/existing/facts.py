"""The existing-cluster "cloud"'s facts: names, capabilities, patterns and settings, with no hooks (those are
profile.py's), so the spec's schema is built without loading the profile."""

from __future__ import annotations

from aiinfra.clouds import declare
from aiinfra.components.base.facts import Capability, CloudFacts

SECRET_PATTERN = r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-.a-z0-9]*[a-z0-9])?$"
NO_NODES = "aiinfra provisions no nodes on an existing cluster: node pools select the nodes it has"


@declare
class ExistingFacts(CloudFacts):
    name = "existing"
    display = "existing cluster"
    article = "an existing cluster's"
    kubernetes = "your Kubernetes"
    order = 90
    sdk_module = "pulumi_kubernetes"
    # A token no resource uses: every resource of an existing-cluster stack is a `kubernetes:` one, which
    # belongs to no cloud (deploy/state.py, policy/evaluate.py and the mocks attribute packages to clouds).
    pulumi_package = "existing"
    example_region = "my-cluster"
    bucket_scheme = "s3"
    settings = "aiinfra.components.existing.settings:ExistingSettings"
    pattern_words = {
        SECRET_PATTERN: "a Kubernetes Secret name, optionally namespace/name (lowercase letters, digits, '-' and '.')",
        r"^https?://[^\s/]+": "an http:// or https:// URL",
    }
    starter_settings = """\nexisting:\n  kubeconfig: ~/.kube/config   # the context is region:\n  snapshot: {name}.cluster.json   # aiinfra discover --context <context> -o {name}.cluster.json\n"""
    credential_fixes = ("kubectl config get-contexts   # the context names region: may take", "set existing.kubeconfig: to the kubeconfig's path (default ~/.kube/config)")
    verify_command = ("kubectl", "auth", "whoami")
    pool_zones = "region"
    terms = {
        "network": "the cluster's network (not managed)", "nat": "the cluster's egress (not managed)",
        "bucket": "S3-compatible bucket (existing, not managed)", "registry": "the registries the cluster pulls from (not managed)",
        "identity": "Kubernetes ServiceAccount",
    }
    dra_driver_root = {"existing": "/run/nvidia/driver", "existing-host-driver": "/"}
    gpu_operator_values = {
        "existing": {},
        # DGX OS, Oracle and Nebius GPU images carry the driver and container toolkit on the host.
        "existing-host-driver": {"driver": {"enabled": False}, "toolkit": {"enabled": False}},
    }
    nvidia_runtime_class = {"existing": True, "existing-host-driver": False}
    storage_class = None  # the cluster's default StorageClass is kept
    capabilities = {
        "fabrics": Capability(False, "the cluster's fabric is its own: aiinfra neither creates nor detects GPU fabrics on an existing cluster yet"),
        "spot": Capability(False, NO_NODES),
        "reservations": Capability(False, NO_NODES),
        "zoneless_regions": Capability(True, "nodes without a topology.kubernetes.io/zone label (most on-premises clusters) form a zone-less region"),
        "capacity_blocks": Capability(False, NO_NODES),
        "flex_start": Capability(False, NO_NODES),
        "queued_provisioning": Capability(False, NO_NODES),
    }
