"""`aiinfra render SPEC --out DIR`: write the reference workload's Kubernetes manifests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from aiinfra.cli.common import fail

OFFLINE_NOTE = (
    "Names (buckets, registry, identity) come from the offline preview under mocks, not from a deployed "
    "environment; after `aiinfra up`, render with --outputs from `aiinfra outputs --json`."
)


def _read_outputs(path: Path, as_json: bool) -> dict[str, Any]:
    from aiinfra.problems import Problem

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        fail(str(path), [Problem("--outputs", f"no such file: {path}", "write it with `aiinfra outputs --json > FILE`")], as_json)
    except (json.JSONDecodeError, UnicodeDecodeError, IsADirectoryError) as exc:
        fail(str(path), [Problem("--outputs", f"not a JSON file: {exc}", "write it with `aiinfra outputs --json > FILE`")], as_json)
    if isinstance(data, dict) and isinstance(data.get("outputs"), dict):
        data = data["outputs"]
    if not isinstance(data, dict):
        fail(str(path), [Problem("--outputs", "expected a JSON object of stack outputs", None)], as_json)
    return data


def _offline_manifests(env) -> list[dict[str, Any]]:
    """Run the environment's one program under mocks and render from its BuiltEnvironment, as `up` would."""
    from aiinfra import program

    def manifests(environment) -> dict[str, Any]:
        from aiinfra.components.workload_deployment import manifests_output

        return {"manifests": manifests_output(env, environment.built)}

    return program.run_offline(env, view=manifests).outputs["manifests"]


def render_command(
    spec: Path = typer.Argument(..., help="environment spec, e.g. stacks/aws-llm.yaml", show_default=False, readable=False),
    out: Path = typer.Option(..., "--out", help="directory to write one YAML file per manifest into"),
    outputs: Optional[Path] = typer.Option(None, "--outputs", help="stack outputs JSON (`aiinfra outputs --json`); default: the offline preview's"),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object instead of text"),
) -> None:
    """Render the reference workload's manifests: training job, fabric test, serving, service account."""
    from aiinfra.cli.common import check_fit, console, emit_json, load_env
    from aiinfra.manifests.context import render, values_from_outputs
    from aiinfra.manifests.templates import write
    from aiinfra.problems import Problem, SpecError
    from aiinfra.resolve.workload import plan

    env = load_env(spec, as_json)  # placed as `up` builds it: the manifests select the nodes it runs
    if not as_json:
        from aiinfra.cli.placement import show

        show(console(stderr=True), env, spec)
    try:
        wp = plan(env)
    except SpecError as err:
        fail(str(spec), err.problems, as_json)
    if outputs is not None:
        data = _read_outputs(outputs, as_json)
        try:
            manifests = render(env, values_from_outputs(env, data), wp)
        except KeyError as exc:
            fail(str(outputs), [Problem("--outputs", str(exc.args[0]), f"pass the outputs of this environment ({env.spec.name} on {env.spec.cloud})")], as_json)
        origin = f"stack outputs in {outputs}"
    else:
        try:
            manifests = _offline_manifests(env)
        except (NotImplementedError, ModuleNotFoundError) as exc:
            raise RuntimeError(f"no offline preview of {env.spec.cloud} in this build ({exc}); render with --outputs FILE") from None
        origin = "offline preview"
    fitted = check_fit(env, spec, as_json, manifests)
    if out.exists() and not out.is_dir():
        fail(str(out), [Problem("--out", f"{out} exists and is not a directory", "pass a directory path")], as_json)
    written = write(manifests, out)
    summary = {
        "environment": env.spec.name,
        "cloud": env.spec.cloud,
        "names_from": origin,
        "note": OFFLINE_NOTE if outputs is None else None,
        "train_pool": wp.train_pool.name,
        "serve_pool": wp.serve_pool.name,
        "fabric_tests": [p.name for p in wp.fabric_pools],
        "deployed_with_environment": env.spec.workload.enabled,
        "warnings": [w.as_dict() for w in env.warnings + fitted.warnings],
        "fit": fitted.rows,
        "files": [{"path": str(p), "kind": m["kind"], "name": m["metadata"]["name"]} for p, m in zip(written, manifests)],
    }
    if as_json:
        emit_json(summary)
        return
    c = console()
    c.print(f"[bold green]✓[/] wrote {len(written)} manifests for {env.spec.name} to {out}", highlight=False)
    for f in summary["files"]:
        c.print(f"  {f['path']}  ({f['kind']} {f['name']})", highlight=False)
    c.print(f"  training on pool {wp.train_pool.name}, serving on {wp.serve_pool.name}, fabric tests on {', '.join(summary['fabric_tests'])}", highlight=False)
    if outputs is None:
        c.print(f"[yellow]{OFFLINE_NOTE}[/]", highlight=False)
