"""The cloud-neutral environment spec: what a user writes in stacks/<env>.yaml.

Only the shape is checked here; whether a GPU exists in a region is the catalog's
job (aiinfra.resolve), so that every problem is reported in one pass with its path.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from aiinfra import clouds, defaults
from aiinfra.catalog import kubernetes as kubernetes_versions
from aiinfra.problems import Invalid, Problem, SpecError, shown
from aiinfra.spec.base import Range, _Strict
from aiinfra.spec.capacity import capacity_rules
from aiinfra.spec.gpu import GPU_PATTERN, GpuRequest, query_model
from aiinfra.spec.limits import (
    ACCELERATOR_DOC,
    K8S_VERSION_PATTERN,
    LIMIT_REASONS,
    MAX_CPUS,
    MAX_DISK_GIB,
    MAX_MEMORY_GIB,
    MAX_POOL_NODES,
    MAX_REGION,
    MAX_TAGS,
    NAME_PATTERN,
    topology_shape,
)
from aiinfra.spec.policy import Policy
from aiinfra.spec.racks import DRA_DOC, NVLINK_DOC
from aiinfra.spec.storage import Storage
from aiinfra.spec.workload import Mlops, Workload

# The registered clouds (aiinfra.clouds), as a Literal of their names in registry order.
if TYPE_CHECKING:
    Cloud = str
else:
    Cloud = clouds.cloud_literal()  # a Literal of the registered clouds, known only at run time
Capacity = Literal["on-demand", "spot", "reserved", "flex-start"]
# What scales node pools with nodes: {min, max}; which a cloud offers is its profile's `autoscalers`.
Autoscaling = Literal["auto", "karpenter", "cluster-autoscaler", "nap", "none"]
_BUCKET_URLS = clouds.bucket_urls()


def _cidr(v: str, prefixes: tuple[int, int] = (0, 32), example: str = "203.0.113.0/24") -> str:
    """An IPv4 range in CIDR form with no host bits, within the allowed prefix lengths."""
    import ipaddress

    try:
        net = ipaddress.ip_network(v, strict=False)
    except ValueError:
        raise Invalid(f"{shown(v)} is not an IP range in CIDR form (address/prefix)", f"write it like {example}") from None
    if net.version != 4:
        raise Invalid(f"{shown(v)} is an IPv6 range; aiinfra takes IPv4 ranges here", f"write it like {example}")
    lo, hi = prefixes
    if "/" not in v:
        fixed = ipaddress.ip_network(f"{v.strip()}/{32 if hi == 32 else lo}", strict=False)
        raise Invalid(f"{shown(v)} has no prefix length", f"write it as {fixed}")
    if str(net) != v.strip():
        raise Invalid(f"{shown(v)} has address bits set after the /{net.prefixlen} prefix", f"did you mean {net}?")
    if not lo <= net.prefixlen <= hi:
        fixed = ipaddress.ip_network(f"{net.network_address}/{lo if net.prefixlen < lo else hi}", strict=False)
        raise Invalid(f"{shown(v)} is a /{net.prefixlen}; the network must be /{lo} to /{hi} so that aiinfra can cut zone subnets from it", f"e.g. {fixed}")
    return v.strip()


def _vpc_cidr(v: str) -> str:
    return _cidr(v, (16, 24), "10.0.0.0/16")


Cidr = Annotated[str, Field(max_length=43), AfterValidator(_cidr)]


GpuText = Annotated[str, Field(pattern=GPU_PATTERN)]
# A pydantic model built at import (aiinfra.spec.gpu.query_model): mypy cannot use it in annotations, hence the ignores.
GpuQuery = query_model()


class Reservation(_Strict):
    """Reserved capacity as an object; a plain string is a targeted reservation's id. Which shapes a cloud
    takes (id form, kinds, blocks) is its profile's `reservation` (aiinfra.clouds.ReservationShape)."""

    id: str = Field(min_length=1, max_length=512, description="the reservation's id, name or resource id")
    kind: Literal["targeted", "capacity-block"] = Field(default="targeted", description="capacity-block: a capacity block for ML (prepaid, time-boxed)")
    block: str | None = Field(default=None, max_length=63, description="one block of the reservation (a reservation block)")
    price_per_hour: float | None = Field(default=None, gt=0, le=10_000, description="USD per node-hour paid for the reservation; default: the catalog's on-demand price")


