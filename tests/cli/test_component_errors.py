"""A component's input error reaching the CLI reads like a spec problem: exit 2, the spec path, no traceback,
`{"problems": [...]}` under --json (components/base/errors.py, components/spec_paths.py, cli/main.py main())."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aiinfra import program
from aiinfra.components.base.errors import ComponentInputError
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "stacks" / "aws-llm.yaml"


def _broken(path: Path = SPEC):
    """The resolved spec with its first worker pool breaking the node-pool contract (the resolver never does
    this; a component user or a resolver bug could)."""
    env = load(path)
    i = next(i for i, p in enumerate(env.pools) if not p.system)
    bad = dataclasses.replace(env.pools[i], nodes_min=5, nodes_max=2, capacity="reserved", reservation=None)
    return dataclasses.replace(env, pools=[*env.pools[:i], bad, *env.pools[i + 1 :]])


def test_component_error_under_the_engine_has_spec_paths():
    from aiinfra.report import preview

    with pytest.raises(ComponentInputError) as info:
        preview.run_offline(_broken())
    assert {p.path for p in info.value.problems} == {"node_pools[0].nodes", "node_pools[0].reservation"}
    assert info.value.source == "environment 'llm-train'"


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_prints_component_problems_like_spec_problems(as_json, monkeypatch, capsys):
    from aiinfra.cli import main as cli_main
    from aiinfra.resolve import resolver as resolve

    broken = _broken()
    monkeypatch.setattr(resolve, "load", lambda path, placement=None: broken)
    monkeypatch.setattr("sys.argv", ["aiinfra", "preview", str(SPEC), *(["--json"] if as_json else [])])
    with pytest.raises(SystemExit) as exit_info:
        cli_main.main()
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "ValueError" not in out + err
    if as_json:
        problems = json.loads(out)["problems"]
        assert {p["path"] for p in problems} == {"node_pools[0].nodes", "node_pools[0].reservation"}
    else:
        assert "node_pools[0].reservation" in err and "Nothing was created." in err


def test_up_program_keeps_the_component_error_for_the_cli():
    """Pulumi turns an exception in the inline program into a failed update; `up` re-raises the kept one."""
    from aiinfra.deploy import stack
    from aiinfra.program import engine

    env = _broken()
    stack.INPUT_ERRORS.clear()
    mocks = engine.CloudMocks(env.spec.cloud, env.spec.region, env.zones, program.offered_zones(env), program.mock_settings(env))
    with pytest.raises(ComponentInputError):
        engine.run(stack.program(env), mocks, stack=env.spec.name)
    assert [p.path for p in stack.INPUT_ERRORS[-1].problems] == ["node_pools[0].nodes", "node_pools[0].reservation"]
    stack.INPUT_ERRORS.clear()
