"""The facts contract: what every components/<cloud>/facts.py declares about its cloud (names, capabilities,
patterns, the settings model, schemes), with no hooks and no spec or resolved types, so the spec builds its schema
from the registry (aiinfra.clouds) without loading a profile. components/<cloud>/profile.py extends the facts with
the hooks resolve, program and deploy call (components/base/profile.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

if TYPE_CHECKING:
    from pydantic import BaseModel

# What every profile declares in `capabilities`, and what each one means (shown by `aiinfra catalog` and errors).
CAPABILITIES = {
    "fabrics": "GPU-to-GPU network fabrics its GPU node pools can attach",
    "spot": "spot / preemptible GPU capacity (capacity: spot)",
    "reservations": "reserved capacity named in the spec (capacity: reserved)",
    "zoneless_regions": "regions without availability zones, where pools run without zone pinning",
    "capacity_blocks": "capacity blocks for ML (reservation: {id, kind: capacity-block})",
    "flex_start": "flex-start capacity that waits for GPUs and scales from zero (capacity: flex-start)",
    "queued_provisioning": "queued provisioning of flex-start nodes (queued: true)",
}


# What every profile must set (the rest has defaults).
REQUIRED = ("name", "display", "article", "kubernetes", "sdk_module", "pulumi_package", "example_region", "bucket_scheme")
# What every profile must name in `terms`.
TERMS = ("network", "nat", "bucket", "registry", "identity")


@dataclass(frozen=True)
class Capability:
    """Whether a cloud offers a feature, what exactly (e.g. fabric kinds), and why: messages quote the reason."""

    supported: bool
    reason: str
    offers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReservationShape:
    """What a cloud's `reservation:` looks like: its id form (a regex, said in words with an example) and
    whether the cloud has reservation blocks."""

    id_pattern: str
    id_words: str
    example: str
    blocks: bool = False
    block_pattern: str = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
    # Where a reservation lives in one zone, why the pool must name it and how to find it ("" : not zonal).
    zonal: str = ""
    zone_lookup: str = ""


@dataclass(frozen=True)
class CapacityErrors:
    """How the cloud says it is out of capacity or quota, as regexes over a failed update's messages: the
    failover in `up` (aiinfra.deploy.failover) retries a pool on the next candidate only for `capacity`."""

    capacity: tuple[str, ...] = ()
    quota: tuple[str, ...] = ()
    failed_zone: tuple[str, ...] = ()  # regexes whose group 1 is the zone that ran out (messages also name zones that did not)


class CloudFacts:
    """Everything aiinfra knows about one cloud as plain data. Subclass it in components/<cloud>/facts.py and
    decorate the class with `@declare`; the cloud's profile subclasses that class and CloudProfile."""


    name: str  # the spec's `cloud:` value
    display: str  # "AWS": in messages
    article: str  # "an AWS": "... is not an AWS region"
    kubernetes: str  # the managed Kubernetes service: "EKS"
    order: int = 100  # position in cloud lists, the schema's enum and `aiinfra catalog`
    sdk_module: str  # the Pulumi SDK's Python module (the pip extra is the cloud's name)
    pulumi_package: str  # the package part of its type tokens: "azure-native"
    example_region: str  # the catalog's reference_region, for help texts
    settings: str | None = None  # "module:Class" of the spec's `<name>:` section (pydantic), if the cloud has one
    pattern_words: Mapping[str, str] = {}  # settings' regex patterns, as error messages say them
    backend_scheme: str | None = None  # a Pulumi state backend this cloud hosts ("s3://")
    bucket_scheme: str  # data URL scheme of its buckets ("s3" -> s3://bucket)
    bucket_types: tuple[str, ...] = ()  # type tokens of bucket resources in a stack's state
    bucket_type_prefixes: tuple[str, ...] = ()  # ... or type token prefixes (Azure: any storage resource)
    credential_fixes: tuple[str, ...] = ()  # commands that give the deploy commands credentials
    verify_command: tuple[str, ...] = ()  # asks the cloud who we are, where its CLI is installed
    unverifiable_sources: tuple[str, ...] = ()  # credential sources the CLI cannot check (prefixes)
    accelerator_type_required: bool = False  # a pinned GPU type needs the catalog's accelerator name (GKE)
    gpu_operator_values: Mapping[str, Mapping[str, Any]] = {}  # GPU-operator values per gpu_stack() row
    dra_driver_root: Mapping[str, str] = {}  # where the NVIDIA driver lives on the node, per gpu_stack() row (the DRA driver's nvidiaDriverRoot)
    # The manifest (charts.yaml `manifests`) that installs the NVIDIA driver on `dra: true` pools of a host
    # architecture, where the cloud installs none on them (GKE); empty where the node image or the cloud brings it.
    dra_driver_installers: Mapping[str, str] = {}
    nvidia_runtime_class: Mapping[str, bool] = {}  # does a GPU node carry an `nvidia` RuntimeClass, per row
    storage_class: Mapping[str, Any] | None = None  # a default encrypted StorageClass, where the cluster has none
    capabilities: Mapping[str, Capability] = {}
    reservation: ReservationShape | None = None  # the shape of `reservation:` where the cloud has reservations
    pool_zones: Literal["network", "region"] = "network"  # where a pool may be placed: the network's zones (node subnets) or any of the region's
    capacity_errors: CapacityErrors = CapacityErrors()
    account_field: str | None = None  # the settings field naming the account ("project"), where the spec can name one
    placeholder_in_program: bool = False  # offline, the program uses the placeholder account (else the ambient one)
    # What may scale its node pools (`cluster.autoscaling`): provisioner -> how preview names it; `auto` picks
    # `default_autoscaler`. A provisioner missing here is an error naming the clouds that have it.
    autoscalers: Mapping[str, str] = {}
    default_autoscaler: str = "none"
    # Resource types `down` removes in a targeted destroy before everything else, and waits for (the provisioner's
    # node pools: their deletion waits until the instances they launched are gone).
    down_first: tuple[str, ...] = ()
    # What the cloud calls each piece, for pictures and messages: network, nat, bucket, registry, identity.
    terms: Mapping[str, str] = {}
    # The spec's `<name>:` section as `aiinfra init` writes it (str.format with name, project); "" when none.
    starter_settings: str = ""
    # The managed service's cap on one node pool (node group), per zone where `max_pool_nodes_per_zone`, and
    # where the figure comes from; None: no cap known.
    max_pool_nodes: int | None = None
    max_pool_nodes_per_zone: bool = False
    max_pool_nodes_source: str = ""
    # The Gateway that cache-aware routing (mlops.routing) puts in front of the InferencePool, where the cloud offers
    # its own: gateway_class, the llm-d router chart's provider, the charts and manifests it still needs, the
    # Gateway's annotations, whether the HTTPRoute may set a request timeout, the Kubernetes minor from which the
    # cluster has the InferencePool CRD, and why. None: the upstream implementation (catalog/data/serving.yaml routing.upstream).
    inference_gateway: Mapping[str, Any] | None = None

    @property
    def settings_model(self) -> type[BaseModel] | None:
        """The settings class, imported only when the spec model is built (profiles load without pydantic)."""
        if not self.settings:
            return None
        module, _, name = self.settings.partition(":")
        return getattr(importlib.import_module(module), name)

