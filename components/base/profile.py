"""The profile contract: the hooks every components/<cloud>/profile.py may override, over its facts
(components/base/facts.py), typed against the spec and the resolver's records: resolve, program and deploy call them.

Profiles are lightweight and stateless (SkyPilot's rule for its `Cloud` classes): importing one never imports the
cloud's Pulumi SDK, so `aiinfra --help` and `validate` stay fast. The registry (aiinfra.clouds) holds them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from aiinfra.components.base.facts import CloudFacts

if TYPE_CHECKING:
    from aiinfra.components.base.accounts import Account
    from aiinfra.problems import Problem
    from aiinfra.resolve.result import ResolvedPool
    from aiinfra.spec import EnvironmentSpec


class CloudProfile(CloudFacts):
    """A cloud's facts and hooks. Subclass it in components/<cloud>/profile.py together with the cloud's facts class
    and decorate the class with `@register`; keep SDK imports inside methods."""

    def credential_source(self, environ: Mapping[str, str], home: Path) -> str | None:
        """Where the deploy commands would find credentials (an env var or a file), read without running a CLI."""
        raise NotImplementedError(f"{self.name}: credential_source")

    def credentials_for(self, env: Any, environ: Mapping[str, str], home: Path) -> tuple[str | None, tuple[str, ...]]:
        """This environment's credential source and the command that verifies it: the cloud's own, unless the spec
        says where the credentials are (cloud: existing: its kubeconfig and context)."""
        return self.credential_source(environ, home), tuple(self.verify_command)

    def account(self, spec: EnvironmentSpec, environ: Mapping[str, str] | None = None) -> Account | None:
        """The account (project, subscription) the environment uses and where that came from; None: no account.
        It is a decision of the resolver (ResolvedEnvironment.account), never written into the spec."""
        return None

    def account_value(self, spec: EnvironmentSpec, found: Account | None) -> str | None:
        """The account the program uses: the one found (a placeholder only where `placeholder_in_program`), else
        what the spec names."""
        if found is not None:
            return found.value if (not found.placeholder or self.placeholder_in_program) else None
        section = getattr(spec, self.name, None)
        return getattr(section, self.account_field, None) if section is not None and self.account_field else None

    def check(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> list[Problem]:
        """Cloud-specific spec rules the catalog cannot state, with spec paths."""
        return []

    def pool_size_problems(self, spec: EnvironmentSpec) -> list[Problem]:
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

    def filesystem_subnets(self, spec: EnvironmentSpec, prefixes: list[int]) -> str | None:
        """Where file systems need subnets of their own (prefix lengths, one each): why the network has no room; None: fits."""
        return None

    def provisioning(self, spec: EnvironmentSpec, pools: list[ResolvedPool], autoscaler: str) -> tuple[list[ResolvedPool], list[Problem], list[Problem]]:
        """The pools as the chosen provisioner takes them (GKE: ComputeClasses), what it refuses (errors) and what
        it does differently from the spec's words (warnings), e.g. AKS NAP holding no minimum."""
        return pools, [], []

    def gpu_driver(self, spec: EnvironmentSpec, pools: list[ResolvedPool]) -> str | None:
        """Who installs the NVIDIA driver, where the cloud lets the spec choose (AKS); the resolver keeps the answer
        in ResolvedEnvironment.gpu_driver and never writes it into the spec. None: the cloud has no such choice."""
        return None

    def stack_config(self, env: Any) -> dict[str, str]:
        """Provider configuration of the environment's Pulumi stack."""
        raise NotImplementedError(f"{self.name}: stack_config")

    def kubeconfig(self, name: Any, endpoint: Any, ca_data: Any, region: Any = None) -> dict[str, Any]:
        """A credential-free kubeconfig whose exec plugin is the cloud's token helper."""
        raise NotImplementedError(f"{self.name}: kubeconfig")

    def catalog_for(self, spec: EnvironmentSpec, source: str | None = None) -> dict[str, Any] | None:
        """Catalog data built from the spec's own inputs (cloud: existing reads its cluster snapshot), which the
        resolver installs in place of catalog/data/<cloud>.yaml; None: the shipped file. Raises SpecError."""
        return None

    def unmatched(self, spec: EnvironmentSpec, gpu: str, count: int) -> tuple[str, str] | None:
        """(message, hint) where the cloud's offers are one cluster's nodes and none has count × gpu; None: ask the catalog."""
        return None

    def live_check(self, env: Any, source: str | None, offline: bool) -> tuple[list[Problem], str | None]:
        """Before a preview or up: the cloud as it is now against the recorded inputs the preview is built from
        (cloud: existing reads its cluster's nodes again); (problems that refuse the run, a note saying what was
        checked), ([], None) where the cloud has nothing recorded to compare."""
        return [], None

    def preinstalled(self, spec: EnvironmentSpec) -> frozenset[str]:
        """charts.yaml keys the cluster already runs, which the platform does not install (ResolvedEnvironment.preinstalled)."""
        return frozenset()

    def gpu_stack(self, gpu_driver: str | None) -> str:
        """The row of gpu_operator_values / nvidia_runtime_class for the resolved gpu_driver: who installs driver
        and toolkit on GPU nodes."""
        return self.name

    def mlflow_env(self, spec: EnvironmentSpec) -> dict[str, str] | None:
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

    def quota_needs(self, env: Any, pool: ResolvedPool) -> list[Any]:
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
