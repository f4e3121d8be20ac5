"""The offline commands: validate, preview, cost and schema. No credentials, no Pulumi CLI."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from aiinfra.cli.common import EXIT_POLICY, JsonOpt, OfflineOpt, SpecArg, UtilizationOpt, check_fit, console, emit_json, fail, live_check, load_env, utilization


def validate(spec: Path = SpecArg, as_json: bool = JsonOpt) -> None:
    """Check a spec against the schema and the catalog; exit 2 listing every problem."""
    from aiinfra.cli.placement import json_field, show

    env = load_env(spec, as_json)
    check_fit(env, spec, as_json, warn=False)
    if as_json:
        from aiinfra.report.preview import pool_dict

        emit_json({"valid": True, "source": str(spec), "node_pools": [pool_dict(p) for p in env.pools], "warnings": [w.as_dict() for w in env.warnings],
                   **json_field(env)})
        return
    from aiinfra.cli import views

    c = console()
    c.print(f"[bold green]✓ {views.escape(str(spec))}[/] is valid: {env.spec.name} on {env.spec.cloud} {env.spec.region}", highlight=False)
    for p in env.pools:
        what = f"{p.gpus_per_node} × {p.gpu}" if p.gpu else "CPU"
        c.print(f"  {p.name}: {p.instance_type} ({what}), {p.nodes_min}..{p.nodes_max} nodes, {p.capacity} — {p.reason}", markup=False, highlight=False)
    show(c, env, spec)


SUMMARY_HELP = ("print only the node pools, the cost totals and the policy outcome, in lines that fit 80 columns "
                "(for CI logs): the same checks and exit code as the full preview. Not with --json (exit 2): the JSON is the whole preview")


def preview(
    spec: Path = SpecArg,
    as_json: bool = JsonOpt,
    summary: bool = typer.Option(False, "--summary", help=SUMMARY_HELP),
    util: Optional[float] = UtilizationOpt,
    offline: bool = OfflineOpt,
) -> None:
    """Run the environment's Pulumi program offline under mocks: resources, GPUs and cost. A node pool that
    `aiinfra up`'s failover moved is shown where the stack's config records it. On an existing cluster whose
    kubeconfig is here, its nodes are read again first and a change since the snapshot refuses (exit 2)."""
    if summary and as_json:
        from aiinfra.problems import Problem

        fail("--summary", [Problem("--summary", "--summary and --json do not combine: --json prints the whole preview as one object",
                                   "drop --summary, and pick fields with jq, e.g. `jq '{node_pools, cost, policy}'`")], as_json)
    scope = utilization(util, as_json)
    env = load_env(spec, as_json)
    live = live_check(env, spec, offline, as_json)
    from aiinfra.cli.placement import json_field, show
    from aiinfra.policy import mandatory_failed
    from aiinfra.report.preview import build

    fitted = check_fit(env, spec, as_json)
    with scope:
        data = build(env)
    data["fit"] = {"pods": fitted.rows, "warnings": [w.as_dict() for w in fitted.warnings]}
    data.update(json_field(env))
    if live:
        data["live"] = live
    if as_json:
        emit_json(data)
    elif summary:
        from aiinfra.cli import preview_summary

        c = console()
        preview_summary.show(c, data)
        show(c, env, spec)
    else:
        from aiinfra.cli import views

        c = console()
        c.print(views.resource_tree(data))
        c.print(views.gpu_table(data))
        if data.get("filesystems"):
            from aiinfra.cli.views_data import filesystem_table

            c.print(filesystem_table(data["filesystems"]))
        c.print(views.cost_table(data))
        c.print(views.energy_table(data))
        c.print(views.policy_table(data["policy"]))
        show(c, env, spec)
        c.print("[dim]Offline preview under Pulumi mocks: IDs and ARNs are placeholders. `aiinfra up` deploys for real.[/]")
    if mandatory_failed(data["policy"]):
        raise typer.Exit(EXIT_POLICY)


def cost(
    spec: Path = SpecArg,
    as_json: bool = JsonOpt,
    markdown: bool = typer.Option(False, "--markdown", help="print a Markdown table (e.g. for a CI job summary)"),
    util: Optional[float] = UtilizationOpt,
) -> None:
    """Hourly and monthly cost of an environment at its minimum and maximum size, with its energy (kWh) and
    location-based emissions (kgCO2e)."""
    scope = utilization(util, as_json)
    env = load_env(spec, as_json)
    from aiinfra.cli.placement import show
    from aiinfra.report.preview import estimate

    with scope:
        data = estimate(env)
    if not as_json and not markdown:
        show(console(stderr=True), env, spec)
    if as_json:
        emit_json({"environment": data["environment"], "node_pools": data["node_pools"], "cost": data["cost"], "energy": data["energy"], "warnings": data["warnings"]})
        return
    from aiinfra.cli import views

    if markdown:
        sys.stdout.write(views.cost_markdown(data) + "\n" + views.energy_markdown(data))
        return

    c = console()
    c.print(views.cost_table(data))
    c.print(views.energy_table(data))


def schema() -> None:
    """Print the JSON Schema of environment specs, for editor completion."""
    from aiinfra.spec import json_schema

    emit_json(json_schema())
