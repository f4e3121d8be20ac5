"""The spec's `existing:` section: where the cluster's kubeconfig and snapshot are, what its accelerators cost and
where its buckets live. Paths only: the kubeconfig's contents never enter the spec or the Pulumi state."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from aiinfra.components.existing.facts import SECRET_PATTERN


class ObjectStore(BaseModel):
    """An S3-compatible object store that already holds the buckets (MinIO, Ceph RGW, CoreWeave AI Object Storage)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    endpoint: str = Field(pattern=r"^https?://[^\s/]+", description="the store's S3 endpoint URL, e.g. https://minio.lab:9000")
    credentials: str = Field(
        pattern=SECRET_PATTERN,
        description="the Kubernetes Secret (namespace/name, in the workload namespace if no namespace) holding AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY; aiinfra reads it by name, never its contents",
    )


class ExistingSettings(BaseModel):
    """A cluster aiinfra did not create: ignored on other clouds."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    kubeconfig: str = Field(default="~/.kube/config", description="path to the kubeconfig that has the context named by region: (a path, never its contents); relative to the spec's folder")
    snapshot: str | None = Field(default=None, description="the cluster's nodes: `kubectl get nodes -o json` or `aiinfra discover --context C -o FILE`; relative to the spec's folder")
    prices: dict[str, float] = Field(
        default_factory=dict,
        description="USD per accelerator-hour by catalog GPU name (H100: 2.5), and CPU: per CPU-only node-hour; unpriced nodes make a budget fail",
    )
    object_store: ObjectStore | None = Field(default=None, description="where storage.buckets already exist (never created or deleted)")
