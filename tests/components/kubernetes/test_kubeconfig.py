"""Kubeconfigs carry each cloud's exec plugin and no credentials."""

from __future__ import annotations

import json

import pulumi

from aiinfra.components.aws.profile import eks_kubeconfig
from aiinfra.components.azure.profile import AKS_SERVER_ID, aks_kubeconfig
from aiinfra.components.base.util import to_json
from aiinfra.components.gcp.profile import gke_kubeconfig
from aiinfra.program import engine


def _render(make_doc):
    out = {}

    def program():
        return {"doc": to_json(make_doc())}

    result = engine.run(program, engine.CloudMocks("gcp", "us-central1", ["us-central1-a"], lambda t: []), stack="test")
    out.update(json.loads(result.outputs["doc"]))
    return out


def test_gke_kubeconfig_uses_the_auth_plugin_and_https():
    kc = _render(lambda: gke_kubeconfig("gke-train", pulumi.Output.from_input("34.1.2.3"), "Q0E="))
    assert kc["clusters"][0]["cluster"]["server"] == "https://34.1.2.3"
    user = kc["users"][0]["user"]
    assert user["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert "token" not in user and "client-key-data" not in user


def test_aks_kubeconfig_uses_kubelogin_with_the_azure_cli():
    kc = _render(lambda: aks_kubeconfig("aks-train", "https://aks-train.hcp.eastus.azmk8s.io:443", "Q0E="))
    ex = kc["users"][0]["user"]["exec"]
    assert ex["command"] == "kubelogin"
    assert ex["args"] == ["get-token", "--login", "azurecli", "--server-id", AKS_SERVER_ID]
    assert kc["current-context"] == "aks-train"


def test_eks_kubeconfig_pins_cluster_and_region_for_get_token():
    def doc():
        name = pulumi.Output.from_input("eks-train")
        return eks_kubeconfig(name, "https://ABC.gr7.eu-west-1.eks.amazonaws.com", "Q0E=", pulumi.Output.from_input("eu-west-1"))

    kc = _render(doc)
    ex = kc["users"][0]["user"]["exec"]
    assert ex["command"] == "aws"
    assert ex["args"] == ["eks", "get-token", "--cluster-name", "eks-train", "--region", "eu-west-1"]
    assert kc["clusters"][0] == {"name": "eks-train", "cluster": {"server": "https://ABC.gr7.eu-west-1.eks.amazonaws.com", "certificate-authority-data": "Q0E="}}
    assert kc["current-context"] == "eks-train" and set(kc["users"][0]["user"]) == {"exec"}
