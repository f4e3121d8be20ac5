"""Catalog problems of the node pools that parsed, reported with a spec's schema problems, so that one run lists
every problem (a GPU-syntax error in one pool no longer hides the unknown GPUs of the others)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from aiinfra.problems import Problem


def parsed_pool_problems(data: dict[str, Any], exc: ValidationError) -> list[Problem]:
    """Each pool without a schema error, resolved against the catalog of the spec's cloud and region (when
    those two parsed): the problems the resolver would report once the schema errors are fixed."""
    from aiinfra import catalog
    from aiinfra.resolve import _PoolResolver
    from aiinfra.spec import EnvironmentSpec, NodePool

    errors = [e["loc"] for e in exc.errors()]
    if any(loc[:1] in (("cloud",), ("region",)) for loc in errors) or not isinstance(data.get("node_pools"), list):
        return []
    failed = {loc[1] for loc in errors if len(loc) > 1 and loc[0] == "node_pools"}
    try:
        stub = EnvironmentSpec.model_validate({"name": "partial", "cloud": data.get("cloud"), "region": data.get("region")})
    except ValidationError:
        return []
    if stub.region not in catalog.cloud_catalog(stub.cloud).regions:
        return []
    resolver = _PoolResolver(stub)
    for i, raw in enumerate(data["node_pools"]):
        if i in failed:
            continue
        try:
            pool = NodePool.model_validate(raw)
        except ValidationError:
            continue
        resolver.pool(i, pool)
    return resolver.problems
