"""The node-pool contract every cloud shares (after pulumi-eks's NodeGroupBaseOptions): the common fields,
their one check() and the common aiinfra.dev/* node labels. A cloud's NodePoolArgs subclasses PoolCommon and
adds only what is its own (subnets, accelerator type, driver, ...); a new common field is added here once."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Literal

from aiinfra import defaults
from aiinfra.problems import Problem

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedPool

Capacity = Literal["on-demand", "spot", "reserved", "flex-start"]
CAPACITIES = ("on-demand", "spot", "reserved", "flex-start")
RESERVATION_KINDS = ("targeted", "capacity-block")
ARCHITECTURES = ("x86_64", "arm64")
# Kubernetes' taint effects as the EKS and GKE APIs spell them.
EFFECT_ENUM = {"NoSchedule": "NO_SCHEDULE", "PreferNoSchedule": "PREFER_NO_SCHEDULE", "NoExecute": "NO_EXECUTE"}


@dataclass(frozen=True)
class SystemPool:
    """The small fixed pool every cluster runs its add-ons on (ResolvedEnvironment.system_pool): one record through
    the pool contract instead of three loose numbers per cloud."""

    machine_type: str
    nodes: int = 2
    disk_gib: int = defaults.SYSTEM_DISK_GIB
    labels: dict[str, str] = field(default_factory=lambda: {"aiinfra.dev/role": "system"})

    @classmethod
    def from_resolved(cls, pool: ResolvedPool) -> SystemPool:
        return cls(pool.machine_type, pool.nodes_max, pool.disk_gib)


@dataclass(kw_only=True)
class PoolCommon:
    """Keyword-only, so a cloud's required fields (cluster, subnets, ...) stay first and positional."""

    pool: str | None = field(default=None, metadata={"doc": "the spec's pool name, the value of the aiinfra.dev/pool node label (default: the component name)"})
    nodes_min: int = 1
    nodes_max: int = 1
    capacity: Capacity = "on-demand"
    gpu: str | None = field(default=None, metadata={"doc": "canonical GPU model, e.g. H100; None for a CPU pool"})
    gpus_per_node: int = 0
    family: str | None = field(default=None, metadata={"doc": "accelerator family (nvidia, tpu, neuron, amd); None: nvidia where gpu is set"})
    accelerator_taint: Any = field(default=None, metadata={"doc": "the taint (key, value, effect) for the accelerator; None: the cloud's NVIDIA taint"})
    topology: str | None = field(default=None, metadata={"doc": "TPU slice topology (GKE)"})
    accelerator_labels: dict[str, str] = field(default_factory=dict, metadata={"doc": "node labels the cloud sets for the accelerator (GKE TPU)"})
    architecture: Literal["x86_64", "arm64"] = field(default="x86_64", metadata={"doc": "the host CPU: arm64 for NVIDIA Grace (GB200/GB300) and Graviton"})
    zone: str | None = field(default=None, metadata={"doc": "pin the pool to this zone"})
    reservation: str | None = None
    reservation_kind: str | None = field(default=None, metadata={"doc": "targeted (default with a reservation) or capacity-block"})
    reservation_block: str | None = field(default=None, metadata={"doc": "one block of the reservation, where the cloud has blocks"})
    queued: bool = field(default=False, metadata={"doc": "flex-start: nodes only through ProvisioningRequests (queued provisioning)"})
    fabric: Any = field(default=None, metadata={"doc": "the resolved fabric (catalog Fabric: kind, interfaces, layout); None without one"})
    nvlink_domain: Any = field(default=None, metadata={"doc": "the rack's NVLink domain (catalog NvlinkDomain) of a GB200/GB300 pool"})
    dra: bool = field(default=False, metadata={"doc": "whole GPUs through the NVIDIA DRA driver: the device plugin is off on these nodes"})
    disk_gib: int = defaults.DISK_GIB
    labels: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_resolved(cls, pool: ResolvedPool, **extras: Any) -> Any:
        """A cloud's Args from a resolved pool: every common field from the pool, the cloud's own from `extras`.
        The one place the resolver's pool fields are copied into a component."""
        common = {f.name: getattr(pool, f.name) for f in fields(PoolCommon) if f.name not in ("pool", "labels", "tags") and hasattr(pool, f.name)}
        common["pool"] = pool.name
        common["labels"] = dict(pool.labels)
        return cls(**{**common, **extras})

    @classmethod
    def from_pool(cls, system: SystemPool, **extras: Any) -> Any:
        """A cloud's Args for its system pool: a fixed size and the system label; the machine field is the cloud's own."""
        return cls(**{"pool": "system", "nodes_min": system.nodes, "nodes_max": system.nodes, "disk_gib": system.disk_gib, "labels": dict(system.labels), **extras})

    def pool_label(self, name: str) -> str:
        return self.pool or name

    @property
    def accelerator_family(self) -> str | None:
        return (self.family or "nvidia") if self.gpu else None

    def taint(self, nvidia: tuple[str, str, str]) -> tuple[str, str, str] | None:
        """(key, value, effect) of the pool's accelerator taint, effect as Kubernetes spells it; `nvidia` is the
        cloud's own NVIDIA taint for callers that pass no resolved taint. None for CPU pools."""
        if not self.gpu:
            return None
        t = self.accelerator_taint
        return (t.key, t.value, t.effect) if t is not None else nvidia


