"""`aiinfra init`: a commented starter spec for one cloud, checked with the same resolver as `validate`
before it is written, so a new user's first file is valid."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from aiinfra import clouds

STARTER_GPU = "L4"  # cheap to try; where a cloud lacks it, its nearest one-GPU models stand in (catalog.nearest_gpus)
STARTER_ALTERNATIVES = 2


CloudChoice = Enum("CloudChoice", {name: name for name in clouds.names()}, type=str)  # type: ignore[misc]


def starter_gpus(cloud: str, region: str) -> list[str]:
    """The starter pool's alternatives on this cloud, from its catalog: L4:1 where a one-GPU L4 type is offered in
    the region, then the nearest one-GPU models that are (A10G on AWS, A10 on Azure)."""
    from aiinfra import catalog

    single = {o.gpu for o in catalog.offers(cloud) if o.gpu and o.spec.gpu_count == 1 and region in o.spec.regions}
    ranked = [STARTER_GPU] if STARTER_GPU in single else []
    ranked += [g for g in catalog.nearest_gpus(cloud, STARTER_GPU, n=len(single)) if g in single]
    return [f"{g}:1" for g in ranked[:STARTER_ALTERNATIVES]] or [f"{STARTER_GPU}:1"]  # none here: validation says so


def starter_spec(cloud: str, region: str, name: str, gpu: str | None, project: str | None = None) -> str:
    """The spec as YAML text with comments; gpu None means the cloud's own starter alternatives (starter_gpus)."""
    from aiinfra.catalog.kubernetes import default_version

    gpu_line = f"gpu: {gpu}" if gpu else f"gpu: [{', '.join(starter_gpus(cloud, region))}]   # alternatives in order of preference"
    text = f"""# aiinfra environment spec: one cluster with GPU node pools, storage and a registry on {cloud}.
# Written by `aiinfra init`. Check it with `aiinfra validate FILE`, price it with `aiinfra cost FILE`,
# see every resource with `aiinfra preview FILE`, deploy it with `aiinfra up FILE`.
# Moving to another cloud is `cloud:` + `region:`; the JSON Schema is `aiinfra schema`.
name: {name}          # 3-24 lowercase letters, digits, hyphens; prefixes every resource
cloud: {cloud}
region: {region}
{clouds.get(cloud).starter_settings.format(name=name, project=project or "my-ml-project").lstrip()}
node_pools:           # aiinfra adds a small CPU "system" pool for cluster add-ons itself
  - name: gpu
    {gpu_line}
    nodes: {{min: 1, max: 2}}   # or a fixed count, e.g. nodes: 2
    capacity: on-demand   # on-demand, spot (cheaper, can be reclaimed) or reserved (with reservation:)
    # instance_type: ...  # pin a type instead of letting aiinfra pick (`aiinfra catalog --gpu ...`)
    # disk_gib: 200

storage:
  buckets: [datasets, checkpoints]   # kept on `aiinfra down` unless delete_with_environment: true

registry:
  repositories: [train, serve]

# identity:           # the Kubernetes service account whose pods may use the buckets
#   namespace: ml
#   service_account: workload

# network:
#   cidr: 10.0.0.0/16
#   zones: 2

# cluster:
#   kubernetes_version: "{default_version()}"   # the default: newest in standard support on every cloud today
#   deletion_protection: true   # set false for throwaway environments

# mlops:              # cluster services from upstream Helm charts; each can be switched off
#   gpu_operator: true
#   monitoring: true  # Prometheus, Grafana and DCGM GPU metrics
#   training: trainer # trainer, jobset or none
#   queueing: true    # Kueue
#   tracking: true    # MLflow, artifacts in the first suitable bucket
#   serving: kserve   # kserve, vllm or none

tags:
  team: ml-platform
"""
    return text


def init_command(
    cloud: CloudChoice = typer.Option(CloudChoice.aws, "--cloud", help="the cloud to start on"),  # type: ignore[attr-defined]  # an Enum of the registry
    gpu: Optional[str] = typer.Option(None, "--gpu", metavar="MODEL:COUNT", help="GPUs per node of the starter pool, e.g. H100:8; default: L4:1 and the cloud's nearest one-GPU alternative"),
    region: Optional[str] = typer.Option(None, "--region", help=f"default: the cloud's reference region ({clouds.region_examples()})"),
    name: str = typer.Option("ml-env", "--name", help="environment name: 3-24 lowercase letters, digits, hyphens"),
    project: Optional[str] = typer.Option(None, "--project", help="GCP project ID (gcp only); default: $GOOGLE_CLOUD_PROJECT, else a placeholder to replace"),
    output: Path = typer.Option(Path("aiinfra.yaml"), "--output", "-o", help="file to write; - prints to stdout"),
    force: bool = typer.Option(False, "--force", help="overwrite the file if it exists"),
) -> None:
    """Write a commented starter spec for a cloud; it validates as written."""
    import os
    import sys

    from aiinfra import catalog
    from aiinfra.cli import views
    from aiinfra.cli.common import EXIT_INVALID, console
    from aiinfra.problems import Problem, SpecError, did_you_mean
    from aiinfra.resolve.resolver import resolve
    from aiinfra.spec import parse_spec

    def fail(problems: list[Problem]) -> None:
        views.problems(console(stderr=True), "aiinfra init", problems)
        raise typer.Exit(EXIT_INVALID)

    c = cloud.value
    if gpu:
        from aiinfra.spec.gpu import GpuRequest

        model = GpuRequest.model_of(gpu)
        if catalog.canonical_gpu(model) is None:
            fail([Problem("--gpu", f"unknown GPU {model!r}", did_you_mean(model, catalog.gpu_spellings()) or "see `aiinfra catalog`")])
        try:
            request = GpuRequest.parse(gpu)
        except ValueError:
            request = GpuRequest(model, 0)
        if request.count < 1:
            fail([Problem("--gpu", f"{gpu!r} does not say how many GPUs per node", f"write MODEL:COUNT, e.g. {model}:8")])
    region = region or catalog.cloud_catalog(c).reference_region
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("CLOUDSDK_CORE_PROJECT")
    text = starter_spec(c, region, name, gpu, project)
    to_stdout = str(output) == "-"
    source = "aiinfra init" if to_stdout else str(output)
    try:
        resolve(parse_spec(text, source), source)
    except SpecError as err:
        options = {"name": "--name", "region": "--region", f"{c}.project": "--project"}
        fail([Problem(options.get(p.path, "--gpu" if p.path.startswith("node_pools") else p.path), p.message, p.hint) for p in err.problems])
    if to_stdout:
        sys.stdout.write(text)
        return
    if output.is_dir():
        fail([Problem("--output", f"{output} is a directory", f"pass a file path, e.g. -o {output / 'aiinfra.yaml'}")])
    if output.exists() and not force:
        fail([Problem("--output", f"{output} already exists", "pass --force to overwrite it, or -o another path")])
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail([Problem("--output", f"cannot write {output}: {exc.strerror or exc}", "pass a path in a writable directory")])
    con = console()
    con.print(f"[bold green]✓[/] wrote {views.escape(str(output))}: {name} on {c} {region}", highlight=False)
    if "{project}" in clouds.get(c).starter_settings and not project:
        con.print(f"  [yellow]replace[/] {c}.project (my-ml-project) with your {clouds.get(c).display} project ID", highlight=False)
    con.print(f"  next: aiinfra cost {views.escape(str(output))}   aiinfra preview {views.escape(str(output))}", highlight=False)
