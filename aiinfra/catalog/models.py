"""Typed shape of the catalog data files, so a typo in a data file fails loudly at load time."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class RegionPrice(_Strict):
    """Hourly USD prices of one instance type in one region; None where the source has none."""

    on_demand: float | None = Field(default=None, ge=0)
    spot: float | None = Field(default=None, ge=0)


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
    flags: list[str] = Field(default_factory=list)
    notes: str | None = None


class FixedCost(_Strict):
    """A cost per hour of each resource of one type that the program creates (counted from the preview)."""

    hourly_usd: float = Field(ge=0)
    resource_type: str = Field(description="Pulumi type token whose instances incur this cost")
    label: str
    source: str
    verified: bool = True


class CloudCatalog(_Strict):
    cloud: Literal["aws", "gcp", "azure"]
    reference_region: str
    sources: dict[str, Source]
    regions: dict[str, list[str]] = Field(description="every region the tool accepts, with its zone names")
    fixed_costs: dict[str, FixedCost]
    system_pool: dict[str, str | int]
    instance_types: dict[str, InstanceType]


class Gpu(_Strict):
    name: str
    memory_gib: int = Field(description="memory as sold (cloud APIs report A10G/L4 as 22.35 GiB)")
    aliases: list[str] = Field(default_factory=list)
    vendor: str = "nvidia"
    bf16_tflops: float | None = Field(default=None, description="dense peak, for MFU")
    source: str


class GpuList(_Strict):
    gpus: list[Gpu]
