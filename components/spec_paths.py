"""Where a component's Args field comes from in the spec, so that a ComponentInputError raised while building
an environment reads like a spec problem (`node_pools[1].reservation`, not `reservation`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiinfra.components.base.errors import ComponentInputError

if TYPE_CHECKING:
    from aiinfra.resolve.result import ResolvedEnvironment

# Args field -> spec field, per component kind (the part of the type token after the cloud).
_POOL = {
    "pool": "name",
    "nodes_min": "nodes",
    "nodes_max": "nodes",
    "gpus_per_node": "gpu",
    "machine_type": "instance_type",
    "vm_size": "instance_type",
    "accelerator_type": "instance_type",
    "efa_interfaces": "instance_type",
    "infiniband": "instance_type",
    "architecture": "instance_type",
    "family": "instance_type",
    "candidate_zones": "zone",
    "subnets": "zone",
}
_SECTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "Cluster": ("cluster", {"vnet_cidr": "network.cidr", "system": "(system pool)"}),
    "Network": ("network", {"zones": "zones"}),
    "ObjectStorage": ("storage", {}),
    "ContainerRegistry": ("registry", {"images": "repositories"}),
    "WorkloadIdentity": ("identity", {}),
}


def at_spec(env: ResolvedEnvironment, err: ComponentInputError) -> ComponentInputError:
    """The error with its paths re-rooted at the spec field each component was built from, its source naming
    the environment. A node pool is found by its component name (`<env>-<pool>`)."""
    mapped = _rerooted(env, err)
    mapped.source = f"environment {env.name!r}"
    return mapped


def _rerooted(env: ResolvedEnvironment, err: ComponentInputError) -> ComponentInputError:
    kind = err.kind.rpartition(":")[2]
    if kind == "NodePool":
        names = [p.name for p in env.spec.node_pools]
        pool = err.name.removeprefix(f"{env.name}-")
        if pool in names and err.name == f"{env.name}-{pool}":
            return err.at(f"node_pools[{names.index(pool)}]", _POOL)
        return err.at("(system pool)" if pool == "system" else "", _POOL)
    if kind in _SECTIONS:
        prefix, renames = _SECTIONS[kind]
        # A rename that names a spec path from the top (network.cidr) is not under the section's prefix.
        top = {k: v for k, v in renames.items() if "." in v or v.startswith("(")}
        if top:
            inner = ComponentInputError(err.kind, err.name, [p for p in err.problems if p.path.partition(".")[0] not in top])
            outer = ComponentInputError(err.kind, err.name, [p for p in err.problems if p.path.partition(".")[0] in top])
            problems = inner.at(prefix, renames).problems + outer.at("", top).problems
            return ComponentInputError(err.kind, err.name, problems)
        return err.at(prefix, renames)
    return err
