"""Kubeconfigs that carry no credentials: each cloud's standard exec plugin fetches a short-lived token.
Every cloud's Cluster component builds its kubeconfig with its profile's `kubeconfig()` (components/<cloud>/profile.py),
which fills in the exec plugin, and keeps it a Pulumi secret."""

from __future__ import annotations

from typing import Any

import pulumi


def exec_kubeconfig(name: pulumi.Input[str], server: pulumi.Input[str], ca_data: pulumi.Input[str], exec_: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
        "users": [{"name": name, "user": {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", **exec_}}}],
    }
