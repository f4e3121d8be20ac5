"""Artifact Registry (components/gcp/registry.py)."""

from __future__ import annotations

import pytest
from gcphelpers import PROJECT, REGION, T_REPO, T_REPO_IAM, run

from aiinfra.components.gcp.registry import ContainerRegistry, RegistryArgs


def _registry(**kw):
    args = dict(project=PROJECT, region=REGION, images=["train", "serve"], readers=[f"serviceAccount:env-nodes@{PROJECT}.iam.gserviceaccount.com"], tags={"team": "ml"})
    args.update(kw)

    def program():
        return {"urls": ContainerRegistry("env", RegistryArgs(**args)).repository_urls}

    return run(program)


def test_docker_repository_immutable_scanned_cleaned():
    result = _registry()
    repo = result.one(T_REPO).inputs
    assert (repo["format"], repo["location"], repo["project"], repo["repositoryId"]) == ("DOCKER", REGION, PROJECT, "env")
    assert repo["dockerConfig"] == {"immutableTags": True}
    assert repo["vulnerabilityScanningConfig"] == {"enablementConfig": "INHERITED"}
    assert repo["cleanupPolicyDryRun"] is False
    (policy,) = repo["cleanupPolicies"]
    assert policy["action"] == "DELETE" and policy["condition"] == {"tagState": "UNTAGGED", "olderThan": "1209600s"}
    assert repo["labels"] == {"team": "ml"}
    assert result.outputs["urls"] == {i: f"{REGION}-docker.pkg.dev/{PROJECT}/env/{i}" for i in ("train", "serve")}


def test_nodes_may_only_pull():
    (reader,) = _registry().of_type(T_REPO_IAM)
    assert reader.inputs["role"] == "roles/artifactregistry.reader"
    assert reader.inputs["repository"] == "env" and reader.inputs["member"].endswith(".iam.gserviceaccount.com")


def test_needs_an_image():
    with pytest.raises(Exception, match="at least one"):
        _registry(images=[])
