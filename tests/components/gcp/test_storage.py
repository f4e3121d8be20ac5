"""GCS buckets (components/gcp/storage.py): private, versioned, CMEK, logged, kept on down."""

from __future__ import annotations

import pytest
from gcphelpers import PROJECT, REGION, T_BUCKET, T_BUCKET_IAM, T_KEY, T_KEY_IAM, run

from aiinfra.components.gcp.mocks import project_number
from aiinfra.components.gcp.storage import ObjectStorage, StorageArgs


def _storage(**kw):
    args = dict(project=PROJECT, region=REGION, buckets=["datasets", "checkpoints"], tags={"aiinfra.dev/environment": "env"})
    args.update(kw)

    def program():
        s = ObjectStorage("env", StorageArgs(**args))
        return {"names": s.bucket_names, "urls": s.bucket_urls}

    return run(program)


@pytest.fixture(scope="module")
def kept():
    return _storage()


def _data(result):
    return [b for b in result.of_type(T_BUCKET) if not b.name.endswith("access-logs")]


def test_buckets_private_uniform_versioned(kept):
    assert len(_data(kept)) == 2
    for b in kept.of_type(T_BUCKET):
        assert b.inputs["uniformBucketLevelAccess"] is True, b.name
        assert b.inputs["publicAccessPrevention"] == "enforced", b.name
        assert b.inputs["versioning"] == {"enabled": True}, b.name
        assert b.inputs["location"] == "US-CENTRAL1" and b.inputs["project"] == PROJECT


def test_cmek_with_the_storage_agent_allowed(kept):
    key = kept.one(T_KEY)
    key_id = f"{key.inputs['keyRing']}/cryptoKeys/"
    for b in kept.of_type(T_BUCKET):
        assert b.inputs["encryption"]["defaultKmsKeyName"].startswith(key_id), b.name
    grant = kept.one(T_KEY_IAM)
    assert grant.inputs["member"] == f"serviceAccount:service-{project_number(PROJECT)}@gs-project-accounts.iam.gserviceaccount.com"
    assert grant.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"
    for b in kept.of_type(T_BUCKET):
        assert grant.urn in b.options["depends_on"], b.name


def test_cmek_optional():
    result = _storage(cmek=False)
    assert result.of_type(T_KEY) == []
    assert all("encryption" not in b.inputs for b in result.of_type(T_BUCKET))


def test_access_logs_go_to_a_separate_bucket(kept):
    logs = kept.one(T_BUCKET, "env-access-logs")
    for b in _data(kept):
        assert b.inputs["logging"]["logBucket"].startswith("env-access-logs-")
        assert b.inputs["logging"]["logObjectPrefix"] == b.name.removeprefix("env-") + "/"
    writer = kept.one(T_BUCKET_IAM)
    assert writer.inputs["member"] == "group:cloud-storage-analytics@google.com" and writer.inputs["role"] == "roles/storage.objectCreator"
    assert "logging" not in logs.inputs


def test_noncurrent_versions_expire_and_uploads_are_aborted(kept):
    for b in _data(kept):
        rules = {r["action"]["type"]: r["condition"] for r in b.inputs["lifecycleRules"]}
        assert rules["Delete"]["daysSinceNoncurrentTime"] == 30
        assert rules["AbortIncompleteMultipartUpload"]["age"] == 7


def test_protected_and_retained_unless_disposable(kept):
    for r in kept.resources:
        if r.custom:
            assert r.options["protect"] is True and r.options["retain_on_delete"] is True, r.name
    for b in kept.of_type(T_BUCKET):
        assert b.inputs["forceDestroy"] is False
    disposable = _storage(delete_with_environment=True)
    for r in disposable.resources:
        if r.custom:
            assert not r.options["protect"] and not r.options["retain_on_delete"], r.name
    assert all(b.inputs["forceDestroy"] is True for b in disposable.of_type(T_BUCKET))


def test_labels_and_outputs(kept):
    for b in _data(kept):
        assert b.inputs["labels"]["aiinfra-dev_environment"] == "env"
        assert b.inputs["labels"]["aiinfra-dev_bucket"] in ("datasets", "checkpoints")
    assert sorted(kept.outputs["names"]) == ["checkpoints", "datasets"]
    assert kept.outputs["urls"]["datasets"] == "gs://" + kept.outputs["names"]["datasets"]


def test_repeated_bucket_rejected():
    with pytest.raises(Exception, match="repeat"):
        _storage(buckets=["a", "a"])
