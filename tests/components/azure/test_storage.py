"""ObjectStorage (components/azure/storage.py) under the offline engine."""

from __future__ import annotations

import re

import pytest
from azurehelpers import RG, SUBNET_ID, SUBSCRIPTION, T_ACCOUNT, T_BLOB_SERVICE, T_CONTAINER, by_name, mocks, run

from aiinfra.components.azure import ObjectStorage, StorageArgs
from aiinfra.components.azure.storage import account_name

BUCKETS = ["datasets", "checkpoints"]


def _run(buckets=BUCKETS, **kw):
    base = dict(resource_group_name=RG, location="eastus", env="demo", subscription_id=SUBSCRIPTION, buckets=list(buckets), node_subnet_id=SUBNET_ID)
    base.update(kw)
    m = mocks()

    def program():
        s = ObjectStorage("demo", StorageArgs(**base))
        return {"account": s.account_name, "containers": s.container_names, "endpoint": s.blob_endpoint, "ids": s.container_ids}

    return run(program, m), m


@pytest.fixture(scope="module")
def kept():
    return _run()


@pytest.fixture(scope="module")
def disposable():
    return _run(delete_with_environment=True, zone_redundant=False, tags={"team": "ml"})


def test_account_is_hardened(kept):
    i = kept[0].one(T_ACCOUNT).inputs
    assert i["enableHttpsTrafficOnly"] is True
    assert i["minimumTlsVersion"] == "TLS1_2"
    assert i["allowBlobPublicAccess"] is False
    assert i["allowSharedKeyAccess"] is False
    assert i["defaultToOAuthAuthentication"] is True
    assert i["allowCrossTenantReplication"] is False
    assert i["encryption"]["requireInfrastructureEncryption"] is True
    assert i["kind"] == "StorageV2"


def test_only_the_node_subnet_reaches_the_data(kept):
    rules = kept[0].one(T_ACCOUNT).inputs["networkRuleSet"]
    assert rules["defaultAction"] == "Deny"
    assert rules["virtualNetworkRules"] == [{"virtualNetworkResourceId": SUBNET_ID, "action": "Allow"}]
    assert not rules.get("ipRules")


def test_account_name_is_global_safe_and_stable(kept):
    name = kept[0].one(T_ACCOUNT).inputs["accountName"]
    assert re.fullmatch(r"[a-z0-9]{3,24}", name) and name.startswith("demo")
    assert name == account_name("demo", SUBSCRIPTION) == kept[0].outputs["account"]
    long = account_name("a-very-long-environment-name", SUBSCRIPTION)
    assert len(long) == 24 and long.isalnum()
    assert account_name("demo", "other-subscription") != name


def test_versioning_and_soft_delete(kept):
    svc = kept[0].one(T_BLOB_SERVICE).inputs
    assert svc["blobServicesName"] == "default" and svc["isVersioningEnabled"] is True
    assert svc["deleteRetentionPolicy"] == {"enabled": True, "days": 30}
    assert svc["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 30}


def test_one_private_container_per_bucket(kept):
    result, m = kept
    containers = by_name(result.of_type(T_CONTAINER))
    assert sorted(c.inputs["containerName"] for c in containers.values()) == sorted(BUCKETS)
    svc = result.one(T_BLOB_SERVICE)
    for c in containers.values():
        assert c.inputs["publicAccess"] == "None"
        assert c.inputs["accountName"] == result.outputs["account"]
        assert svc.urn in c.options["depends_on"]
    assert result.outputs["containers"] == {b: b for b in BUCKETS}
    assert result.outputs["ids"]["datasets"].endswith(f"/storageAccounts/{result.outputs['account']}/blobServices/default/containers/datasets")
    assert result.outputs["endpoint"] == f"https://{result.outputs['account']}.blob.core.windows.net/"


def test_everything_protected_and_retained_by_default(kept):
    result, _ = kept
    comp = result.one("aiinfra:azure:ObjectStorage")
    children = result.children_of(comp.urn)
    assert {r.type for r in children} == {T_ACCOUNT, T_BLOB_SERVICE, T_CONTAINER}
    for r in children:
        assert r.options["protect"] is True and r.options["retain_on_delete"] is True, r.name


def test_zone_redundant_where_the_region_has_zones(kept, disposable):
    assert kept[0].one(T_ACCOUNT).inputs["sku"] == {"name": "Standard_ZRS"}
    assert disposable[0].one(T_ACCOUNT).inputs["sku"] == {"name": "Standard_LRS"}


def test_delete_with_environment_unprotects(disposable):
    result, _ = disposable
    comp = result.one("aiinfra:azure:ObjectStorage")
    for r in result.children_of(comp.urn):
        assert not r.options["protect"] and not r.options["retain_on_delete"], r.name
    assert result.one(T_ACCOUNT).inputs["tags"]["team"] == "ml"


@pytest.mark.parametrize(("buckets", "message"), [(["data", "data"], "repeat"), (["ab"], "container names"), (["a--b"], "container names")])
def test_bad_buckets_raise(buckets, message):
    with pytest.raises(ValueError, match=message):
        _run(buckets)


def test_no_buckets_still_makes_the_account():
    result, _ = _run([])
    assert result.outputs["containers"] == {} and len(result.of_type(T_ACCOUNT)) == 1
