"""What the resolver decided: the Pulumi program's only input (after pulumi-eks's `createCore → CoreData`).

Kept apart from aiinfra.resolve so that components, the workload rule and the manifests read decisions without
importing the resolver or the catalog; every fact a component needs (machine and accelerator names, disks,
fabric layout, taints, zones, the Azure GPU driver) is a field here, and the user's spec is never rewritten.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiinfra import defaults

if TYPE_CHECKING:  # annotations only: no pydantic or catalog import for components that read these records
    from aiinfra.catalog.models import Fabric, FabricNetworks, Taint
    from aiinfra.components.base.accounts import Account
    from aiinfra.problems import Problem
    from aiinfra.spec import EnvironmentSpec


POOL_LABEL = "aiinfra.dev/pool"  # the node label aiinfra puts on every pool's nodes: the spec's pool name


@dataclass(frozen=True)
class PoolShape:
    """One instance type a provisioner (Karpenter) may launch for a pool besides the resolver's choice: the cheapest
    offered type of another of the pool's `gpu:` alternatives."""

    instance_type: str
    gpu: str | None
    gpus_per_node: int
    vcpus: int
    memory_gib: float


@dataclass(frozen=True)
class ResolvedPool:
    name: str
    instance_type: str
    gpu: str | None
    gpus_per_node: int
    nodes_min: int
    nodes_max: int
    capacity: str
    fabric: Fabric | None
    hourly_usd_per_node: float | None
    price_note: str | None
    reason: str
    price_origin: Any = None  # aiinfra.catalog.freshness.Origin of hourly_usd_per_node (None: not in the catalog)
    zone: str | None = None
    reservation: str | None = None  # the reservation's id (name, ARM id)
    reservation_kind: str | None = None  # "targeted" or "capacity-block" where reserved
    reservation_block: str | None = None  # one block of the reservation (GKE reservation blocks)
    queued: bool = False  # flex-start nodes only through ProvisioningRequests (GKE queued provisioning)
    disk_gib: int = defaults.DISK_GIB
    labels: dict[str, str] = field(default_factory=dict)
    system: bool = False
    vcpus: int = 0
    memory_gib: float = 0
    machine_type: str = ""  # the name the cloud's API takes (GKE: the catalog's machine_type); "" = instance_type
    accelerator_type: str | None = None  # GKE's accelerator name of the GPU
    boot_disk_type: str | None = None
    local_ssd_count: int = 0
    network_gbps: float | None = None  # host network bandwidth (fabric-less pools' acceptance test target)
    fabric_networks: FabricNetworks | None = None  # GKE: the extra networks the fabric's GPU NICs attach to
    taints: tuple[Taint, ...] = ()  # taints the cloud itself puts on nodes of this capacity (AKS spot)
    zones: tuple[str, ...] = ()  # the region's zones that offer the type, in the region's order
    family: str | None = None  # the accelerator's family (nvidia, tpu, neuron, amd); None for CPU pools
    accelerator_resource: str | None = None  # the extended resource pods request (google.com/tpu, ...)
    accelerator_taint: Taint | None = None  # the taint aiinfra puts on the pool (nvidia.com/gpu, aws.amazon.com/neuron, ...)
    topology: str | None = None  # TPU slice topology (GKE placement_policy.tpu_topology)
    accelerator_labels: dict[str, str] = field(default_factory=dict)  # node labels the cloud sets for the accelerator (GKE TPU)
    architecture: str = "x86_64"  # the host CPU (arm64: NVIDIA Grace, AWS Graviton), from catalog/data/instance_families.yaml
    accelerator_known: bool = True  # False: a pinned type outside the catalog and the family table, taken as a CPU pool
    alternatives: tuple[PoolShape, ...] = ()  # the other offered `gpu:` alternatives, in the spec's order (same accelerator family)
    fallbacks: tuple[ResolvedPool, ...] = ()  # the later gpu: alternatives offered here, each resolved alone (fallbacks)
    compute_class: str | None = None  # GKE: the ComputeClass the pool's nodes carry and its pods select
    selected_nodes: tuple[str, ...] = ()  # cloud: existing: the names of the cluster's nodes the pool takes
    carried_labels: dict[str, str] = field(default_factory=dict)  # cloud: existing: the labels all those nodes carry (from the snapshot)
    # cloud: existing: labels those nodes already carry that select exactly them; pods select these and aiinfra
    # labels no node. Empty: pods select aiinfra's pool label (every cloud's pools carry it; existing: a NodePatch).
    node_selector: dict[str, str] = field(default_factory=dict)
    nvlink_domain: Any = None  # aiinfra.catalog.models.NvlinkDomain of a GB200/GB300 rack type; None elsewhere
    dra: bool = False  # whole GPUs through the NVIDIA DRA driver (the device plugin is off on these nodes)
    topology_request: tuple[str, str] | None = None  # Kueue TAS: ("required" | "preferred", node label) for its training jobs

    @property
    def selector(self) -> dict[str, str]:
        """The node labels pods, Kueue flavors and the fit check select this pool's nodes by."""
        return dict(self.node_selector) or {POOL_LABEL: self.name}

    @property
    def dra_driver(self) -> bool:
        """The NVIDIA DRA driver's kubelet plugin runs here: for ComputeDomains (NVLink pools) or DRA GPUs."""
        return self.dra or self.nvlink_domain is not None

    def __post_init__(self) -> None:
        if not self.machine_type:
            object.__setattr__(self, "machine_type", self.instance_type)

    @property
    def fabric_kind(self) -> str | None:
        return self.fabric.kind if self.fabric else None

    @property
    def multi_host_slice(self) -> bool:
        """A TPU slice over several nodes (more chips in the topology than on one node): one atomic pool of nodes_max nodes."""
        if not self.topology or not self.gpus_per_node:
            return False
        return math.prod(int(d) for d in self.topology.split("x")) > self.gpus_per_node

    @property
    def multi_node(self) -> bool:
        return self.nodes_max > 1

    @property
    def tolerations(self) -> list[dict[str, str]]:
        """Tolerations for the taints the cloud puts on these nodes (not the GPU taint aiinfra sets); GKE taints the
        nodes of a ComputeClass with its name (components/gcp/compute_class.py)."""
        out = [t.toleration for t in self.taints]
        if self.compute_class:
            out.append({"key": "cloud.google.com/compute-class", "operator": "Equal", "value": self.compute_class, "effect": "NoSchedule"})
        return out


