"""The cloud-neutral environment spec: what a user writes in stacks/<env>.yaml.

Only the shape is checked here; whether a GPU exists in a region is the catalog's
job (aiinfra.resolve), so that every problem is reported in one pass with its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from aiinfra.problems import Problem, SpecError, did_you_mean, join_path

Cloud = Literal["aws", "gcp", "azure"]
Capacity = Literal["on-demand", "spot", "reserved"]

NAME_PATTERN = r"^[a-z]([a-z0-9-]*[a-z0-9])?$"
GPU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.-]*:[0-9]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Range(_Strict):
    """Autoscaling bounds; a fixed size is written as a plain number."""

    min: int = Field(ge=0)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max}); swap them or raise max")
        return self


GpuRequest = Annotated[str, Field(pattern=GPU_PATTERN)]


class NodePool(_Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=24, description="lowercase letters, digits, hyphens")]
    gpu: Annotated[
        GpuRequest | list[GpuRequest] | None,
        Field(
            default=None,
            description=(
                "accelerator and count per node, e.g. H100:8 or A100-80GB:4, or a list of alternatives in order of "
                "preference (the first one offered in the region is used); leave out for a CPU pool"
            ),
        ),
    ] = None
    nodes: int | Range = Field(default=1, description="fixed size, or {min, max} for autoscaling")
    capacity: Capacity = "on-demand"
    instance_type: str | None = Field(default=None, description="pin an instance type / machine type / VM size")
    cpus: int | None = Field(default=None, ge=1, description="CPU pools: at least this many vCPUs per node")
    memory_gib: float | None = Field(default=None, gt=0, description="CPU pools: at least this much RAM per node")
    zone: str | None = Field(default=None, description="pin the pool to one zone (needed to match a reservation)")
    reservation: str | None = Field(default=None, description="capacity reservation id, with capacity: reserved")
    disk_gib: int = Field(default=200, ge=20, le=16384, description="root volume size per node")
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("nodes", mode="before")
    @classmethod
    def _no_negative(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("nodes must be a number or {min, max}, not true/false")
        if isinstance(v, int) and v < 0:
            raise ValueError(f"nodes cannot be negative (got {v})")
        return v

    @model_validator(mode="after")
    def _capacity_consistent(self) -> "NodePool":
        if self.reservation and self.capacity != "reserved":
            raise ValueError("reservation is set but capacity is not 'reserved'; set capacity: reserved")
        if self.capacity == "reserved" and not self.reservation:
            raise ValueError("capacity: reserved needs reservation: <reservation id>")
        if self.gpu and (self.cpus or self.memory_gib):
            raise ValueError("cpus/memory_gib only size CPU pools; a GPU pool's size follows from gpu:")
        return self

    @field_validator("gpu")
    @classmethod
    def _alternatives_not_empty(cls, v: Any) -> Any:
        if isinstance(v, list) and not v:
            raise ValueError("an empty list of GPUs; leave gpu out for a CPU pool")
        return v

    @property
    def gpu_options(self) -> list[str]:
        if self.gpu is None:
            return []
        return [self.gpu] if isinstance(self.gpu, str) else list(self.gpu)

    @property
    def nodes_min(self) -> int:
        return self.nodes.min if isinstance(self.nodes, Range) else self.nodes

    @property
    def nodes_max(self) -> int:
        return self.nodes.max if isinstance(self.nodes, Range) else self.nodes


class Storage(_Strict):
    buckets: list[Annotated[str, Field(pattern=NAME_PATTERN, max_length=40)]] = Field(default_factory=list)
    delete_with_environment: bool = Field(
        default=False,
        description="let `down` delete the buckets and their data; off by default so data outlives the cluster",
    )


class Registry(_Strict):
    repositories: list[Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]] = Field(default_factory=list)


class Identity(_Strict):
    """The Kubernetes service account whose pods may read and write the environment's buckets."""

    namespace: Annotated[str, Field(pattern=NAME_PATTERN, max_length=63)] = "ml"
    service_account: Annotated[str, Field(pattern=NAME_PATTERN, max_length=63)] = "workload"


class Network(_Strict):
    cidr: str = Field(default="10.0.0.0/16", pattern=r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-4])$")
    nat_gateways: Literal["one", "per-zone"] = "one"
    zones: int = Field(default=2, ge=2, le=4, description="zones to spread subnets over")


