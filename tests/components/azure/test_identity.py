"""WorkloadIdentity and role assignments (components/azure/identity.py) under the offline engine."""

from __future__ import annotations

import uuid

import pytest
from azurehelpers import RG, SUBSCRIPTION, T_FIC, T_ROLE, T_UAI, assignments, mock_outputs, mocks, run

from aiinfra.components.azure import WorkloadIdentity, WorkloadIdentityArgs
from aiinfra.components.azure.identity import ROLES, TOKEN_AUDIENCE, assignment_name

ISSUER = "https://eastus.oic.prod-aks.azure.com/tenant/cluster/"
ACCOUNT = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/demo0000"
CONTAINERS = [f"{ACCOUNT}/blobServices/default/containers/{c}" for c in ("datasets", "checkpoints")]
REGISTRY = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/demoacr"


def _run(**kw):
    base = dict(
        resource_group_name=RG, location="eastus", subscription_id=SUBSCRIPTION, oidc_issuer_url=ISSUER, namespace="ml",
        service_account="workload", container_ids=list(CONTAINERS), registry_id=REGISTRY,
    )
    base.update(kw)
    m = mocks()

    def program():
        w = WorkloadIdentity("demo", WorkloadIdentityArgs(**base))
        return {"client_id": w.client_id, "principal_id": w.principal_id}

    return run(program, m), m


@pytest.fixture(scope="module")
def wi():
    return _run()


def test_federated_credential_trusts_exactly_the_service_account(wi):
    result, m = wi
    uai = result.one(T_UAI)
    _, uai_out = mock_outputs(m, T_UAI, uai.name, uai.inputs)
    fic = result.one(T_FIC).inputs
    assert fic["issuer"] == ISSUER
    assert fic["subject"] == "system:serviceaccount:ml:workload"
    assert fic["audiences"] == [TOKEN_AUDIENCE] == ["api://AzureADTokenExchange"]
    assert fic["resourceName"] == uai_out["name"] and fic["resourceGroupName"] == RG
    assert result.outputs["client_id"] == uai_out["clientId"]


def test_roles_cover_exactly_the_containers_and_the_registry(wi):
    result, _ = wi
    principal = result.outputs["principal_id"]
    expected = [(ROLES["Storage Blob Data Contributor"], c, principal) for c in CONTAINERS] + [(ROLES["AcrPull"], REGISTRY, principal)]
    assert assignments(result) == sorted(expected)
    for r in result.of_type(T_ROLE):
        assert r.inputs["principalType"] == "ServicePrincipal"
        assert r.inputs["scope"] != ACCOUNT, "account-wide access is broader than the spec's buckets"


def test_assignment_names_are_deterministic_uuid5():
    a = assignment_name(CONTAINERS[0], "AcrPull", "p")
    assert a == assignment_name(CONTAINERS[0].upper(), "AcrPull", "p")
    assert uuid.UUID(a).version == 5
    assert a != assignment_name(CONTAINERS[1], "AcrPull", "p") != assignment_name(CONTAINERS[0], "AcrPull", "q")
    assert a != assignment_name(CONTAINERS[0], "Storage Blob Data Contributor", "p")


def test_without_buckets_or_registry_no_roles():
    result, _ = _run(container_ids=[], registry_id=None)
    assert result.of_type(T_ROLE) == []


def test_needs_namespace_and_service_account():
    with pytest.raises(ValueError, match="namespace and service_account"):
        _run(namespace="")
