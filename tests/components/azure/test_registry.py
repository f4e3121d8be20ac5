"""ContainerRegistry (components/azure/registry.py) under the offline engine."""

from __future__ import annotations

import re

import pytest
from azurehelpers import RG, SUBSCRIPTION, T_ACR, T_ROLE, assignments, mock_outputs, mocks, role_id, run

from aiinfra.components.azure import ContainerRegistry, RegistryArgs
from aiinfra.components.azure.identity import ROLES
from aiinfra.components.azure.registry import registry_name

KUBELET = "12121212-3434-4565-8787-909090909090"


def _run(repositories=("train", "serve"), **kw):
    base = dict(resource_group_name=RG, location="eastus", env="demo", subscription_id=SUBSCRIPTION, repositories=list(repositories))
    base.update(kw)
    m = mocks()

    def program():
        r = ContainerRegistry("demo", RegistryArgs(**base))
        return {"urls": r.repository_urls, "login": r.login_server, "id": r.registry_id}

    return run(program, m), m


@pytest.fixture(scope="module")
def acr():
    return _run(pullers={"kubelet": KUBELET}, tags={"team": "ml"})


def test_admin_user_and_anonymous_pull_disabled(acr):
    i = acr[0].one(T_ACR).inputs
    assert i["adminUserEnabled"] is False and i["anonymousPullEnabled"] is False
    assert i["tags"]["team"] == "ml" and i["location"] == "eastus"


def test_registry_name_is_global_safe(acr):
    name = acr[0].one(T_ACR).inputs["registryName"]
    assert re.fullmatch(r"[a-z0-9]{5,50}", name) and name == registry_name("demo", SUBSCRIPTION)
    assert acr[0].outputs["login"] == f"{name}.azurecr.io"


def test_repository_urls(acr):
    login = acr[0].outputs["login"]
    assert acr[0].outputs["urls"] == {"train": f"{login}/demo/train", "serve": f"{login}/demo/serve"}


def test_pullers_get_acr_pull_on_this_registry_only(acr):
    result, _ = acr
    assert assignments(result) == [(ROLES["AcrPull"], result.outputs["id"], KUBELET)]
    (role,) = result.of_type(T_ROLE)
    assert role.inputs["roleDefinitionId"] == role_id(ROLES["AcrPull"])
    assert role.inputs["principalType"] == "ServicePrincipal"


def test_no_pullers_no_roles():
    assert _run()[0].of_type(T_ROLE) == []


def test_needs_a_repository():
    with pytest.raises(ValueError, match="at least one repository"):
        _run([])


def test_registry_id_is_an_arm_id(acr):
    result, m = acr
    rid, _ = mock_outputs(m, T_ACR, "demo-acr", result.one(T_ACR).inputs)
    assert result.outputs["id"] == rid and rid.startswith(f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/")
