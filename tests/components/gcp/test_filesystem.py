"""What a Managed Lustre import from the bucket needs (managed-lustre/docs/transfer-data): the service agent reads
the bucket, the identity running the import Job may start imports, both as children of the file system component."""

from __future__ import annotations

from aiinfra.components.gcp.mocks import project_number
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import resolve
from aiinfra.spec import parse_spec

SPEC = """
name: data
cloud: gcp
region: us-central1
gcp: {project: lustre-proj}
node_pools: [{name: train, gpu: 'H100:8', nodes: {min: 0, max: 2}}]
storage:
  buckets: [datasets, checkpoints]
  filesystems: [{name: scratch, kind: lustre, size_tib: 36, import_from: datasets}]
"""


def test_lustre_service_agent_may_read_only_the_imported_bucket():
    result = run_offline(resolve(parse_spec(SPEC)))
    component = result.one("aiinfra:gcp:FileSystems")
    agent = result.one("gcp:projects/serviceIdentity:ServiceIdentity")
    assert (agent.inputs["service"], agent.inputs["project"], agent.parent) == ("lustre.googleapis.com", "lustre-proj", component.urn)
    grants = [r for r in result.of_type("gcp:storage/bucketIAMMember:BucketIAMMember") if r.parent == component.urn]
    (grant,) = grants
    assert grant.inputs["role"] == "roles/storage.objectViewer"
    assert grant.inputs["member"] == f"serviceAccount:service-{project_number('lustre-proj')}@gcp-sa-lustre.iam.gserviceaccount.com"
    assert grant.inputs["bucket"].startswith("data-datasets"), "the imported bucket, not checkpoints"


def test_import_job_identity_holds_only_the_import_permissions():
    result = run_offline(resolve(parse_spec(SPEC)))
    component = result.one("aiinfra:gcp:FileSystems")
    role = result.one("gcp:projects/iAMCustomRole:IAMCustomRole")
    assert role.parent == component.urn and role.inputs["project"] == "lustre-proj"
    assert role.inputs["permissions"] == ["lustre.instances.importData", "lustre.operations.get"]
    assert role.inputs["roleId"] == "data_lustre_import"
    (member,) = [r for r in result.of_type("gcp:projects/iAMMember:IAMMember") if r.parent == component.urn]
    assert member.inputs["role"] == "projects/lustre-proj/roles/data_lustre_import"
    gsa = result.one("gcp:serviceaccount/account:Account", "data-workload")
    assert member.inputs["member"] == f"serviceAccount:{gsa.inputs['accountId']}@lustre-proj.iam.gserviceaccount.com"
    job = result.one("kubernetes:batch/v1:Job").inputs["spec"]["template"]["spec"]
    ksa = result.one("gcp:serviceaccount/iAMMember:IAMMember", "data-workload-ksa").inputs["member"]
    assert ksa.endswith(f"[ml/{job['serviceAccountName']}]"), "the Job's service account acts as the GSA that got the role"


def test_the_import_job_waits_for_the_grants():
    result = run_offline(resolve(parse_spec(SPEC)))
    component = result.one("aiinfra:gcp:FileSystems")
    grants = {r.urn for r in result.resources if r.parent == component.urn and "IAMMember" in r.type}
    assert len(grants) == 2 and grants <= set(result.one("pulumi:providers:kubernetes").options["depends_on"])


def test_no_import_no_grants():
    result = run_offline(resolve(parse_spec(SPEC.replace(", import_from: datasets", ""))))
    assert not result.of_type("gcp:projects/serviceIdentity:ServiceIdentity")
    assert not result.of_type("gcp:projects/iAMCustomRole:IAMCustomRole")
