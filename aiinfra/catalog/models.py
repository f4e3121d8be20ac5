"""Typed shape of the catalog data files, so a typo in a data file fails loudly at load time."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Family = Literal["nvidia", "tpu", "neuron", "amd"]
FabricKind = Literal["efa", "tcpx", "tcpxo", "rdma", "infiniband", "ethernet"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """Where a figure came from: what, which version, and when it was taken."""

    what: str
    version: str | None = None
    as_of: str
    url: str | None = None


class Fabric(_Strict):
    """The high-bandwidth GPU-to-GPU network of an instance type (not its host NIC)."""

    kind: FabricKind
    interfaces: int = Field(ge=1, description="fabric NICs per node (EFA interfaces, GPU NICs, IB HCAs)")
    gbps: int = Field(ge=1, description="total fabric bandwidth per node, Gbit/s")
    source: str
    verified: bool = True
    notes: list[str] = Field(default_factory=list, description="what a user must know or do to use this fabric; shown in the preview")
    primary_card_efa: bool = Field(default=True, description="EFA: network card 0 also carries an efa-only interface (False: it carries the ENA interface alone, P6e-GB200)")


class NvlinkDomain(_Strict):
    """A rack-scale NVLink domain (GB200/GB300 NVL72): nodes whose GPUs share one NVLink fabric through IMEX."""

    nodes: int = Field(ge=2, description="nodes in one full domain (NVL72: 18 nodes of 4 GPUs)")
    sizes: list[int] = Field(default_factory=list, description="node counts the capacity is sold in (AWS UltraServers: 9 and 18); default [nodes]")
    tas_level: str | None = Field(default=None, description="the Kueue Topology level (node label) that is one domain, where the cloud labels it")
    source: str

    @property
    def unit(self) -> int:
        """The smallest whole domain a pool can be made of."""
        return min(self.sizes or [self.nodes])


class RegionPrice(_Strict):
    """Hourly USD prices of one instance type in one region; None where the source has none."""

    on_demand: float | None = Field(default=None, ge=0)
    spot: float | None = Field(default=None, ge=0)
    flex_start: float | None = Field(default=None, ge=0, description="flex-start (GKE Dynamic Workload Scheduler) price, where published")
    sources: dict[Literal["on_demand", "spot"], str] = Field(
        default_factory=dict, description="per figure, the key into the file's sources where it comes from a regional price file (data/prices/) rather than the type's price_source"
    )


class InstanceType(_Strict):
    gpu: str | None = Field(default=None, description="canonical GPU model (gpus.yaml); None for CPU types")
    gpu_count: int = Field(default=0, ge=0)
    gpu_memory_gib: float | None = None
    vcpus: int = Field(ge=1)
    memory_gib: float = Field(gt=0)
    fabric: Fabric | None = None
    network_gbps: float | None = Field(default=None, description="host network bandwidth, Gbit/s")
    regions: dict[str, RegionPrice] = Field(description="regions where the type is offered, with prices")
    price_source: str = Field(description="key into the file's sources")
    spot_source: str | None = Field(default=None, description="key into the file's sources for the spot prices, where they come from another source than the on-demand ones")
    flags: list[str] = Field(default_factory=list)
    notes: str | None = None
    accelerator_type: str | None = Field(default=None, description="the cloud API's accelerator name (GKE: nvidia-h100-80gb)")
    machine_type: str | None = Field(default=None, description="VM machine type when the catalog name adds attached GPUs to a host (GCP n1 + T4); else the name")
    zones: dict[str, list[str]] = Field(default_factory=dict, description="per region, the zones that offer the type where known; a region not listed offers it in every zone")
    boot_disk_type: str | None = Field(default=None, description="boot disk type the machine type needs, where the cloud default does not fit")
    local_ssd_count: int = Field(default=0, ge=0, description="local SSDs to use as node ephemeral storage")
    nvlink_domain: NvlinkDomain | None = Field(default=None, description="GB200/GB300 NVL72: the NVLink domain the type's nodes form")
    sold_as: Literal["capacity-block"] | None = Field(default=None, description="the only way the type is sold (P6e UltraServers: EC2 Capacity Blocks)")


class FixedCost(_Strict):
    """A cost per hour of each resource of one type that the program creates (counted from the preview)."""

    hourly_usd: float = Field(ge=0)
    resource_type: str = Field(description="Pulumi type token whose instances incur this cost")
    label: str
    source: str
    verified: bool = True
    note: str | None = None  # shown in `cost` instead of the unverified-price note (a $0 item says why)


class FabricNetworks(_Strict):
    """The extra VPC networks a fabric kind needs on a cloud that gives GPU NICs their own networks (GKE).

    One network per GPU NIC for gVNIC fabrics (TCPX/TCPXO); one RDMA network with a subnet per GPU
    NIC for RoCE; host_networks more gVNIC networks for extra host NICs (A3 Ultra / A4 net-1).
    The NIC count is the instance type's fabric.interfaces.
    """

    gpu_nic: Literal["gvnic", "rdma"]
    host_networks: int = Field(default=0, ge=0)
    mtu: int = Field(ge=1300, le=8896)
    cidr: str = Field(description="range the GPU NIC subnets are cut from")
    subnet_prefix: int = Field(ge=8, le=29)
    host_cidr: str | None = None
    host_subnet_prefix: int | None = None
    network_profile: str | None = Field(default=None, description="network profile template ({zone}); RDMA networks need the zone's RoCE profile")
    k8s_name: str = Field(description="Kubernetes Network object name per GPU NIC, with {index}")
    k8s_first_index: int = 0
    host_k8s_name: str | None = None
    host_k8s_first_index: int = 1
    device_mode: Literal["NetDevice", "RDMA"]
    source: str
    verified: bool = True

    def gpu_nic_names(self, interfaces: int) -> list[str]:
        """Kubernetes Network names of the GPU NICs: node pools, GKE Network objects and pod annotations share them."""
        return [self.k8s_name.format(index=self.k8s_first_index + i) for i in range(interfaces)]

    def host_nic_names(self) -> list[str]:
        if not self.host_networks:
            return []
        assert self.host_k8s_name, "host_networks needs host_k8s_name"
        return [self.host_k8s_name.format(index=self.host_k8s_first_index + i) for i in range(self.host_networks)]


class Taint(_Strict):
    """A taint the cloud itself puts on nodes (not one aiinfra sets), which pods that must run there tolerate."""

    key: str
    value: str
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    source: str
    verified: bool = True

    @property
    def toleration(self) -> dict[str, str]:
        return {"key": self.key, "operator": "Equal", "value": self.value, "effect": self.effect}

    def __str__(self) -> str:
        return f"{self.key}={self.value}:{self.effect}"


class CloudCatalog(_Strict):
    cloud: str = Field(description="the registered cloud (aiinfra.clouds) this file describes")
    instance_type_pattern: str = Field(description="regular expression every instance type name of the cloud matches")
    instance_type_example: str
    reference_region: str
    sources: dict[str, Source]
    regions: dict[str, list[str]] = Field(description="every region the tool accepts, with its zone names")
    fixed_costs: dict[str, FixedCost]
    system_pool: dict[str, str | int]
    instance_types: dict[str, InstanceType]
    fabric_networks: dict[str, FabricNetworks] = Field(default_factory=dict, description="per fabric kind, the extra networks it needs (GCP)")
    capacity_taints: dict[Literal["on-demand", "spot", "reserved", "flex-start", "queued"], list[Taint]] = Field(
        default_factory=dict, description="taints the cloud puts on nodes of a capacity type (AKS spot)"
    )

    @field_validator("cloud")
    @classmethod
    def _registered(cls, value: str) -> str:
        from aiinfra import clouds

        if value not in clouds.names():
            raise ValueError(f"{value!r} is not a registered cloud ({', '.join(clouds.names())}): add components/{value}/profile.py")
        return value


class Gpu(_Strict):
    name: str
    memory_gib: int = Field(description="memory as sold (cloud APIs report A10G/L4 as 22.35 GiB)")
    aliases: list[str] = Field(default_factory=list)
    vendor: str = "nvidia"
    family: Family = Field(default="nvidia", description="the Kubernetes side of the model: accelerators.yaml families")
    bf16_tflops: float | None = Field(default=None, description="dense peak, for MFU")
    source: str


class GpuList(_Strict):
    gpus: list[Gpu]


class FamilyTaint(_Strict):
    """The taint aiinfra puts on a family's pools; `cloud_values` where a cloud's pools use another value."""

    key: str
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    value: str
    cloud_values: dict[str, str] = Field(default_factory=dict)

    def on(self, cloud: str, source: str) -> Taint:
        return Taint(key=self.key, value=self.cloud_values.get(cloud, self.value), effect=self.effect, source=source)


class AcceleratorFamily(_Strict):
    resource: str = Field(description="extended resource pods request, e.g. google.com/tpu")
    taint: FamilyTaint
    image: str | None = Field(default=None, description="the vendor's PyTorch image for the acceptance job; None: the reference image")
    backend: Literal["nccl", "gloo", "xla"]
    env: dict[str, str] = Field(default_factory=dict, description="runtime variables; {{ ranks }} is the processes per node")
    ranks_per_chip: dict[str, int] = Field(default_factory=dict, description="per model, processes per chip where not 1 (NeuronCores)")
    one_process_per_node: bool = Field(default=False, description="one process drives all chips of a node (TPU PJRT)")
    scheduler_name: str | None = Field(default=None, description="the scheduler the family's pods must use (Neuron scheduler extension)")
    train_model: Literal["tiny", "gpt2-124m"] | None = Field(default=None, description="the reference trainer's --model preset on this family; None: tiny")
    source: str
    verified: bool = True

    def ranks_per_node(self, model: str, chips: int) -> int:
        return 1 if self.one_process_per_node else chips * self.ranks_per_chip.get(model, 1)


class MultiHost(_Strict):
    chips_per_node: int = Field(ge=1)
    topologies: list[str]


class TpuGeneration(_Strict):
    accelerator: str = Field(description="value of GKE's cloud.google.com/gke-tpu-accelerator label")
    single_host: dict[int, str] = Field(description="chips per node -> the topology of that one-VM slice")
    multi_host: MultiHost


class TpuData(_Strict):
    accelerator_label: str
    topology_label: str
    generations: dict[str, TpuGeneration]


class AcceleratorData(_Strict):
    families: dict[Family, AcceleratorFamily]
    tpu: TpuData
