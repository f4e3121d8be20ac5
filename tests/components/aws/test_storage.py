"""ObjectStorage (components/aws/storage.py) under the offline engine."""

from __future__ import annotations

import pytest
from awshelpers import (
    T_ALIAS,
    T_BUCKET,
    T_BUCKET_LOGGING,
    T_BUCKET_POLICY,
    T_KMS,
    T_LIFECYCLE,
    T_OWNERSHIP,
    T_PAB,
    T_SSE,
    T_VERSIONING,
    as_list,
    doc,
    mocks,
    run,
)

from aiinfra.components.aws import ObjectStorage, StorageArgs

BUCKETS = ["datasets", "checkpoints"]


def _run(buckets=BUCKETS, **kw):
    m = mocks()

    def program():
        s = ObjectStorage("st", StorageArgs(buckets=list(buckets), **kw))
        return {"names": s.bucket_names, "arns": s.bucket_arns, "key": s.kms_key_arn, "logs": s.access_log_bucket}

    return run(program, m)


@pytest.fixture(scope="module")
def kept():
    return _run()


@pytest.fixture(scope="module")
def disposable():
    return _run(delete_with_environment=True, tags={"team": "ml"})


def _by_bucket(result, token):
    """Config resources of one type, keyed by the bucket name they configure."""
    out = {}
    for r in result.of_type(token):
        assert r.inputs["bucket"] not in out, f"two {token} for {r.inputs['bucket']}"
        out[r.inputs["bucket"]] = r
    return out


def test_one_bucket_per_name_plus_access_logs(kept):
    buckets = kept.of_type(T_BUCKET)
    assert sorted(b.inputs["tags"]["aiinfra.dev/bucket"] for b in buckets) == sorted(BUCKETS + ["access-logs"])
    assert sorted(kept.outputs["names"]) == sorted(BUCKETS)
    for name in BUCKETS:
        assert kept.outputs["names"][name].startswith(f"st-{name}-")
        assert kept.outputs["arns"][name] == f"arn:aws:s3:::{kept.outputs['names'][name]}"
    assert kept.outputs["logs"].startswith("st-access-logs-")


def test_data_buckets_encrypted_with_storage_key(kept):
    key_arn = kept.outputs["key"]
    assert key_arn.startswith("arn:aws:kms:us-east-1:123456789012:key/")
    sse = _by_bucket(kept, T_SSE)
    for name in BUCKETS:
        (rule,) = sse[kept.outputs["names"][name]].inputs["rules"]
        by_default = rule["applyServerSideEncryptionByDefault"]
        assert by_default["sseAlgorithm"] == "aws:kms"
        assert by_default["kmsMasterKeyId"] == key_arn
        assert rule["bucketKeyEnabled"] is True


def test_access_log_bucket_is_sse_s3(kept):
    (rule,) = _by_bucket(kept, T_SSE)[kept.outputs["logs"]].inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is False


def test_storage_key_rotates(kept):
    key = kept.one(T_KMS)
    assert key.inputs["enableKeyRotation"] is True
    alias = kept.one(T_ALIAS)
    assert alias.inputs["name"] == "alias/st-data"


def test_every_bucket_blocks_public_access_and_enforces_ownership(kept):
    pab, own = _by_bucket(kept, T_PAB), _by_bucket(kept, T_OWNERSHIP)
    names = [b for b in kept.outputs["names"].values()] + [kept.outputs["logs"]]
    assert sorted(pab) == sorted(names)
    assert sorted(own) == sorted(names)
    for n in names:
        i = pab[n].inputs
        assert (i["blockPublicAcls"], i["blockPublicPolicy"], i["ignorePublicAcls"], i["restrictPublicBuckets"]) == (True, True, True, True)
        assert own[n].inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}


def test_data_buckets_versioned(kept):
    versioning = _by_bucket(kept, T_VERSIONING)
    assert sorted(versioning) == sorted(kept.outputs["names"].values())
    for v in versioning.values():
        assert v.inputs["versioningConfiguration"]["status"] == "Enabled"