class Cluster(_Strict):
    kubernetes_version: str = Field(default="1.33", pattern=r"^1\.\d{2}$")
    public_endpoint: bool = Field(default=False, description="also expose the API server publicly")
    public_access_cidrs: list[str] = Field(default_factory=list)
    admins: list[str] = Field(default_factory=list, description="principals granted cluster admin")
    deletion_protection: bool = Field(
        default=True,
        description="refuse to delete the cluster until this is turned off; set false for throwaway environments",
    )

    @model_validator(mode="after")
    def _public_needs_cidrs(self) -> "Cluster":
        if self.public_access_cidrs and not self.public_endpoint:
            raise ValueError("public_access_cidrs is set but public_endpoint is false")
        if "0.0.0.0/0" in self.public_access_cidrs:
            raise ValueError("public_access_cidrs must not contain 0.0.0.0/0; list your office or VPN ranges")
        return self


class Mlops(_Strict):
    """Cluster services installed from upstream Helm charts; each can be switched off. GPU add-ons
    (operator, fabric plugins, GPU dashboard) are skipped automatically when no pool has GPUs."""

    gpu_operator: bool = Field(default=True, description="NVIDIA GPU operator (driver/toolkit as each cloud needs) and fabric device plugins")
    monitoring: bool = Field(default=True, description="kube-prometheus-stack with DCGM GPU metrics and a GPU dashboard")
    training: Literal["trainer", "jobset", "none"] = Field(default="trainer", description="Kubeflow Trainer v2 (with JobSet), JobSet alone, or none")
    queueing: bool = Field(default=True, description="Kueue with a ClusterQueue whose quota follows the node pools")
    tracking: bool = Field(default=True, description="MLflow with artifacts in the environment's bucket and an in-cluster PostgreSQL")
    serving: Literal["kserve", "vllm", "none"] = Field(default="kserve", description="KServe (Standard mode) or the vLLM production stack")

    @property
    def any_on(self) -> bool:
        return any((self.gpu_operator, self.monitoring, self.queueing, self.tracking)) or self.training != "none" or self.serving != "none"


class GcpSettings(_Strict):
    """Where a GCP environment lives; ignored on other clouds, so a spec moves by editing cloud and region."""

    project: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
        description="GCP project ID (e.g. my-ml-project); required when cloud is gcp",
    )


class AzureSettings(_Strict):
    """Where an Azure environment lives; ignored on other clouds."""

    subscription_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$",
        description="Azure subscription ID; defaults to the one `az login` selected",
    )
    resource_group: str | None = Field(
        default=None,
        pattern=r"^[-\w.()]{1,89}[-\w()]$",
        description="resource group to create the environment in; defaults to <name>-rg",
    )
    gpu_driver: Literal["aks", "none"] | None = Field(
        default=None,
        description="GPU driver on GPU node pools: AKS-managed, or none so that the NVIDIA GPU Operator installs it; "
        "left out: none where an InfiniBand pool needs the operator's driver with GPUDirect RDMA, else aks",
    )
    etcd_kms: bool = Field(default=True, description="encrypt Kubernetes secrets in etcd with a Key Vault key (KMS)")


class WorkloadImages(_Strict):
    """Images of the reference workload; left out, they are <registry repo>:<tag> in the environment's registry."""

    train: str | None = Field(default=None, description="training image (built from workloads/reference/Dockerfile.train)")
    serve: str | None = Field(default=None, description="serving image (built from workloads/reference/Dockerfile.serve)")
    tag: str = Field(default="0.1.0", pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", description="tag of the default images (a fixed tag, never latest)")


class Workload(_Strict):
    """The reference workload that proves an environment: a training job, a served model and a fabric test."""

    enabled: bool = Field(default=False, description="deploy the workload with the environment (`aiinfra render` works either way)")
    train_pool: str | None = Field(default=None, description="pool to train on; default: the GPU pool with the fastest fabric")
    serve_pool: str | None = Field(default=None, description="pool to serve on; default: the GPU pool with the fewest GPUs per node")
    nodes: int | None = Field(default=None, ge=1, description="training nodes; default: 2 when the pool can grow to 2, else 1")
    images: WorkloadImages = Field(default_factory=WorkloadImages)
    model: Literal["tiny", "gpt2-124m"] = "tiny"
    steps: int = Field(default=200, ge=1)
    checkpoint_every: int = Field(default=50, ge=1)
    checkpoint_bucket: str | None = Field(default=None, description="one of storage.buckets; default: the first")
    data: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9+.-]*://\S+$",
        description="training data URL (s3://, gs://, az://, https://); default: <checkpoint bucket>/data",
    )


