"""The spec's `mlops` and `workload` sections: which cluster services run, and the reference workload that proves an
environment."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from aiinfra import clouds
from aiinfra.problems import Invalid, shown
from aiinfra.spec.base import Range, _Strict
from aiinfra.spec.limits import IMAGE_TAG_PATTERN, MAX_POOL_NODES, MAX_STEPS, SERVE_MODEL_PATTERN, URL_PATTERN
from aiinfra.spec.racks import TAS_DOC

_BUCKET_URLS = clouds.bucket_urls()


class Mlops(_Strict):
    """Cluster services installed from upstream Helm charts; each can be switched off. GPU add-ons
    (operator, fabric plugins, GPU dashboard) are skipped automatically when no pool has GPUs."""

    gpu_operator: bool = Field(
        default=True,
        description="accelerator device stacks where their pools are: NVIDIA GPU operator (driver/toolkit as each cloud needs), Neuron chart, AMD GPU operator; and fabric device plugins",
    )
    monitoring: bool = Field(default=True, description="kube-prometheus-stack with DCGM GPU metrics and a GPU dashboard")
    training: Literal["trainer", "jobset", "none"] = Field(default="trainer", description="Kubeflow Trainer v2 (with JobSet), JobSet alone, or none")
    queueing: bool = Field(default=True, description="Kueue with a ClusterQueue whose quota follows the node pools")
    tracking: bool = Field(default=True, description="MLflow with artifacts in the environment's bucket and an in-cluster PostgreSQL")
    serving: Literal["kserve", "vllm", "none"] = Field(default="kserve", description="KServe (Standard mode) or the vLLM production stack")
    routing: Literal["round-robin", "cache-aware"] = Field(
        default="round-robin",
        description=(
            "how requests reach the served replicas: round-robin (a Service), or cache-aware (the llm-d router's endpoint picker behind an "
            "InferencePool on the cluster's Gateway: a request goes to the vLLM replica that holds its prefix; needs workload.serve_model)"
        ),
    )
    data: Literal["none", "ray"] = Field(default="none", description="KubeRay for preprocessing jobs (RayJob), from its upstream chart")
    topology_aware: bool | None = Field(default=None, description=TAS_DOC)

    @property
    def any_on(self) -> bool:
        return any((self.gpu_operator, self.monitoring, self.queueing, self.tracking)) or self.training != "none" or self.serving != "none" or self.data != "none"


class WorkloadImages(_Strict):
    """Images of the reference workload; left out, they are <registry repo>:<tag> in the environment's registry."""

    train: str | None = Field(default=None, max_length=512, description="training image (built from workloads/reference/Dockerfile.train)")
    serve: str | None = Field(default=None, max_length=512, description="serving image (built from workloads/reference/Dockerfile.serve)")
    tag: str = Field(default="0.1.0", pattern=IMAGE_TAG_PATTERN, description="tag of the default images (a fixed tag, never latest)")


class Workload(_Strict):
    """The reference workload that proves an environment: a training job, a served model and a fabric test."""

    enabled: bool = Field(default=False, description="deploy the workload with the environment (`aiinfra render` works either way)")
    train_pool: str | None = Field(default=None, max_length=64, description="pool to train on; default: the GPU pool with the fastest fabric")
    serve_pool: str | None = Field(default=None, max_length=64, description="pool to serve on; default: the GPU pool with the fewest GPUs per node")
    nodes: int | None = Field(default=None, ge=1, le=MAX_POOL_NODES, description="training nodes; default: 2 when the pool can grow to 2, else 1")
    replicas: int | Range | None = Field(
        default=None,
        description=(
            "served replicas: a fixed number, or {min, max}; min: 0 scales to zero when idle (KEDA and its HTTP add-on: the first "
            "request waits while a replica starts); default: 1 up to one a GPU of the serving pool"
        ),
    )
    serve_nodes: int | None = Field(
        default=None,
        ge=2,
        le=MAX_POOL_NODES,
        description=(
            "nodes one served replica spans: a LeaderWorkerSet of that size runs vLLM with tensor parallelism over each node's GPUs and "
            "pipeline parallelism across the nodes, over the pool's fabric; needs workload.serve_model"
        ),
    )
    serve_model: str | None = Field(
        default=None,
        max_length=256,
        pattern=SERVE_MODEL_PATTERN,
        description="the model vLLM serves (a Hugging Face id such as meta-llama/Llama-3.1-405B-Instruct, or a path in the image); "
        "left out, the reference server serves the trained checkpoint",
    )
    images: WorkloadImages = Field(default_factory=WorkloadImages)
    model: Literal["tiny", "gpt2-124m"] | None = Field(default=None, description="trainer preset; default: gpt2-124m on NVIDIA and AMD GPUs, else tiny")
    steps: int = Field(default=200, ge=1, le=MAX_STEPS)
    checkpoint_every: int = Field(default=50, ge=1, le=MAX_STEPS)
    checkpoint_bucket: str | None = Field(default=None, max_length=64, description="one of storage.buckets; default: the first")
    data: str | None = Field(
        default=None,
        pattern=URL_PATTERN,
        max_length=2048,
        description=f"training data URL ({_BUCKET_URLS}, https://); default: <the datasets bucket, else the first>/data",
    )


    @field_validator("replicas", mode="before")
    @classmethod
    def _replica_count(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise Invalid(f"replicas must be a number or {{min, max}}, not {str(v).lower()}", "e.g. replicas: 2, or replicas: {min: 0, max: 4}")
        if isinstance(v, int) and not 1 <= v <= MAX_POOL_NODES:
            raise Invalid(f"replicas must be from 1 to {MAX_POOL_NODES:,} (got {shown(v)})", "for scale to zero write replicas: {min: 0, max: 4}")
        return v
