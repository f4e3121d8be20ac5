"""The cloud registry: every cloud's profile is complete, cloud-neutral modules name no cloud, and a 4th cloud
registered from outside reaches the spec schema, validation messages and the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tomllib

from aiinfra import catalog, clouds
from aiinfra.components.base.profile import CloudProfile
from aiinfra.components.base.sdk import MissingExtraError
from aiinfra.resolve import capabilities
from aiinfra.spec import EnvironmentSpec

ROOT = Path(__file__).resolve().parents[1]
PROFILES = clouds.all_profiles()


def test_builtin_clouds_in_order():
    assert clouds.names() == ("aws", "gcp", "azure", "existing")
    assert clouds.choices() == "aws, gcp, azure or existing"
    assert clouds.region_examples() == "aws us-east-1, gcp us-central1, azure eastus, existing my-cluster"


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_every_capability_is_declared_with_a_reason(profile):
    assert set(profile.capabilities) == set(clouds.CAPABILITIES)
    for name, cap in profile.capabilities.items():
        assert len(cap.reason) > 15, f"{profile.name}.{name}: say why"
    fabrics = profile.capabilities["fabrics"]
    offered = {k for it in catalog.cloud_catalog(profile.name).instance_types.values() if it.fabric for k in [it.fabric.kind]}
    assert set(fabrics.offers) == offered - {"ethernet"}, "the fabrics capability lists what the catalog offers"


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_profile_facts_agree_with_catalog_pyproject_and_mocks(profile):
    cat = catalog.cloud_catalog(profile.name)
    assert cat.cloud == profile.name
    assert profile.example_region == cat.reference_region
    zoneless = [r for r, zones in cat.regions.items() if not zones]
    assert profile.capabilities["zoneless_regions"].supported == bool(zoneless)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert profile.name in extras and profile.name in extras["all"][0], "pip install 'aiinfra[<cloud>]' must exist"
    # A cloud whose program creates no cloud resources (existing: only kubernetes: ones) needs no mocks and has no buckets in its state.
    creates = bool(clouds.module(profile.name, "mocks").RESOURCES)
    assert creates or profile.fixed_resources(None) == {}
    assert set(profile.nvidia_runtime_class) == set(profile.gpu_operator_values)
    assert profile.bucket_types or profile.bucket_type_prefixes or not creates
    assert profile.credential_fixes and profile.verify_command
    for pattern in profile.pattern_words:
        re.compile(pattern)


def test_profile_registries_hold_no_duplicates():
    # bucket_scheme may repeat where a cloud's buckets are S3-compatible (existing's object store: s3://, as AWS).
    for attr in ("pulumi_package", "backend_scheme", "order"):
        values = [getattr(p, attr) for p in PROFILES]
        assert len(set(values)) == len(values), attr


def test_gpu_stack_rows_exist_for_every_setting():
    from aiinfra.components.kubernetes.addons.gpu import GPU_OPERATOR_VALUES

    for profile in PROFILES:
        model = profile.settings_model
        drivers = ["aks", "none"] if model is not None and "gpu_driver" in model.model_fields else [None]
        for driver in drivers:
            assert profile.gpu_stack(driver) in GPU_OPERATOR_VALUES


def test_settings_sections_come_from_profiles():
    with_settings = [p.name for p in PROFILES if p.settings_model is not None]
    assert with_settings == ["gcp", "azure", "existing"]
    fields = list(EnvironmentSpec.model_fields)
    assert fields[fields.index("mlops") + 1 : -1] == with_settings and fields[-1] == "workload"


def test_unknown_cloud_names_the_known_ones():
    with pytest.raises(KeyError, match="clouds: aws, gcp, azure, existing"):
        clouds.get("oracle")


class Fake(CloudProfile):
    name = "fake"
    display = article = kubernetes = "Fake"
    sdk_module = pulumi_package = "fake"
    example_region = "fake-1"
    bucket_scheme = "fake"
    terms = {t: f"fake {t}" for t in clouds.TERMS}


def test_a_profile_without_every_capability_or_fact_is_refused():
    class Half(Fake):
        capabilities = {"spot": clouds.Capability(True, "spot instances")}

    class Nameless(Half):
        name = None
        display = None

    with pytest.raises(TypeError, match="fabrics, reservations, zoneless_regions"):
        clouds.register(Half)
    with pytest.raises(TypeError, match="must set name, display"):
        clouds.register(Nameless)

    class Unnamed(Fake):
        capabilities = {c: clouds.Capability(False, "not offered") for c in clouds.CAPABILITIES}
        terms = {"network": "fake net"}

    with pytest.raises(TypeError, match="must name nat, bucket, registry, identity in terms"):
        clouds.register(Unnamed)
    assert "fake" not in clouds.names()


def test_profiles_load_without_any_cloud_sdk_or_pydantic():
    code = "import sys; from aiinfra import clouds; clouds.names(); print(sorted(m for m in sys.modules if m.startswith(('pulumi', 'pydantic'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_component_packages_are_lazy_and_give_the_same_classes(monkeypatch):
    import aiinfra.components.gcp as gcp
    from aiinfra.components.aws import Cluster
    from aiinfra.components.aws.cluster import Cluster as Direct

    assert Cluster is Direct
    assert "NodePoolArgs" in dir(gcp) and set(gcp.__all__) == set(dir(gcp))
    with pytest.raises(AttributeError):
        gcp.Nothing  # noqa: B018
    monkeypatch.setitem(sys.modules, "pulumi_gcp", None)
    with pytest.raises(MissingExtraError, match=r"aiinfra\[gcp\]"):
        gcp.Network  # noqa: B018


# Cloud-neutral modules: they ask the registry, they never compare with or index by a cloud's name.
NEUTRAL = [
    *sorted((ROOT / "aiinfra").rglob("*.py")),
    *sorted((ROOT / "components" / "kubernetes").rglob("*.py")),
    *sorted((ROOT / "components").glob("*.py")),
    # components/base/__init__.py is the contracts' index: its OPT_OUTS name the cloud that opts out of one.
    *sorted(p for p in (ROOT / "components" / "base").glob("*.py") if p.name != "__init__.py"),
    *sorted((ROOT / "cli").glob("*.py")),
]


def test_cloud_neutral_modules_name_no_cloud():
    quoted = re.compile(r"""["']({})["']""".format("|".join(clouds.names())))
    found = []
    for path in NEUTRAL:
        for i, line in enumerate(path.read_text().splitlines(), 1):
            if quoted.search(line):
                found.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert found == [], "ask aiinfra.clouds instead:\n" + "\n".join(found)


FAKE = textwrap.dedent(
    """
    import json, sys
    from aiinfra import clouds
    from aiinfra.components.base.profile import CloudProfile

    @clouds.register
    class Fake(CloudProfile):
        name = "fakecloud"
        display = "FakeCloud"
        article = "a FakeCloud"
        kubernetes = "FKS"
        order = 40
        sdk_module = "pulumi_fakecloud"
        pulumi_package = "fakecloud"
        example_region = "fake-1"
        bucket_scheme = "fake"
        terms = {t: f"fake {t}" for t in clouds.TERMS}
        capabilities = {c: clouds.Capability(False, "not offered by the fake cloud") for c in clouds.CAPABILITIES}

    from typer.testing import CliRunner
    from aiinfra.cli.main import app
    from aiinfra.spec import json_schema

    schema = json_schema()
    runner = CliRunner()
    validate = runner.invoke(app, ["validate", sys.argv[1]])
    cat = runner.invoke(app, ["catalog", "--cloud", "nope"])
    print(json.dumps({
        "enum": schema["properties"]["cloud"]["enum"],
        "validate": validate.output,
        "catalog": cat.output,
        "help": runner.invoke(app, ["catalog", "--help"]).output,
    }))
    """
)


def test_a_fourth_cloud_reaches_schema_validation_and_cli(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: on-oracle\ncloud: oracle\nregion: x\n")
    run = subprocess.run([sys.executable, "-c", FAKE, str(spec)], capture_output=True, text=True, env={"COLUMNS": "200", "PATH": ""})
    assert run.returncode == 0, run.stderr
    import json

    got = json.loads(run.stdout.strip().splitlines()[-1])
    assert got["enum"] == ["aws", "gcp", "azure", "fakecloud", "existing"]
    assert "aws, gcp, azure, fakecloud, existing" in got["validate"]
    assert "aws, gcp, azure, fakecloud or existing" in got["catalog"]
    assert "fakecloud" in got["help"]


def test_a_capability_the_cloud_lacks_is_refused_with_its_reason():
    from aiinfra.spec import NodePool

    @clouds.register
    class NoSpot(Fake):
        name = "nospot"
        display = "NoSpot"
        capabilities = {
            **{c: clouds.Capability(True, "offered everywhere") for c in clouds.CAPABILITIES},
            "spot": clouds.Capability(False, "the provider sells no interruptible capacity"),
        }

    try:
        pools = [NodePool(name="a", gpu="H100:8"), NodePool(name="b", gpu="H100:8", capacity="spot")]
        problems = capabilities.unsupported(EnvironmentSpec.model_construct(cloud="nospot", node_pools=pools))
        assert [(p.path, p.hint) for p in problems] == [("node_pools[1].capacity", "use capacity: on-demand")]
        assert "no spot / preemptible GPU capacity (capacity: spot): the provider sells no interruptible capacity" in problems[0].message
        assert capabilities.unsupported(EnvironmentSpec.model_construct(cloud="aws", node_pools=pools)) == []
    finally:
        clouds.unregister("nospot")


def test_capability_table_has_a_row_per_cloud_and_capability():
    rows = clouds.capability_table()
    assert len(rows) == len(PROFILES) * len(clouds.CAPABILITIES)
    assert {"cloud": "azure", "capability": "fabrics", "supported": True, "offers": ["infiniband"]}.items() <= rows[len(clouds.CAPABILITIES) * 2].items()