class NodePool(_Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN, max_length=24, description="lowercase letters, digits, hyphens")]
    gpu: Annotated[
        GpuText | list[GpuText] | GpuQuery | None,  # type: ignore[valid-type]
        Field(
            default=None,
            description=(
                "accelerator and count per node, e.g. H100:8 or A100-80GB:4, or a list of alternatives in order of "
                "preference (the first one offered in the region is used), or what they add up to: "
                "{total: 16, models: [A100-80GB, H100]} (nodes follow) or {per_node: 8, min_memory_gib: 80}; leave out for a CPU pool"
            ),
        ),
    ] = None
    accelerator: Annotated[GpuText | list[GpuText] | GpuQuery | None, Field(default=None, description=ACCELERATOR_DOC)] = None  # type: ignore[valid-type]
    topology: str | None = Field(
        default=None, max_length=16, description="TPU slice topology, e.g. 4x4 or 2x2x2; a multi-host slice's node count follows from it"
    )
    nodes: int | Range = Field(default=1, description="fixed size, or {min, max} for autoscaling")
    capacity: Capacity = "on-demand"
    instance_type: str | None = Field(
        default=None, max_length=64, description="pin an instance type / machine type / VM size; one outside aiinfra's catalog is used as written, unpriced"
    )
    price_per_hour: float | None = Field(default=None, gt=0, le=10_000, description="with instance_type: USD per node-hour, for a type the catalog has no price for (or yours)")
    cpus: int | None = Field(default=None, ge=1, le=MAX_CPUS, description="CPU pools: at least this many vCPUs per node")
    memory_gib: float | None = Field(default=None, gt=0, le=MAX_MEMORY_GIB, description="CPU pools: at least this much RAM per node")
    zone: str | None = Field(default=None, max_length=40, description="pin the pool to one zone (needed to match a reservation)")
    reservation: str | Reservation | None = Field(
        default=None, description="with capacity: reserved: the reservation's id, or {id, kind: capacity-block} / {id, block} / {id, price_per_hour}"
    )
    queued: bool = Field(default=False, description="flex-start pools: nodes only through ProvisioningRequests (queued provisioning)")
    disk_gib: int = Field(default=defaults.DISK_GIB, ge=20, le=MAX_DISK_GIB, description="root volume size per node")
    labels: dict[Annotated[str, Field(max_length=63)], Annotated[str, Field(max_length=63)]] = Field(default_factory=dict, max_length=MAX_TAGS)
    utilization: float | None = Field(
        default=None, description="share of the accelerators' and CPUs' power the pool draws on average, 0 to 1, for its energy and carbon estimate (default 0.5)"
    )

    @field_validator("utilization", mode="before")
    @classmethod
    def _share(cls, v: Any) -> Any:
        if v is None:
            return v
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise Invalid(f"utilization must be a number from 0 to 1 (got {shown(v)})", "e.g. utilization: 0.8 for a busy training pool, 0.3 for an inference pool")
        return float(v)
    dra: bool | None = Field(default=None, description=DRA_DOC)
    nvlink_domains: Literal["whole", "partial"] = Field(default="whole", description=NVLINK_DOC)

    @field_validator("nodes", mode="before")
    @classmethod
    def _no_negative(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise Invalid(f"nodes must be a number or {{min, max}}, not {str(v).lower()}", "e.g. nodes: 2, or nodes: {min: 1, max: 4}")
        if isinstance(v, int) and v < 0:
            raise Invalid(f"nodes cannot be negative (got {v})", "e.g. nodes: 2, or nodes: {min: 0, max: 4} to scale from zero")
        if isinstance(v, int) and v > MAX_POOL_NODES:
            raise Invalid(f"{shown(v)} nodes is more than one node pool can hold (at most {MAX_POOL_NODES:,})", LIMIT_REASONS["nodes"])
        return v

    @model_validator(mode="after")
    def _one_accelerator_field(self) -> NodePool:
        if self.accelerator is not None and self.gpu is not None:
            raise Invalid("accelerator and gpu are both given; gpu is the older name of accelerator", f"keep one: accelerator: {self.accelerator}")
        if self.accelerator is not None:
            self.gpu = self.accelerator  # one field downstream; accelerator_field keeps what the user wrote for error paths
        return self

    @property
    def accelerator_field(self) -> str:
        return "accelerator" if self.accelerator is not None else "gpu"

    @model_validator(mode="after")
    def _capacity_consistent(self) -> NodePool:
        capacity_rules(self)
        if self.reservation and self.capacity != "reserved":
            raise Invalid("reservation is set but capacity is not 'reserved'", "set capacity: reserved, or remove reservation")
        if self.capacity == "reserved" and not self.reservation:
            raise Invalid("capacity: reserved needs the reservation to use", "add reservation: <reservation id>, or use capacity: on-demand")
        if self.gpu and (self.cpus or self.memory_gib):
            raise Invalid("cpus/memory_gib only size CPU pools; a GPU pool's size follows from gpu:", "remove cpus and memory_gib from this pool")
        return self

    _topology_shape = field_validator("topology")(topology_shape)

    @field_validator("gpu", "accelerator")
    @classmethod
    def _alternatives_not_empty(cls, v: Any) -> Any:
        if isinstance(v, list) and not v:
            raise Invalid("an empty list of GPUs", "list at least one, e.g. gpu: [L4:1, A10:1], or leave gpu out for a CPU pool")
        return v

    @property
    def reservation_id(self) -> str | None:
        return self.reservation.id if isinstance(self.reservation, Reservation) else self.reservation

    @property
    def reservation_kind(self) -> str | None:
        if self.reservation is None:
            return None
        return self.reservation.kind if isinstance(self.reservation, Reservation) else "targeted"

    @property
    def gpu_query(self) -> GpuQuery | None:  # type: ignore[valid-type]
        """The `{total:, per_node:, models:, min_memory_gib:}` form, which the resolver turns into one shape per region."""
        return self.gpu if isinstance(self.gpu, GpuQuery) else None

    @model_validator(mode="after")
    def _total_sets_nodes(self) -> NodePool:
        if self.gpu_query is not None and self.gpu_query.total and "nodes" in self.model_fields_set:
            raise Invalid(f"nodes follow from gpu: total: {self.gpu_query.total} (the shape the region offers)", "remove nodes:, or write gpu: MODEL:COUNT with nodes:")
        if self.gpu_query is not None and self.instance_type:
            raise Invalid("instance_type pins the shape, so gpu: cannot ask for a total or a memory", "write gpu: MODEL:COUNT, or remove instance_type")
        return self

    @property
    def gpu_options(self) -> list[str]:
        """The MODEL:COUNT alternatives as written ([] for a `total:`/`per_node:` request until the resolver picks its shape)."""
        if self.gpu is None or self.gpu_query is not None:
            return []
        return [self.gpu] if isinstance(self.gpu, str) else list(self.gpu)

    @property
    def gpu_requests(self) -> list[GpuRequest]:
        """The alternatives as typed values; the field pattern already guaranteed they parse."""
        return [GpuRequest.parse(g) for g in self.gpu_options]

    @property
    def nodes_min(self) -> int:
        return self.nodes.min if isinstance(self.nodes, Range) else self.nodes

    @property
    def nodes_max(self) -> int:
        return self.nodes.max if isinstance(self.nodes, Range) else self.nodes


class Registry(_Strict):
    repositories: list[Annotated[str, Field(pattern=NAME_PATTERN, max_length=64)]] = Field(default_factory=list)


class Identity(_Strict):
    """The Kubernetes service account whose pods may read and write the environment's buckets."""

    namespace: Annotated[str, Field(pattern=NAME_PATTERN, max_length=63)] = "ml"
    service_account: Annotated[str, Field(pattern=NAME_PATTERN, max_length=63)] = "workload"


class Network(_Strict):
    cidr: Annotated[str, Field(max_length=43), AfterValidator(_vpc_cidr)] = "10.0.0.0/16"
    nat_gateways: Literal["one", "per-zone"] = "one"
    zones: int = Field(default=2, ge=2, le=4, description="zones to spread subnets over")


class Cluster(_Strict):
    kubernetes_version: str = Field(default_factory=kubernetes_versions.default_version, pattern=K8S_VERSION_PATTERN)
    public_endpoint: bool = Field(default=False, description="also expose the API server publicly")
    public_access_cidrs: list[Cidr] = Field(default_factory=list, max_length=40)
    admins: list[Annotated[str, Field(max_length=256)]] = Field(default_factory=list, max_length=100, description="principals granted cluster admin")
    autoscaling: Autoscaling = Field(
        default="auto",
        description=(
            "what scales pools with nodes: {min, max}: auto (Karpenter on EKS, the built-in cluster autoscaler on GKE and AKS), "
            "karpenter (EKS), cluster-autoscaler (EKS: the upstream chart; GKE, AKS: built in), nap (AKS node auto-provisioning), "
            "none (pools stay at min)"
        ),
    )
    deletion_protection: bool = Field(
        default=defaults.DELETION_PROTECTION,
        description="refuse to delete the cluster until this is turned off; set false for throwaway environments",
    )

    @model_validator(mode="after")
    def _public_needs_cidrs(self) -> Cluster:
        if self.public_access_cidrs and not self.public_endpoint:
            raise Invalid("public_access_cidrs is set but public_endpoint is false", "set public_endpoint: true, or remove public_access_cidrs")
        if "0.0.0.0/0" in self.public_access_cidrs:
            raise Invalid("public_access_cidrs must not contain 0.0.0.0/0 (the whole internet)", "list your office or VPN ranges, e.g. [203.0.113.0/24]")
        return self


class _EnvironmentFields(_Strict):
    name: Annotated[str, Field(pattern=NAME_PATTERN, min_length=3, max_length=24)]
    cloud: Cloud
    region: str = Field(max_length=MAX_REGION, description="the cloud's region; on cloud: existing the kubeconfig context (an EKS ARN is fine)")
    node_pools: list[NodePool] = Field(default_factory=list)
    storage: Storage = Field(default_factory=Storage)
    registry: Registry = Field(default_factory=Registry)
    identity: Identity = Field(default_factory=Identity)
    network: Network = Field(default_factory=Network)
    cluster: Cluster = Field(default_factory=Cluster)
    tags: dict[Annotated[str, Field(max_length=128)], Annotated[str, Field(max_length=256)]] = Field(default_factory=dict, max_length=MAX_TAGS)
    policy: Policy = Field(default_factory=Policy)
    mlops: Mlops = Field(default_factory=Mlops)

    @model_validator(mode="after")
    def _unique_names(self) -> _EnvironmentFields:
        seen: set[str] = set()
        for pool in self.node_pools:
            if pool.name in seen:
                raise Invalid(f"duplicate node pool name {pool.name!r}; pool names must be unique", f"rename one of the pools called {pool.name}")
            seen.add(pool.name)
        if len(set(self.storage.buckets)) != len(self.storage.buckets):
            raise Invalid("storage.buckets lists a bucket twice", "remove the repeated name")
        return self


def _environment_spec() -> type[_EnvironmentFields]:
    """EnvironmentSpec with one settings section per registered cloud (`gcp:`, `azure:`, ...), before `workload:`."""
    sections: dict[str, Any] = {
        p.name: (p.settings_model, Field(default_factory=p.settings_model)) for p in clouds.all_facts() if p.settings_model is not None
    }
    return create_model(
        "EnvironmentSpec",
        __base__=_EnvironmentFields,
        __module__=__name__,
        __doc__="One environment: a cluster, its node pools, storage and identity, on one cloud.",
        **sections,
        workload=(Workload, Field(default_factory=Workload)),
    )


if TYPE_CHECKING:

    class EnvironmentSpec(_EnvironmentFields):
        """What a type checker sees: the fields every cloud has. Each cloud's settings section (`spec.<cloud>`) is
        added at run time from the registry, so the cloud's own code, the only reader, types it itself."""

        workload: Workload

else:
    EnvironmentSpec = _environment_spec()


def json_schema() -> dict[str, Any]:
    schema = EnvironmentSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "aiinfra environment"
    return schema


def parse_spec(text: str, source: str = "<spec>") -> EnvironmentSpec:
    from aiinfra.spec.errors import problems_from_validation
    from aiinfra.spec.file import load_yaml, quote_hints

    data, duplicates, typed = load_yaml(text, source)
    if data is None:
        raise SpecError(source, [*duplicates, Problem("(top level)", "the file is empty", "start from an example in stacks/")])
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        raise SpecError(source, [*duplicates, Problem("(top level)", f"expected a mapping of fields (name:, cloud:, region: ...), got {kind}", "start from an example in stacks/", data)])
    try:
        spec = EnvironmentSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(source, [*duplicates, *quote_hints(problems_from_validation(exc, EnvironmentSpec), typed)], unparsed=(data, exc)) from None
    if duplicates:
        raise SpecError(source, duplicates)
    return spec


def load_spec(path: str | Path) -> EnvironmentSpec:
    from aiinfra.spec.file import read_text

    return parse_spec(read_text(path), str(path))
