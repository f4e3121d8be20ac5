"""Kubeconfigs that carry no credentials: each cloud's standard exec plugin fetches a short-lived token.
Every cloud's Cluster component builds its kubeconfig here and keeps it a Pulumi secret."""

from __future__ import annotations

from typing import Any

import pulumi

# The AKS AAD server application every managed-AAD cluster accepts tokens for (kubelogin docs).
AKS_SERVER_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"


def exec_kubeconfig(name: pulumi.Input[str], server: pulumi.Input[str], ca_data: pulumi.Input[str], exec_: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [{"name": name, "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", **exec_}}}],
    }


def eks_kubeconfig(name: pulumi.Input[str], endpoint: pulumi.Input[str], ca_data: pulumi.Input[str], region: pulumi.Input[str]) -> dict[str, Any]:
    """`aws eks get-token` with the caller's AWS credentials; the region is pinned so the kubeconfig works
    whatever AWS_REGION the user's shell has."""
    return exec_kubeconfig(
        name,
        endpoint,
        ca_data,
        {"command": "aws", "args": ["eks", "get-token", "--cluster-name", name, "--region", region], "installHint": "install the AWS CLI v2"},
    )


def gke_kubeconfig(name: pulumi.Input[str], endpoint: pulumi.Input[str], ca_data: pulumi.Input[str]) -> dict[str, Any]:
    """GKE's endpoint output is a bare IP; `gke-gcloud-auth-plugin` uses the caller's gcloud credentials."""
    server = pulumi.Output.from_input(endpoint).apply(lambda e: e if e.startswith("https://") else f"https://{e}")
    return exec_kubeconfig(
        name,
        server,
        ca_data,
        {"command": "gke-gcloud-auth-plugin", "installHint": "gcloud components install gke-gcloud-auth-plugin", "provideClusterInfo": True},
    )


def aks_kubeconfig(name: pulumi.Input[str], server: pulumi.Input[str], ca_data: pulumi.Input[str]) -> dict[str, Any]:
    """AKS with Entra ID: kubelogin exchanges the Azure CLI login for a token (no local admin credentials)."""
    return exec_kubeconfig(
        name,
        server,
        ca_data,
        {
            "command": "kubelogin",
            "args": ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_ID],
            "installHint": "az aks install-cli",
        },
    )