@dataclass(frozen=True)
class ResolvedFileSystem:
    """A shared file system as the cloud takes it (aiinfra.resolve.data_layer decides): capacity in the cloud's unit, the
    throughput tier, the zone beside the GPU pools, and its list price."""

    name: str
    kind: str
    service: str
    size_tib: float
    capacity: float  # in `unit`, as the cloud's API takes it
    unit: str  # "GiB" or "TiB"
    throughput: int  # MB/s per TiB
    tier: str | None  # the cloud's name for the tier (an SKU), where it has one
    zone: str | None
    import_from: str | None
    monthly_usd: float | None
    price_note: str
    deployment_type: str | None = None
    subnet_prefix: int = 0  # where the file system needs its own subnet: its size
    ports: tuple[int | str, ...] = ()

    @property
    def mount_path(self) -> str:
        return f"/mnt/{self.name}"

    @property
    def claim_name(self) -> str:
        """The PersistentVolumeClaim workloads mount."""
        return f"fs-{self.name}"


@dataclass(frozen=True)
class WorkloadPlan:
    """Where the reference workload runs (aiinfra.resolve.workload states the rule)."""

    train_pool: ResolvedPool
    serve_pool: ResolvedPool
    nodes: int
    fabric_pools: list[ResolvedPool]
    checkpoint_bucket: str
    model: str = "tiny"  # the trainer's --model preset
    replicas: tuple[int, int] | None = None  # served (min, max); None: 1 up to one a device of the serving pool
    scale_to_zero: dict | None = None  # what scales the server from zero (aiinfra.resolve.serving.plan), where replicas.min is 0
    serve_nodes: int | None = None  # nodes one served replica spans (a LeaderWorkerSet running vLLM); None: one device a replica
    routing: dict | None = None  # cache-aware routing's Gateway, router and pool (aiinfra.resolve.serving.routing_plan); None: round-robin
    engine: str = "reference"  # what serves: the reference server, or vllm (workload.serve_model); catalog/data/serving.yaml engines


