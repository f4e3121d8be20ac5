"""Workload Identity (components/gcp/identity.py): one GSA bound to the KSA, with bucket and registry access only."""

from __future__ import annotations

from gcphelpers import PROJECT, REGION, T_BUCKET_IAM, T_REPO_IAM, T_SA, T_SA_IAM, run

from aiinfra.components.gcp.identity import WorkloadIdentity, WorkloadIdentityArgs


def _identity():
    holder = {}

    def program():
        wi = WorkloadIdentity(
            "env", WorkloadIdentityArgs(project=PROJECT, region=REGION, namespace="ml", service_account="trainer", bucket_names=["env-data-1", "env-ckpt-2"], repository="env")
        )
        holder["wi"] = wi
        return {"email": wi.email, "annotations": wi.annotations}

    return run(program), holder


def test_gsa_bound_to_the_kubernetes_service_account():
    result, _ = _identity()
    gsa = result.one(T_SA)
    email = f"env-workload@{PROJECT}.iam.gserviceaccount.com"
    assert gsa.inputs["accountId"] == "env-workload" and result.outputs["email"] == email
    binding = result.one(T_SA_IAM)
    assert binding.inputs["role"] == "roles/iam.workloadIdentityUser"
    assert binding.inputs["member"] == f"serviceAccount:{PROJECT}.svc.id.goog[ml/trainer]"
    assert binding.inputs["serviceAccountId"] == f"projects/{PROJECT}/serviceAccounts/{email}"
    assert result.outputs["annotations"] == {"iam.gke.io/gcp-service-account": email}


def test_access_to_exactly_the_buckets_and_the_registry():
    result, _ = _identity()
    member = f"serviceAccount:env-workload@{PROJECT}.iam.gserviceaccount.com"
    grants = sorted((g.inputs["bucket"], g.inputs["role"], g.inputs["member"]) for g in result.of_type(T_BUCKET_IAM))
    assert grants == [("env-ckpt-2", "roles/storage.objectUser", member), ("env-data-1", "roles/storage.objectUser", member)]
    (repo,) = result.of_type(T_REPO_IAM)
    assert (repo.inputs["repository"], repo.inputs["role"], repo.inputs["member"]) == ("env", "roles/artifactregistry.writer", member)
    assert repo.inputs["location"] == REGION
