"""stacks/ as a Pulumi project: one stack per example spec, and its program run under mocks for each."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml

from aiinfra.deploy.errors import PROJECT
from aiinfra.deploy.stack import stack_config
from aiinfra.program import engine, mock_settings, offered_zones
from aiinfra.report.preview import run_offline
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[2] / "stacks"
SPECS = sorted(p for p in STACKS.glob("*.yaml") if not p.name.startswith("Pulumi"))


def stack_file(spec: Path) -> Path:
    return STACKS / f"Pulumi.{spec.stem}.yaml"


def stack_program():
    spec = importlib.util.spec_from_file_location("aiinfra_stacks_program", STACKS / "__main__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_stack(spec_value: str, env, monkeypatch):
    """The project's program as `pulumi up -s <stack>` runs it: stack config in PULUMI_CONFIG, under mocks."""
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"aiinfra:spec": spec_value}))
    mocks = engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, offered_zones(env), mock_settings(env))
    return engine.run(stack_program().main, mocks, stack=Path(spec_value).stem)


def test_project_file_declares_the_python_program():
    project = yaml.safe_load((STACKS / "Pulumi.yaml").read_text())
    assert project["name"] == PROJECT
    assert project["runtime"]["name"] == "python" and project["main"] == "__main__.py"
    assert (STACKS / project["main"]).is_file()
    assert "aiinfra:spec" in project["config"]


def test_every_example_spec_has_a_stack_file_with_its_provider_config():
    assert SPECS, "no example specs in stacks/"
    missing = []
    for spec in SPECS:
        env = load(spec)
        want = {"aiinfra:spec": spec.name, **stack_config(env)}
        if not stack_file(spec).is_file():
            body = "".join(f"  {k}: {v}\n" for k, v in want.items())
            missing.append(f"stacks/{stack_file(spec).name} is missing; it should read:\nconfig:\n{body}")
            continue
        got = yaml.safe_load(stack_file(spec).read_text())["config"]
        got.pop("aiinfra:placement", None)  # where failover put a pool, if one was recorded (aiinfra.resolve.placement)
        assert got == want, f"stacks/{stack_file(spec).name}: config {got} should be {want}"
    assert not missing, "\n".join(missing)


def test_no_stack_file_without_its_spec():
    for path in STACKS.glob("Pulumi.*.yaml"):
        config = yaml.safe_load(path.read_text())["config"]
        assert (STACKS / config["aiinfra:spec"]).is_file(), f"{path.name} names a spec that does not exist"


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_stack_program_builds_the_same_environment_as_the_cli(spec, monkeypatch):
    env = load(spec)
    sdk = {"gcp": "pulumi_gcp", "azure": "pulumi_azure_native"}.get(env.spec.cloud)
    if sdk:
        pytest.importorskip(sdk)
    result = run_stack(spec.name, env, monkeypatch)
    expected = run_offline(env)
    assert result.one("aiinfra:index:Environment", env.spec.name)
    assert sorted((r.type, r.name) for r in result.resources) == sorted((r.type, r.name) for r in expected.resources)
    protected = {(r.type, r.name) for r in result.resources if r.options["protect"]}
    assert protected == {(r.type, r.name) for r in expected.resources if r.options["protect"]}


def test_stack_program_reports_spec_problems_and_fails(tmp_path, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: a, gpu: H100:9}]\n")
    env = load(SPECS[0])
    import pulumi

    with pytest.raises(pulumi.RunError, match="bad.yaml is not valid"):
        run_stack(str(bad), env, monkeypatch)
    with pytest.raises(pulumi.RunError, match=r"nope.yaml is not valid \(1 problem\)"):
        run_stack(str(tmp_path / "nope.yaml"), env, monkeypatch)


def test_ci_workflow_covers_every_stack_previews_on_prs_and_deploys_on_main_except_accelerator_examples():
    workflow = yaml.safe_load((STACKS.parent / ".github" / "workflows" / "infra.yml").read_text())
    job = workflow["jobs"]["stack"]
    matrix = {entry["stack"]: entry for entry in job["strategy"]["matrix"]["include"]}
    stacks = {p.name[len("Pulumi."):-len(".yaml")] for p in STACKS.glob("Pulumi.*.yaml")}
    # An existing cluster's example previews only against that cluster, which CI does not have (tests preview it offline).
    stacks -= {s for s in stacks if load(STACKS / f"{s}.yaml").spec.cloud == "existing"}
    assert set(matrix) == stacks, f"add {sorted(stacks - set(matrix))} to the matrix of .github/workflows/infra.yml"
    for name, entry in matrix.items():
        env = load(STACKS / f"{name}.yaml")
        assert (entry["cloud"], entry["region"]) == (env.spec.cloud, env.spec.region), name
        assert entry.get("deploy", True) in (True, False), name
        families = {p.family for p in env.pools if p.family}
        if families - {"nvidia"}:  # accelerator examples: previewed, never deployed by the example CI
            assert entry.get("deploy") is False, f"{name}: mark it deploy: false"

    assert job["concurrency"]["group"] == "infra-${{ matrix.stack }}" and job["concurrency"]["cancel-in-progress"] is False
    assert workflow["permissions"]["id-token"] == "write"
    steps = {s.get("name"): s for s in job["steps"]}
    assert "--markdown >> \"$GITHUB_STEP_SUMMARY\"" in steps["Cost (job summary)"]["run"]
    assert steps["Preview"]["if"] == "github.event_name == 'pull_request' || matrix.deploy == false" and "pulumi preview --stack ${{ matrix.stack }}" in steps["Preview"]["run"]
    assert steps["Up"]["if"] == "github.event_name != 'pull_request' && matrix.deploy != false" and "pulumi up --yes --stack ${{ matrix.stack }}" in steps["Up"]["run"]
    assert {s.get("if") for s in job["steps"] if "credentials" in (s.get("name") or "")} == {
        "matrix.cloud == 'aws'", "matrix.cloud == 'gcp'", "matrix.cloud == 'azure'"
    }


def test_every_example_has_its_own_name():
    """`aiinfra up` names a stack after the spec's name: two examples with one name could not share a backend."""
    names = [load(spec).spec.name for spec in SPECS]
    assert len(set(names)) == len(names), sorted(n for n in names if names.count(n) > 1)
