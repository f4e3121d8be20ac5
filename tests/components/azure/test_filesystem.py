"""Azure Managed Lustre's blob import: the HPC Cache Resource Provider principal holds Storage Account Contributor
and Storage Blob Data Contributor on the storage account before the file system is made (Learn amlfs-prerequisites)."""

from __future__ import annotations

import pytest

from aiinfra.problems import SpecError
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

PRINCIPAL = "11111111-2222-3333-4444-555555555555"
SPEC = f"""
name: data
cloud: azure
region: eastus
azure: {{subscription_id: 0b1f6471-1bf0-4dda-aec3-cb9272f09590, lustre_principal_id: {PRINCIPAL}}}
node_pools: [{{name: train, gpu: 'H100:8', nodes: {{min: 0, max: 2}}}}]
storage:
  buckets: [datasets]
  filesystems: [{{name: scratch, kind: lustre, size_tib: 36, import_from: datasets}}]
"""
T_ASSIGN = "azure-native:authorization:RoleAssignment"


def test_hsm_role_assignments_on_the_storage_account_before_the_file_system():
    result = run_offline(resolve(parse_spec(SPEC)))
    component = result.one("aiinfra:azure:FileSystems")
    assigns = {r.name: r for r in result.of_type(T_ASSIGN) if r.parent == component.urn}
    assert set(assigns) == {"data-lustre-account", "data-lustre-blob"}
    sub = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
    roles = {r.inputs["roleDefinitionId"] for r in assigns.values()}
    assert roles == {
        f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/17d1049b-9a84-46fb-8f53-869881c3d3ab",  # Storage Account Contributor
        f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe",  # Storage Blob Data Contributor
    }
    account = result.one("azure-native:storage:StorageAccount")
    for a in assigns.values():
        i = a.inputs
        assert (i["principalId"], i["principalType"]) == (PRINCIPAL, "ServicePrincipal")
        assert i["scope"].endswith(f"/providers/Microsoft.Storage/storageAccounts/{account.inputs['accountName']}")
    fs = result.one("azure-native:storagecache:AmlFilesystem")
    assert {u.rsplit("::", 1)[-1] for u in fs.options["depends_on"]} >= set(assigns)


def test_without_the_setting_offline_uses_the_placeholder_principal():
    text = SPEC.replace(f", lustre_principal_id: {PRINCIPAL}", "")
    result = run_offline(resolve(parse_spec(text)))
    assert {r.inputs["principalId"] for r in result.of_type(T_ASSIGN) if r.name.startswith("data-lustre-")} == {"00000000-0000-0000-0000-000000000000"}


def test_the_setting_must_be_an_object_id():
    with pytest.raises(SpecError) as err:
        parse_spec(SPEC.replace(PRINCIPAL, "HPC Cache Resource Provider"))
    assert "azure.lustre_principal_id" in str(err.value)


def test_no_import_no_assignments():
    result = run_offline(resolve(parse_spec(SPEC.replace(", import_from: datasets", ""))))
    assert not [r for r in result.of_type(T_ASSIGN) if r.name.startswith("data-lustre-")]


def test_shared_key_access_is_on_only_when_lustre_imports_from_the_account():
    account = "azure-native:storage:StorageAccount"
    (imported,) = run_offline(resolve(parse_spec(SPEC))).of_type(account)
    assert imported.inputs["allowSharedKeyAccess"] is True
    assert imported.inputs["tags"]["aiinfra.dev/shared-key"] == "lustre-hsm-import"
    (plain,) = run_offline(resolve(parse_spec(SPEC.replace(", import_from: datasets", "")))).of_type(account)
    assert plain.inputs["allowSharedKeyAccess"] is False and "aiinfra.dev/shared-key" not in plain.inputs["tags"]