# Where failover put a pool (aiinfra.resolve.placement applies it).
@dataclass(frozen=True)
class Record:
    pool: str
    instance_type: str
    zone: str | None
    chosen: str  # the UTC day failover chose it, YYYY-MM-DD
    was: str  # where the pool failed: "<instance type> in <zone>"
    pinned_zone: str | None = None  # the pool's zone: and instance_type: as written when it was chosen
    pinned_type: str | None = None

    def where(self) -> str:
        return f"{self.instance_type} in zone {self.zone}" if self.zone else f"{self.instance_type} (zone left to the cloud)"

    def describe(self) -> str:
        return f"pool {self.pool}: {self.where()}, chosen by failover on {self.chosen} (instead of {self.was})"

    def as_dict(self) -> dict[str, Any]:
        return {"instance_type": self.instance_type, "zone": self.zone, "chosen": self.chosen, "was": self.was,
                "spec": {"zone": self.pinned_zone, "instance_type": self.pinned_type}}


@dataclass(frozen=True)
class Recorded:
    """What the stack's config records, as `resolve()` takes it: the records, what could not be read, the raw value
    and the pools to leave where the spec puts them (`up --reset-placement`)."""

    records: tuple[Record, ...] = ()
    problems: tuple[str, ...] = ()
    raw: Any = None
    skip: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Placement:
    """How `resolve()` applied a Recorded: the records that hold (`used`) and those ignored, with why. `spec_pools`
    are the pools as the spec alone places them, which `after_failover` compares with."""

    recorded: Recorded
    used: tuple[Record, ...] = ()
    ignored: tuple[tuple[Record, str], ...] = ()
    spec_pools: tuple[ResolvedPool, ...] = ()

    @property
    def records(self) -> tuple[Record, ...]:
        return self.recorded.records

    @property
    def problems(self) -> tuple[str, ...]:
        return self.recorded.problems

    @property
    def raw(self) -> Any:
        return self.recorded.raw

    def kept(self) -> list[str]:
        return [f"{r.describe()}; kept from the stack's config" for r in self.used]

    def warnings(self) -> list[str]:
        return [f"pool {r.pool}: recorded {r.where()} ignored: {why}; the next successful `up` drops it" for r, why in self.ignored] + list(self.problems)

    def lines(self) -> list[str]:
        return self.kept() + self.warnings()

    def as_dict(self) -> dict[str, Any]:
        return {"used": {r.pool: r.as_dict() for r in self.used},
                "ignored": {r.pool: {**r.as_dict(), "why": why} for r, why in self.ignored}, "problems": list(self.problems)}