def check(args: PoolCommon) -> list[Problem]:
    """The API contract of every cloud's pool, paths relative to the Args. User-facing wording and hints for the
    same rules live in the spec; this guards direct component users."""
    problems = []
    if args.nodes_min < 0 or args.nodes_max < 1 or args.nodes_min > args.nodes_max:
        problems.append(Problem("nodes_min", f"nodes must satisfy 0 <= min <= max and max >= 1 (got {args.nodes_min}..{args.nodes_max})", value=args.nodes_min))
    if args.capacity not in CAPACITIES:
        problems.append(Problem("capacity", f"capacity is one of {', '.join(CAPACITIES)}", value=args.capacity))
    if args.capacity == "reserved" and not args.reservation:
        problems.append(Problem("reservation", "capacity 'reserved' needs a reservation", "set reservation to the cloud's reservation id or name"))
    if args.reservation_kind not in (None, *RESERVATION_KINDS):
        problems.append(Problem("reservation_kind", f"reservation_kind is one of {', '.join(RESERVATION_KINDS)}", value=args.reservation_kind))
    if (args.reservation_kind or args.reservation_block) and not args.reservation:
        problems.append(Problem("reservation", "reservation_kind and reservation_block describe a reservation; set reservation too"))
    if args.capacity == "flex-start" and (args.reservation or args.nodes_min != 0):
        problems.append(Problem("capacity", "flex-start pools scale from zero (nodes_min 0) and take no reservation", value=args.capacity))
    if args.queued and args.capacity != "flex-start":
        problems.append(Problem("queued", "queued provisioning is a mode of flex-start capacity", value=True))
    if bool(args.gpu) != (args.gpus_per_node > 0):
        problems.append(Problem("gpus_per_node", "gpu and gpus_per_node go together", value=args.gpus_per_node))
    if args.architecture not in ARCHITECTURES:
        problems.append(Problem("architecture", f"architecture is one of {', '.join(ARCHITECTURES)}", value=args.architecture))
    if args.disk_gib < 1:
        problems.append(Problem("disk_gib", "disk_gib is a positive number of GiB", value=args.disk_gib))
    return problems


# The NVIDIA DRA driver's kubelet plugin runs on nodes with this label (ComputeDomains on NVLink pools, GPUs where
# dra is on); the GPU operator skips its device plugin on nodes labelled so (one device manager per node, k8s-ai-2026.md §9.2).
DRA_LABEL = "aiinfra.dev/dra"
NO_DEVICE_PLUGIN = {"nvidia.com/gpu.deploy.device-plugin": "false"}


def node_labels(name: str, args: PoolCommon, accelerator_label: bool = True) -> dict[str, str]:
    """The aiinfra.dev/* labels every cloud puts on a pool's nodes; a cloud adds its fabric labels, then the user's."""
    labels = {"aiinfra.dev/pool": args.pool_label(name), "aiinfra.dev/capacity": args.capacity}
    if args.gpu:
        if accelerator_label:
            labels["accelerator"] = args.accelerator_family or "nvidia"
        labels.update({"aiinfra.dev/gpu": args.gpu, "aiinfra.dev/gpu-count": str(args.gpus_per_node)})
    if args.gpu and (args.dra or args.nvlink_domain is not None):
        labels[DRA_LABEL] = "true"
    if args.gpu and args.dra:
        labels.update(NO_DEVICE_PLUGIN)
    return labels
