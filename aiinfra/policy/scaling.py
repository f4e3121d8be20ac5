"""Who scales each pool: every pool that may change size (min < max, or a Karpenter NodePool) needs something in
the stack acting on it, else it stays at its minimum for ever (issue 22: EKS node groups tagged for a cluster
autoscaler nobody installed). Read from the resources alone, so the same verdict comes from CrossGuard.

Provisioners: the cloud's own autoscaler (GKE node pools, AKS agent pools), a cluster-autoscaler chart (EKS node
groups), Karpenter (its chart, or AKS node auto-provisioning) for NodePools, Kueue's ProvisioningRequest check for
GKE queued-provisioning pools; a ComputeClass that creates node pools needs the cluster's node auto-provisioning.
"""

from __future__ import annotations

from typing import Iterator

from aiinfra.components.base import policy as pools
from aiinfra.policy.model import PoolView, Resource, Rule, is_true

CHARTS = ("kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release")
MANAGED_CLUSTER = "azure-native:containerservice:ManagedCluster"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
ADMISSION_CHECK = "kubernetes:kueue.x-k8s.io/v1beta2:AdmissionCheck"
COMPUTE_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"
AKS_AGENT_POOL = "azure-native:containerservice:AgentPool"
PROVISIONING_CONTROLLER = "kueue.x-k8s.io/provisioning-request"
# What a PoolView.needs names, as the stack shows it is there.
WORDS = {
    "cluster-autoscaler": "no cluster-autoscaler is installed",
    "karpenter": "neither a Karpenter controller nor AKS node auto-provisioning is there",
    "provisioning-request": "no Kueue ProvisioningRequest admission check asks for its nodes",
    "nothing": "nothing scales it (cluster.autoscaling: none)",
}


def _chart(r: Resource) -> str:
    return str(r.get("chart") or "").rstrip("/").rsplit("/", 1)[-1]


def nap(resources: list[Resource]) -> bool:
    return any(r.type == MANAGED_CLUSTER and r.get("nodeProvisioningProfile.mode") == "Auto" for r in resources)


def acting(resources: list[Resource]) -> set[str]:
    """The provisioners the stack holds (values of PoolView.needs)."""
    found = {"built-in"}
    charts = {_chart(r) for r in resources if r.type in CHARTS}
    if "cluster-autoscaler" in charts:
        found.add("cluster-autoscaler")
    if "karpenter" in charts or nap(resources):
        found.add("karpenter")
    if any(r.type == ADMISSION_CHECK and r.get("spec.controllerName") == PROVISIONING_CONTROLLER for r in resources):
        found.add("provisioning-request")
    return found


def scaled(p: PoolView, present: set[str]) -> bool:
    """Something acts on the pool: it can grow from its minimum (and shrink back to it)."""
    return p.needs in present


def _views(resources: list[Resource]) -> Iterator[tuple[Resource, PoolView]]:
    for r in resources:
        p = pools.view(r)
        if p is not None:
            yield r, p


def _provisioned(resources: list[Resource]) -> Iterator[tuple[Resource, str]]:
    present = acting(resources)
    under_nap = nap(resources)
    for r, p in _views(resources):
        if under_nap and r.type == AKS_AGENT_POOL and is_true(r.get("enableAutoScaling")):
            yield r, f"pool {p.name} autoscales as an agent pool, which AKS refuses under node auto-provisioning: make it a NodePool or fixed-size"
        elif p.nodes_min < p.nodes_max and not scaled(p, present):
            yield r, f"pool {p.name} may grow from {p.nodes_min} to {p.nodes_max} nodes, but {WORDS.get(p.needs, p.needs + ' is missing')}: it stays at {p.nodes_min}"
    autoprovisioning = any(r.type == GKE_CLUSTER and is_true(r.get("clusterAutoscaling.enabled")) for r in resources)
    for r in resources:
        if r.type == COMPUTE_CLASS and is_true(r.get("spec.nodePoolAutoCreation.enabled")) and not autoprovisioning:
            yield r, f"ComputeClass {(r.get('metadata') or {}).get('name', r.name)} creates node pools, but the cluster has no node auto-provisioning (clusterAutoscaling.enabled)"


TYPES = (*pools.pool_types(), COMPUTE_CLASS)

RULES = [
    Rule("AI-K8S-011", "Every pool that may grow has a provisioner acting on it", "high", "mandatory", TYPES,
         "set cluster.autoscaling to a provisioner the cloud has (auto picks it), or give the pool a fixed size (nodes: N)",
         ("k8s-ai-2026.md §1-§3 (Karpenter, AKS NAP, GKE ComputeClass)", "issue 22"), check=_provisioned, scope="stack"),
]
