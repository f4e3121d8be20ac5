"""The resolver's output is the program's only input: components build from a ResolvedEnvironment (no catalog),
the resolver writes nothing into the spec, and the workload plan is decided once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from aiinfra import program
from aiinfra.resolve import workload as workload_plan
from aiinfra.resolve.resolver import load, resolve
from aiinfra.resolve.result import ResolvedEnvironment, ResolvedPool
from aiinfra.spec import load_spec, parse_spec

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "tests" / "fixtures" / "specs"
EXAMPLES = sorted(ROOT.glob("stacks/[a-z]*.yaml")) + sorted(SPECS.glob("*.ok.*.yaml"))


def _imported(tree: ast.Module) -> list[tuple[int, str]]:
    """Every module named by an import anywhere in the file (module top or inside functions)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out += [(node.lineno, node.module)] + [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def test_components_do_not_import_the_catalog():
    """Catalog facts reach components only through ResolvedPool/ResolvedEnvironment (annotations excepted; the
    offline mocks, components/<cloud>/mocks.py, stand in for the cloud and may read it; a profile is read by the
    resolver, and where its catalog is built from the spec (catalog_for: cloud existing's snapshot), it reads it)."""
    found = []
    for path in sorted((ROOT / "components").rglob("*.py")):
        if path.name == "mocks.py" or path.name == "profile.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test) for n in ast.walk(block)}
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in typing_only:
                names = [m for line, m in _imported(ast.Module(body=[node], type_ignores=[]))]
                if any(m == "aiinfra.catalog" or m.startswith("aiinfra.catalog.") for m in names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == [], "components read the catalog: " + ", ".join(found)


def test_the_resolver_writes_nothing_into_the_spec():
    """Decisions live on ResolvedEnvironment (the account the cloud's profile finds, the Azure GPU driver); the spec
    stays exactly as parsed."""
    for path in EXAMPLES:
        parsed = load_spec(path)
        env = resolve(load_spec(path), str(path))
        assert env.spec == parsed, path.name
    text = (
        "name: ib-train\ncloud: azure\nregion: eastus\nazure: {subscription_id: 0f0e0d0c-0b0a-4909-8807-060504030201}\nnode_pools: [{name: t, gpu: 'H100:8'}]\n"
    )
    parsed = parse_spec(text)
    env = resolve(parse_spec(text))
    assert env.spec == parsed and env.spec.azure.gpu_driver is None and env.gpu_driver == "none"


def test_the_workload_plan_is_decided_once(monkeypatch):
    """resolve() checks the workload section and plans it; the program and the manifests reuse that plan."""
    calls = []
    real = workload_plan.problems
    monkeypatch.setattr(workload_plan, "problems", lambda *a: calls.append(1) or real(*a))
    env = load(SPECS / "aws.ok.workload-ethernet.yaml")
    assert env.workload is not None and env.workload.train_pool.name == "l4" and len(calls) == 1
    result = program.run_offline(env)
    assert result.one("aiinfra:index:WorkloadDeployment") and len(calls) == 1
    assert workload_plan.plan(env) is env.workload


def test_a_plan_that_cannot_be_made_says_what_is_missing():
    text = "name: nob\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: c, cpus: 4}]\n"
    env = resolve(parse_spec(text))
    assert env.workload is None
    from aiinfra.problems import SpecError

    with pytest.raises(SpecError) as err:
        workload_plan.plan(env)
    assert [p.path for p in err.value.problems] == ["storage.buckets"]


def _gcp_literal(system_disk: int = 77) -> ResolvedEnvironment:
    """A GCP environment written by hand: every fact the components need is a field, none from the catalog."""
    spec = parse_spec("name: lit\ncloud: gcp\nregion: us-central1\ngcp: {project: lit-project}\nnetwork: {zones: 2}\n")
    zones = ["us-central1-a", "us-central1-b"]
    common = dict(capacity="on-demand", fabric=None, hourly_usd_per_node=None, price_note=None, reason="written by hand", zones=tuple(zones))
    system = ResolvedPool("system", "e2-standard-4", None, 0, 2, 2, disk_gib=system_disk, system=True, **common)
    gpu = ResolvedPool(
        "gpu", "g2-standard-8", "L4", 1, 0, 3, machine_type="g2-standard-8", accelerator_type="nvidia-l4", boot_disk_type="pd-balanced",
        local_ssd_count=0, disk_gib=123, **common,
    )  # fmt: skip
    return ResolvedEnvironment(spec=spec, pools=[system, gpu], zones=zones, region_zones=zones + ["us-central1-c"])


def test_components_build_from_a_resolved_environment_without_the_catalog(monkeypatch):
    """Catalog calls from the components fail the test (the offline mocks, which stand in for the cloud, may read it)."""
    import sys

    import aiinfra.catalog

    def refusing(real):
        def call(*args, **kwargs):
            caller = Path(sys._getframe(1).f_code.co_filename).resolve()
            assert ROOT / "components" not in caller.parents or caller.name == "mocks.py", f"{caller} read the catalog"
            return real(*args, **kwargs)

        return call

    for name in ("cloud_catalog", "uncatalogued", "capacity_tolerations", "pool_facts"):
        monkeypatch.setattr(aiinfra.catalog, name, refusing(getattr(aiinfra.catalog, name)))
    result = program.run_offline(_gcp_literal())
    pools = {r.inputs["name"]: r.inputs for r in result.of_type("gcp:container/nodePool:NodePool")}
    node = pools["gpu"]["nodeConfig"]
    assert node["machineType"] == "g2-standard-8" and node["diskSizeGb"] == 123 and node["diskType"] == "pd-balanced"
    assert node["guestAccelerators"][0]["type"] == "nvidia-l4"
    assert pools["gpu"]["nodeLocations"] == ["us-central1-a", "us-central1-b"]
    system = next(p for n, p in pools.items() if n != "gpu")
    assert system["nodeConfig"]["diskSizeGb"] == 77  # the system pool's disk is the resolver's, not a constant


def test_the_system_pool_disk_comes_from_the_resolver_on_every_cloud():
    from aiinfra.defaults import SYSTEM_DISK_GIB

    for path in (ROOT / "stacks" / "aws-cpu.yaml", SPECS / "azure.ok.zone-less-region.yaml"):
        env = load(path)
        assert env.system_pool.disk_gib == SYSTEM_DISK_GIB
        found = program.run_offline(env).resources
        disks = [r.inputs for r in found if r.type in ("aws:ec2/launchTemplate:LaunchTemplate", "azure-native:containerservice:ManagedCluster")]
        text = repr(disks)
        assert f"'volumeSize': {SYSTEM_DISK_GIB}" in text or f"'osDiskSizeGB': {SYSTEM_DISK_GIB}" in text, path.name


def test_mock_zones_are_the_resolved_pools_zones():
    env = load(SPECS / "azure.ok.zone-less-region.yaml")
    offered = program.offered_zones(env)
    for pool in env.pools:
        assert offered(pool.instance_type) == list(pool.zones)
    assert offered("not-a-type") == env.region_zones


def test_azure_spot_taint_default_matches_the_catalog():
    """The component's default for callers outside an Environment is the fact the resolver carries."""
    from aiinfra import catalog
    from aiinfra.components.azure.gpu_pool import SPOT_TAINTS

    assert SPOT_TAINTS == [str(t) for t in catalog.cloud_catalog("azure").capacity_taints["spot"]]
    env = load(SPECS / "azure.ok.training-serving.yaml")
    spot = [p for p in env.worker_pools if p.capacity == "spot"]
    assert spot and all([str(t) for t in p.taints] == SPOT_TAINTS for p in spot)


def test_one_zone_rule():
    from aiinfra.resolve.zones import choose

    assert choose(["a", "b"], "b") == ["b"]
    assert choose(["a", "b"], one=True) == ["a"]
    assert choose(["a", "b"]) == ["a", "b"]
    assert choose(["a", "b"], regional=True) is None and choose([]) is None
