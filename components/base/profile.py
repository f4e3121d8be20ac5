"""The profile contract: what every components/<cloud>/profile.py declares (facts) and may override (hooks).

Profiles are lightweight and stateless (SkyPilot's rule for its `Cloud` classes): importing one never imports the
cloud's Pulumi SDK, so `aiinfra --help` and `validate` stay fast. The registry (aiinfra.clouds) holds them.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Mapping

if TYPE_CHECKING:
    from pydantic import BaseModel

    from aiinfra.problems import Problem
    from aiinfra.components.base.accounts import Account
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec

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


class CloudProfile:
    """Everything aiinfra knows about one cloud outside its components. Subclass it in components/<cloud>/profile.py
    and decorate the class with `@register`; keep SDK imports inside methods."""

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

    @property
    def settings_model(self) -> type["BaseModel"] | None:
        """The settings class, imported only when the spec model is built (profiles load without pydantic)."""
        if not self.settings:
            return None
        module, _, name = self.settings.partition(":")
        return getattr(importlib.import_module(module), name)

    def credential_source(self, environ: Mapping[str, str], home: Path) -> str | None:
        """Where the deploy commands would find credentials (an env var or a file), read without running a CLI."""
        raise NotImplementedError(f"{self.name}: credential_source")

    def account(self, spec: "EnvironmentSpec", environ: Mapping[str, str] | None = None) -> "Account | None":
        """The account (project, subscription) the environment uses and where that came from; None: no account.
        It is a decision of the resolver (ResolvedEnvironment.account), never written into the spec."""
        return None

    def account_value(self, spec: "EnvironmentSpec", found: "Account | None") -> str | None:
        """The account the program uses: the one found (a placeholder only where `placeholder_in_program`), else
        what the spec names."""
        if found is not None:
            return found.value if (not found.placeholder or self.placeholder_in_program) else None
        section = getattr(spec, self.name, None)
        return getattr(section, self.account_field, None) if section is not None and self.account_field else None

    def check(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"]) -> list["Problem"]:
        """Cloud-specific spec rules the catalog cannot state, with spec paths."""
        return []

    def pool_size_problems(self, spec: "EnvironmentSpec") -> list["Problem"]:
        """A pool larger than the service's per-pool cap (per zone: times the zones the pool may use)."""
        from aiinfra.problems import Problem

        if self.max_pool_nodes is None:
            return []
        out = []
        for i, pool in enumerate(spec.node_pools):
            zones = 1 if pool.zone or not self.max_pool_nodes_per_zone else spec.network.zones
            cap = self.max_pool_nodes * zones
            if pool.nodes_max > cap:
                per = f" per zone ({cap:,} over {zones} zones)" if self.max_pool_nodes_per_zone else ""
                out.append(Problem(f"node_pools[{i}].nodes", f"{self.kubernetes} caps a node pool at {self.max_pool_nodes:,} nodes{per}; nodes asks for {pool.nodes_max:,}",
                                   f"split the fleet over several pools of at most {cap:,} nodes ({self.max_pool_nodes_source})", pool.nodes_max))
        return out

    def filesystem_subnets(self, spec: "EnvironmentSpec", prefixes: list[int]) -> str | None:
        """Where file systems need subnets of their own (prefix lengths, one each): why the network has no room; None: fits."""
        return None

    def provisioning(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"], autoscaler: str) -> tuple[list["ResolvedPool"], list["Problem"], list["Problem"]]:
        """The pools as the chosen provisioner takes them (GKE: ComputeClasses), what it refuses (errors) and what
        it does differently from the spec's words (warnings), e.g. AKS NAP holding no minimum."""
        return pools, [], []

    def gpu_driver(self, spec: "EnvironmentSpec", pools: list["ResolvedPool"]) -> str | None:
        """Who installs the NVIDIA driver, where the cloud lets the spec choose (AKS); the resolver keeps the answer
        in ResolvedEnvironment.gpu_driver and never writes it into the spec. None: the cloud has no such choice."""
        return None

    def stack_config(self, env: Any) -> dict[str, str]:
        """Provider configuration of the environment's Pulumi stack."""
        raise NotImplementedError(f"{self.name}: stack_config")

    def kubeconfig(self, name: Any, endpoint: Any, ca_data: Any, region: Any = None) -> dict[str, Any]:
        """A credential-free kubeconfig whose exec plugin is the cloud's token helper."""
        raise NotImplementedError(f"{self.name}: kubeconfig")

    def catalog_for(self, spec: "EnvironmentSpec", source: str | None = None) -> dict[str, Any] | None:
        """Catalog data built from the spec's own inputs (cloud: existing reads its cluster snapshot), which the
        resolver installs in place of catalog/data/<cloud>.yaml; None: the shipped file. Raises SpecError."""
        return None

    def unmatched(self, spec: "EnvironmentSpec", gpu: str, count: int) -> tuple[str, str] | None:
        """(message, hint) where the cloud's offers are one cluster's nodes and none has count × gpu; None: ask the catalog."""
        return None

    def preinstalled(self, spec: "EnvironmentSpec") -> frozenset[str]:
        """charts.yaml keys the cluster already runs, which the platform does not install (ResolvedEnvironment.preinstalled)."""
        return frozenset()

    def gpu_stack(self, gpu_driver: str | None) -> str:
        """The row of gpu_operator_values / nvidia_runtime_class for the resolved gpu_driver: who installs driver
        and toolkit on GPU nodes."""
        return self.name

    def mlflow_env(self, spec: "EnvironmentSpec") -> dict[str, str] | None:
        """Extra environment variables the MLflow server needs to reach the bucket."""
        return None

    def artifact_root(self, bucket: str, account: str | None, path: str) -> dict[str, Any]:
        """MLflow's artifactRoot values for a bucket of this cloud."""
        raise NotImplementedError(f"{self.name}: artifact_root")

    def provisioned_as(self, env: Any, pool: Any) -> str | None:
        """How the pool's nodes come to be (node group, provisioner object) and why, as preview says it; None: not said."""
        return None

    def fixed_resources(self, env: Any) -> dict[str, int]:
        """Type token -> how many the components create, for the types with a fixed price (aiinfra.report.fixed_costs)."""
        raise NotImplementedError(f"{self.name}: fixed_resources")

    def mock_settings(self, env: Any) -> dict[str, Any]:
        """Account facts the offline mocks put into IDs: the cloud's settings section, with the account the program uses."""
        section = getattr(env.spec, self.name, None)
        data = section.model_dump() if section is not None else {}
        if self.account_field and env.spec.cloud == self.name:
            data[self.account_field] = self.account_value(env.spec, env.account)
        return data

    def quota_needs(self, env: Any, pool: "ResolvedPool") -> list[Any]:
        """What a pool at its maximum size asks of the cloud's quotas (aiinfra.deploy.quota.Need); [] where unknown."""
        return []

    def quota_lookup(self, env: Any, quotas: list[str]) -> Mapping[str, Any]:
        """Limits (and usage) of the named quotas from the cloud's API; raises QuotaUnavailable where it cannot."""
        from aiinfra.components.base.quotas import QuotaUnavailable

        raise QuotaUnavailable(f"aiinfra cannot read {self.display} quotas")

    def binding(self) -> dict[str, Any]:
        """How workload identity and buckets reach a pod, for `render --outputs` (templates/clouds.yaml, as data)."""
        from aiinfra.manifests.fabric import cloud_data

        return cloud_data()[self.name]
