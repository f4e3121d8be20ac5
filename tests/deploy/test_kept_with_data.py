"""`down` keeps the data and what the data depends on: a file system keeps its subnet and network, not the rest."""

from __future__ import annotations

from aiinfra.deploy.state import data_resources, kept_with_data


def _r(name: str, protect: bool = False, deps: tuple[str, ...] = ()) -> dict:
    return {"urn": f"urn:{name}", "type": f"aws:x/{name}:X", "custom": True, "protect": protect, "dependencies": [f"urn:{d}" for d in deps]}


def test_kept_is_the_data_and_its_dependencies_only():
    state = {
        "resources": [
            _r("vpc"),
            _r("subnet", deps=("vpc",)),
            _r("nat", deps=("vpc",)),
            _r("key", protect=True),
            _r("bucket", protect=True, deps=("key",)),
            _r("sg", protect=True, deps=("vpc",)),
            _r("fs", protect=True, deps=("subnet", "sg", "key")),
            _r("rule", deps=("sg", "cluster")),
            _r("cluster", deps=("subnet",)),
        ]
    }
    kept = {r["urn"] for r in kept_with_data(state)}
    assert kept == {"urn:vpc", "urn:subnet", "urn:key", "urn:bucket", "urn:sg", "urn:fs"}
    assert {r["urn"] for r in data_resources(state)} < kept


def test_without_file_systems_nothing_more_is_kept():
    state = {"resources": [_r("key", protect=True), _r("bucket", protect=True, deps=("key",)), _r("vpc")]}
    assert kept_with_data(state) == data_resources(state)