@dataclass(frozen=True)
class ResolvedEnvironment:
    spec: EnvironmentSpec
    pools: list[ResolvedPool]
    zones: list[str]
    warnings: list[Problem] = field(default_factory=list)
    account: Account | None = None
    region_zones: list[str] = field(default_factory=list)  # every zone of the region; `zones` are the network's
    gpu_driver: str | None = None  # AKS: who installs the NVIDIA driver ("aks" or "none"); None elsewhere
    workload: WorkloadPlan | None = None  # the reference workload's plan, where workload.enabled
    account_id: str | None = None  # the project / subscription the program uses (from `account`; the spec stays as written)
    filesystems: tuple[ResolvedFileSystem, ...] = ()  # storage.filesystems as the cloud takes them (aiinfra.resolve.data_layer)
    autoscaler: str = "none"  # cluster.autoscaling as the cloud takes it (a key of its profile's autoscalers, or "none")
    autoscaler_words: str | None = None  # how preview names it, with {pool} (the profile's autoscalers entry)
    kubernetes_extended: bool = False  # the version is past standard support: the cluster runs in paid extended support
    preinstalled: frozenset[str] = frozenset()  # charts.yaml keys the cluster already runs (cloud: existing): not installed again
    written_spec: EnvironmentSpec | None = None  # the spec as written where `gpu: {total:…}` pools were shaped for this region (spec is the shaped one)
    topology: tuple[str, tuple[str, ...]] | None = None  # Kueue TAS: (Topology name, node label levels widest first); None: off
    placement: Placement | None = field(default=None, compare=False)  # the stack's recorded placement as resolve() applied it; None: not asked

    # Plain facts of the spec as written, read-only: components read these, not `spec` (docs/architecture.md,
    # "Where components read the spec").
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def cloud(self) -> str:
        return self.spec.cloud

    @property
    def region(self) -> str:
        return self.spec.region

    @property
    def tags(self) -> dict[str, str]:
        return dict(self.spec.tags)

    @property
    def cidr(self) -> str:
        return self.spec.network.cidr

    @property
    def nat_gateways(self) -> Any:
        return self.spec.network.nat_gateways

    @property
    def cluster(self) -> Any:
        """The spec's cluster section (version, endpoint access, admins, deletion protection)."""
        return self.spec.cluster

    @property
    def mlops(self) -> Any:
        """The spec's mlops section: which add-ons run (nothing about them is resolved)."""
        return self.spec.mlops

    @property
    def buckets(self) -> list[str]:
        return list(self.spec.storage.buckets)

    @property
    def delete_with_environment(self) -> bool:
        return self.spec.storage.delete_with_environment

    @property
    def mount_buckets(self) -> bool:
        return self.spec.storage.mount_buckets

    @property
    def repositories(self) -> list[str]:
        """The registry's repositories; none named: one, named after the environment."""
        return list(self.spec.registry.repositories) or [self.spec.name]

    @property
    def namespace(self) -> str:
        """The workload identity's Kubernetes namespace (the platform's and the workload's too)."""
        return self.spec.identity.namespace

    @property
    def service_account(self) -> str:
        return self.spec.identity.service_account

    @property
    def workload_service_account(self) -> str:
        return f"{self.namespace}/{self.service_account}"

    def scaled_by(self, pool: ResolvedPool) -> str | None:
        """What scales the pool between its min and max, as preview says it; None for a fixed-size pool."""
        if pool.nodes_min == pool.nodes_max:
            return None
        words = self.autoscaler_words
        if not words:
            return "nothing (cluster.autoscaling: none): the pool stays at its minimum"
        fallbacks = ", ".join(a.instance_type for a in pool.fallbacks)
        return words.format(pool=pool.name) + (f", ComputeClass {pool.compute_class} (then {fallbacks})" if pool.compute_class else "")

    @property
    def gpu_pools(self) -> list[ResolvedPool]:
        return [p for p in self.pools if p.gpu]

    @property
    def system_pool(self) -> ResolvedPool:
        return next(p for p in self.pools if p.system)

    @property
    def worker_pools(self) -> list[ResolvedPool]:
        """The spec's node pools, without the system pool aiinfra adds."""
        return [p for p in self.pools if not p.system]

    def tolerations(self, pools: list[ResolvedPool] | None = None) -> list[dict[str, str]]:
        """Tolerations for the cloud's capacity taints on these pools (default: all), in capacity order, once each."""
        out: list[dict[str, str]] = []
        for pool in sorted(self.pools if pools is None else pools, key=lambda p: p.capacity):
            out += [t for t in pool.tolerations if t not in out]
        return out
