"""The `aiinfra` command. Imports of pydantic, Pulumi and the cloud SDKs happen inside commands,
so `aiinfra --help` stays fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer

app = typer.Typer(
    name="aiinfra",
    help="AI infrastructure on AWS, GCP and Azure as code. Offline commands need no credentials and no Pulumi CLI.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

from aiinfra.cli import workload  # noqa: E402  (imports only typer)

app.add_typer(workload.app, name="workload")

EXIT_INVALID = 2

SpecArg = typer.Argument(..., help="environment spec, e.g. stacks/aws-llm.yaml", show_default=False)
JsonOpt = typer.Option(False, "--json", help="print one JSON object instead of tables")


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def _load(path: Path, as_json: bool = False):
    """Parse and resolve a spec, or report every problem and exit 2."""
    from aiinfra.problems import SpecError
    from aiinfra.resolve import load

    try:
        return load(path)
    except SpecError as err:
        if as_json:
            _emit_json({"valid": False, "source": err.source, "problems": [p.as_dict() for p in err.problems]})
        else:
            from aiinfra.cli import render

            render.problems(_console(stderr=True), err.source, err.problems)
        raise typer.Exit(EXIT_INVALID) from None


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="show tracebacks for unexpected errors")) -> None:
    """Declared here so typer accepts and documents --debug; main() acts on it around the whole app."""


@app.command()
def validate(spec: Path = SpecArg, as_json: bool = JsonOpt) -> None:
    """Check a spec against the schema and the catalog; exit 2 listing every problem."""
    env = _load(spec, as_json)
    if as_json:
        from aiinfra.preview import pool_dict

        _emit_json({"valid": True, "source": str(spec), "node_pools": [pool_dict(p) for p in env.pools]})
        return
    c = _console()
    c.print(f"[bold green]✓ {spec}[/] is valid: {env.spec.name} on {env.spec.cloud} {env.spec.region}", highlight=False)
    for p in env.pools:
        what = f"{p.gpus_per_node} × {p.gpu}" if p.gpu else "CPU"
        c.print(f"  {p.name}: {p.instance_type} ({what}), {p.nodes_min}..{p.nodes_max} nodes, {p.capacity} — {p.reason}", highlight=False)


@app.command()
def preview(spec: Path = SpecArg, as_json: bool = JsonOpt) -> None:
    """Run the environment's Pulumi program offline under mocks: resources, GPUs and cost."""
    env = _load(spec, as_json)
    from aiinfra.preview import build

    data = build(env)
    if as_json:
        _emit_json(data)
        return
    from aiinfra.cli import render

    c = _console()
    c.print(render.resource_tree(data))
    c.print(render.gpu_table(data))
    c.print(render.cost_table(data))
    c.print("[dim]Offline preview under Pulumi mocks: IDs and ARNs are placeholders. `aiinfra up` deploys for real.[/]")


@app.command()
def cost(
    spec: Path = SpecArg,
    as_json: bool = JsonOpt,
    markdown: bool = typer.Option(False, "--markdown", help="print a Markdown table (e.g. for a CI job summary)"),
) -> None:
    """Hourly and monthly cost of an environment at its minimum and maximum size."""
    env = _load(spec, as_json)
    from aiinfra.preview import estimate

    data = estimate(env)
    if as_json:
        _emit_json({"environment": data["environment"], "node_pools": data["node_pools"], "cost": data["cost"]})
        return
    from aiinfra.cli import render

    if markdown:
        sys.stdout.write(render.cost_markdown(data))
        return

    _console().print(render.cost_table(data))


@app.command("catalog")
def catalog_cmd(
    gpu: Optional[str] = typer.Option(None, "--gpu", help="only this GPU model, e.g. H100"),
    cloud: Optional[str] = typer.Option(None, "--cloud", help="aws, gcp or azure"),
    region: Optional[str] = typer.Option(None, "--region", help="only types offered here, with this region's prices"),
    cpu: bool = typer.Option(False, "--cpu", help="include CPU-only types"),
    as_json: bool = JsonOpt,
) -> None:
    """The GPU instance types aiinfra knows, with fabric, prices and regions."""
    from aiinfra import catalog
    from aiinfra.problems import Problem, did_you_mean

    problems = []
    if cloud and cloud not in catalog.CLOUDS:
        problems.append(Problem("--cloud", f"unknown cloud {cloud!r}", did_you_mean(cloud, catalog.CLOUDS) or "aws, gcp or azure"))
    model = None
    if gpu:
        model = catalog.canonical_gpu(gpu.split(":")[0])
        if model is None:
            problems.append(Problem("--gpu", f"unknown GPU {gpu!r}", did_you_mean(gpu, catalog.gpu_spellings())))
    if problems:
        from aiinfra.cli import render

        render.problems(_console(stderr=True), "aiinfra catalog", problems)
        raise typer.Exit(EXIT_INVALID)
    rows = []
    for offer in catalog.offers(cloud, model):
        it = offer.spec
        if not cpu and it.gpu is None:
            continue
        where = region or catalog.cloud_catalog(offer.cloud).reference_region
        if region and region not in it.regions:
            continue
        here = it.regions.get(where)
        rows.append(
            {
                "cloud": offer.cloud,
                "instance_type": offer.name,
                "gpu": it.gpu,
                "gpu_count": it.gpu_count,
                "gpu_memory_gib": it.gpu_memory_gib,
                "vcpus": it.vcpus,
                "memory_gib": it.memory_gib,
                "fabric": it.fabric.model_dump() if it.fabric else None,
                "price_region": where,
                "on_demand": catalog.price(offer.cloud, offer.name, where, "on-demand").hourly_usd,
                "spot": here.spot if here else None,
                "regions": {r: p.model_dump() for r, p in it.regions.items()},
                "price_source": catalog.cloud_catalog(offer.cloud).sources[it.price_source].model_dump(),
                "flags": it.flags,
                "notes": it.notes,
            }
        )
    if as_json:
        _emit_json({"instance_types": rows})
        return
    from aiinfra.cli import render

    note = f"prices in {region}" if region else "prices in each cloud's reference region: aws us-east-1, gcp us-central1, azure eastus"
    c = _console()
    c.print(render.catalog_table(rows, note))
    c.print("[dim]Prices are catalog snapshots (see `--json` for sources, dates and flags); refresh before quoting.[/]")


@app.command()
def schema() -> None:
    """Print the JSON Schema of environment specs, for editor completion."""
    from aiinfra.spec import json_schema

    _emit_json(json_schema())


from aiinfra.cli import deploy as _deploy  # noqa: E402  (imports only typer)

_deploy.register(app)

from aiinfra.cli.render_cmd import render_command  # noqa: E402

app.command("render")(render_command)


def main() -> None:
    """Console entry point: bad input exits 2, unexpected errors exit 1 without a traceback unless --debug."""
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001
        if debug:
            raise
        from aiinfra.components._sdk import MissingExtraError

        prefix = "" if isinstance(exc, MissingExtraError) else f"{type(exc).__name__}: "
        sys.stderr.write(f"error: {prefix}{exc}\n(run with --debug for the traceback)\n")
        sys.exit(1)
