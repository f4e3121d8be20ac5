"""The contracts every cloud implements: components/base/<concern>.py states one, components/<cloud>/<concern>.py
implements it, file for file (dstack's backends/base and backends/<cloud>). aiinfra.clouds.module(cloud, concern)
is the one loader; tests/components/test_cloud_folders.py holds every cloud folder to this file set."""

from __future__ import annotations

# Base modules with no per-cloud file: shared machinery every cloud imports as it is.
SHARED = {
    "accounts": "where a profile finds the project or subscription (AccountSource) and up's refusal of a placeholder",
    "built": "what every cloud's build() returns (BuiltEnvironment): one record, nothing per cloud",
    "errors": "the one ComponentInputError every component raises",
    "sdk": "imports a cloud's Pulumi SDK on first use, named by its profile",
    "util": "small Output helpers (JSON documents, per-key outputs) with no cloud in them",
}

# Cloud files with no base: each cloud's own resources, met by the neutral layers only through BuiltEnvironment.
CLOUD_ONLY = {
    "network": "a VPC, a VPC network or a VNet: its ids differ per cloud and reach only that cloud's cluster and pools",
    "filesystem": "Lustre or NFS offerings differ per cloud; the volumes they give are BuiltEnvironment.volumes",
    "settings": "the spec's `<cloud>:` section, where a cloud has one (its profile's `settings` names it)",
}

# (cloud, base concern) -> why that cloud has no file for it.
OPT_OUTS: dict[tuple[str, str], str] = {
    ("existing", "gpu_pool"): "an existing cluster's pools select nodes it has (environment.py labels them); no node pool is created",
    ("existing", "identity"): "no cloud identity: pods run as a plain ServiceAccount and reach the object store with the Secret existing.object_store names",
    ("existing", "registry"): "no registry is created: images come from the registries the cluster can already pull from",
    ("existing", "storage"): "buckets already exist at existing.object_store; aiinfra never creates or deletes them",
}