def test_bucket_policies_deny_insecure_transport_and_never_allow_everyone(kept):
    policies = _by_bucket(kept, T_BUCKET_POLICY)
    names = list(kept.outputs["names"].values()) + [kept.outputs["logs"]]
    assert sorted(policies) == sorted(names)
    for bucket, p in policies.items():
        statements = doc(p.inputs["policy"])["Statement"]
        deny = [
            s for s in statements
            if s["Effect"] == "Deny" and s["Principal"] == "*" and "s3:*" in as_list(s["Action"])
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert len(deny) == 1, bucket
        assert sorted(as_list(deny[0]["Resource"])) == sorted([f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"])
        for s in statements:
            if s["Effect"] == "Allow":
                assert s["Principal"] != "*" and s["Principal"] != {"AWS": "*"}, bucket
        # a policy must wait for the public access block
        assert pab_urn(kept, bucket) in p.options["depends_on"]


def pab_urn(result, bucket):
    return _by_bucket(result, T_PAB)[bucket].urn


def test_access_log_bucket_accepts_only_the_logging_service(kept):
    statements = doc(_by_bucket(kept, T_BUCKET_POLICY)[kept.outputs["logs"]].inputs["policy"])["Statement"]
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert as_list(allow["Action"]) == ["s3:PutObject"]
    assert allow["Resource"] == f"arn:aws:s3:::{kept.outputs['logs']}/*"
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_data_buckets_log_to_access_log_bucket(kept):
    logging = _by_bucket(kept, T_BUCKET_LOGGING)
    assert sorted(logging) == sorted(kept.outputs["names"].values())
    for name in BUCKETS:
        lg = logging[kept.outputs["names"][name]]
        assert lg.inputs["targetBucket"] == kept.outputs["logs"]
        assert lg.inputs["targetPrefix"] == f"{name}/"
    assert kept.outputs["logs"] not in logging


def test_lifecycle_rules(kept):
    lc = _by_bucket(kept, T_LIFECYCLE)
    for name in BUCKETS:
        (rule,) = lc[kept.outputs["names"][name]].inputs["rules"]
        assert rule["status"] == "Enabled"
        assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
        assert "expiration" not in rule
        assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    (logs_rule,) = lc[kept.outputs["logs"]].inputs["rules"]
    assert logs_rule["expiration"] == {"days": 365}


def test_force_destroy_off_by_default(kept):
    for b in kept.of_type(T_BUCKET):
        assert b.inputs["forceDestroy"] is False, b.name


def test_everything_protected_and_retained_by_default(kept):
    comp = kept.one("aiinfra:aws:ObjectStorage")
    children = kept.children_of(comp.urn)
    assert {r.type for r in children} >= {T_KMS, T_ALIAS, T_BUCKET, T_SSE, T_PAB, T_OWNERSHIP, T_VERSIONING, T_BUCKET_POLICY, T_BUCKET_LOGGING, T_LIFECYCLE}
    assert len(children) == len(kept.resources) - 1
    for r in children:
        assert r.options["protect"] is True, r.name
        assert r.options["retain_on_delete"] is True, r.name


def test_delete_with_environment_unprotects_and_force_destroys(disposable):
    comp = disposable.one("aiinfra:aws:ObjectStorage")
    for r in disposable.children_of(comp.urn):
        assert not r.options["protect"], r.name
        assert not r.options["retain_on_delete"], r.name
    buckets = disposable.of_type(T_BUCKET)
    assert len(buckets) == 3
    for b in buckets:
        assert b.inputs["forceDestroy"] is True, b.name


def test_tags_reach_buckets_and_key(disposable):
    for r in disposable.of_type(T_BUCKET) + disposable.of_type(T_KMS):
        assert r.inputs["tags"]["team"] == "ml", r.name


def test_duplicate_bucket_names_raise():
    with pytest.raises(ValueError, match="repeat"):
        _run(["data", "data"])


def test_no_buckets_creates_only_the_access_log_bucket():
    result = _run([])
    assert result.outputs["names"] == {}
    assert len(result.of_type(T_BUCKET)) == 1  # the access-log bucket only