class EnvironmentSpec(_Strict):
    """One environment: a cluster, its node pools, storage and identity, on one cloud."""

    name: Annotated[str, Field(pattern=NAME_PATTERN, min_length=3, max_length=24)]
    cloud: Cloud
    region: str
    node_pools: list[NodePool] = Field(default_factory=list)
    storage: Storage = Field(default_factory=Storage)
    registry: Registry = Field(default_factory=Registry)
    identity: Identity = Field(default_factory=Identity)
    network: Network = Field(default_factory=Network)
    cluster: Cluster = Field(default_factory=Cluster)
    tags: dict[str, str] = Field(default_factory=dict)
    mlops: Mlops = Field(default_factory=Mlops)
    gcp: GcpSettings = Field(default_factory=GcpSettings)
    azure: AzureSettings = Field(default_factory=AzureSettings)
    workload: Workload = Field(default_factory=Workload)

    @model_validator(mode="after")
    def _unique_names(self) -> "EnvironmentSpec":
        seen: set[str] = set()
        for pool in self.node_pools:
            if pool.name in seen:
                raise ValueError(f"duplicate node pool name {pool.name!r}; pool names must be unique")
            seen.add(pool.name)
        if len(set(self.storage.buckets)) != len(self.storage.buckets):
            raise ValueError("storage.buckets lists a bucket twice")
        return self


def json_schema() -> dict[str, Any]:
    schema = EnvironmentSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "aiinfra environment"
    return schema


_UNION_TAGS = {"int", "str", "float", "bool", "list", "Range"}


def _hint_for(error: dict[str, Any], parent_fields: list[str]) -> str | None:
    kind = error["type"]
    names = [p for p in error["loc"] if isinstance(p, str)]
    field = names[-1] if names else ""
    if kind == "extra_forbidden":
        return did_you_mean(field, parent_fields) or f"known fields: {', '.join(parent_fields)}"
    if field == "gpu":
        return "write the accelerator and the count per node, e.g. H100:8, or a list such as [L4:1, A10:1]"
    if kind == "string_pattern_mismatch":
        return "use lowercase letters, digits and hyphens, starting with a letter (e.g. llm-train)"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"expected one of {expected}"
    return None


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the last element of loc, for listing its fields."""
    model: Any = EnvironmentSpec
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        candidates = [ann, *getattr(ann, "__args__", ())]
        model = next(
            (c for c in candidates for c in [c, *getattr(c, "__args__", ())] if isinstance(c, type) and issubclass(c, BaseModel)),
            None,
        )
    return model


def problems_from_validation(exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        # Union members (int | Range, str | list[str]) report under a type tag; keep only the user's path.
        loc = tuple(p for p in loc if isinstance(p, int) or (p.isidentifier() and p not in _UNION_TAGS))
        err = {**err, "loc": loc}
        owner = _model_at(loc) if loc else EnvironmentSpec
        fields = list(owner.model_fields) if owner else []
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = f"unknown field {loc[-1]!r}"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        problems.append(Problem(join_path(loc), msg, _hint_for(err, fields)))
    return _dedupe(problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """Unions report one error per member; a type mismatch of one member is noise when another member
    explains the real problem, so keep the most specific error per field."""

    def noise(p: Problem) -> bool:
        return p.message.startswith("Input should be a valid")

    out: dict[str, Problem] = {}
    for p in problems:
        prev = out.get(p.path)
        if prev is None or (prev.hint is None and p.hint is not None) or (noise(prev) and not noise(p)):
            out[p.path] = p
    specific = [q.path for q in out.values() if not noise(q)]
    return [p for p in out.values() if not (noise(p) and any(s != p.path and s.startswith(p.path) for s in specific))]


def parse_spec(text: str, source: str = "<spec>") -> EnvironmentSpec:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(source, [Problem("(yaml)", f"not valid YAML at {where}: {problem}", "check indentation and quoting")]) from None
    if data is None:
        raise SpecError(source, [Problem("(top level)", "the file is empty", "start from an example in stacks/")])
    if not isinstance(data, dict):
        raise SpecError(source, [Problem("(top level)", f"expected a mapping of fields, got {type(data).__name__}", "start from an example in stacks/")])
    try:
        return EnvironmentSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(source, problems_from_validation(exc)) from None


def load_spec(path: str | Path) -> EnvironmentSpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), [Problem("(file)", f"no such file: {path}", "pass the path of an environment YAML, e.g. stacks/aws-llm.yaml")]) from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), [Problem("(file)", f"cannot read {path}: {exc}", None)]) from None
    return parse_spec(text, str(path))
