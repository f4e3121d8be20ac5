"""The spec's patterns and upper bounds, and how error messages say them: shared by the models (aiinfra.spec)
and the messages (aiinfra.spec.errors) without either importing the other."""

from __future__ import annotations

from aiinfra import clouds

# A GPU request's grammar (aiinfra.spec.gpu): an accelerator name, a colon, a count per node.
GPU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.-]*:[0-9]+$"
NAME_PATTERN = r"^[a-z]([a-z0-9-]*[a-z0-9])?$"
K8S_VERSION_PATTERN = r"^1\.\d{2}$"
IMAGE_TAG_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
URL_PATTERN = r"^[a-z][a-z0-9+.-]*://\S+$"
# A Hugging Face model id (org/name) or an absolute path inside the serving image: no spaces or shell metacharacters.
SERVE_MODEL_PATTERN = r"^(/|[A-Za-z0-9])[A-Za-z0-9._/-]*$"

# What each pattern means, as error messages say it (a regular expression is never shown to users).
PATTERN_WORDS = {
    NAME_PATTERN: "lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. llm-train)",
    GPU_PATTERN: "an accelerator and a count per node joined by a colon, e.g. H100:8",
    K8S_VERSION_PATTERN: "a Kubernetes minor version such as 1.33",
    IMAGE_TAG_PATTERN: "an image tag: letters, digits, _ . and -, up to 128 characters (e.g. 0.1.0)",
    URL_PATTERN: "a URL such as s3://bucket/data, gs://bucket/data or https://host/path",
    # each cloud's settings patterns (project IDs, subscription GUIDs, ...)
    **{pattern: words for profile in clouds.all_facts() for pattern, words in profile.pattern_words.items()},
}

MAX_POOL_NODES = 1000
MAX_CPUS = 1024
MAX_MEMORY_GIB = 32768
MAX_DISK_GIB = 16384
MAX_STEPS = 100_000_000
MAX_TAGS = 40
# A region is a cloud's region name or, on cloud: existing, a kubeconfig context: EKS names its contexts by the
# cluster's ARN (arn:aws:eks:REGION:ACCOUNT:cluster/NAME, NAME up to 100 characters), so 40 was too few.
MAX_REGION = 253

# Why each upper bound is where it is; error messages quote these.
LIMIT_REASONS = {
    "nodes": f"AKS and GKE cap a node pool at {MAX_POOL_NODES:,} nodes (GKE per zone), EKS managed node groups at 450 by default; "
    "spread a larger fleet over several pools",
    "min": f"a node pool holds at most {MAX_POOL_NODES:,} nodes",
    "max": f"a node pool holds at most {MAX_POOL_NODES:,} nodes",
    "disk_gib": "16 TiB is the largest boot volume EBS and Azure managed disks allow",
    "cpus": f"no VM type on any cloud has more than {MAX_CPUS} vCPUs",
    "memory_gib": "the largest VM types have about 32 TiB of memory",
    "zones": "regions have 2 to 4 usable zones",
    "steps": "a reference-workload run is minutes to hours, not years",
    "checkpoint_every": "checkpoints come every few hundred steps at most",
    "tags": f"AWS allows 50 tags per resource and aiinfra adds its own; keep to {MAX_TAGS}",
    "labels": f"keep node labels to {MAX_TAGS}",
    "region": f"a region or kubeconfig context name is at most {MAX_REGION} characters (an EKS context is the cluster ARN, up to about 160)",
}


ACCELERATOR_DOC = "any accelerator and count per node: a GPU (H100:8), a TPU (TPU-v6e:4), Trainium, Inferentia2 or MI300X; `gpu:` is the older name of this field"


def topology_shape(value: str | None) -> str | None:
    """A TPU topology is chips along each of 2 or 3 axes joined by x (4x4, 2x2x2); which ones a generation takes is
    the catalog's to say (aiinfra.resolve.accelerators)."""
    import re

    from aiinfra.problems import Invalid, shown

    if value is not None and not re.fullmatch(r"[1-9][0-9]*(x[1-9][0-9]*){1,2}", value):
        raise Invalid(f"{shown(value)} is not a TPU topology (chips along each axis, joined by x)", "e.g. topology: 4x4 (v5e, v6e) or 2x2x2 (v5p)")
    return value
