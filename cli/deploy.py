"""`aiinfra up / down / refresh / outputs / status`: real deployments with the Pulumi CLI.

Only typer is imported at module level; Pulumi's Automation API loads inside the commands.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, Sequence

import typer

from aiinfra.cli import placement as placing

SpecArg = typer.Argument(..., help="environment spec, e.g. stacks/aws-llm.yaml", show_default=False, readable=False)
BackendOpt = typer.Option(
    None, "--backend", metavar="URL",
    help="state backend: file:///path, s3://bucket, gs://bucket, azblob://container or https://api.pulumi.com "
    "(default: $AIINFRA_BACKEND_URL, then a file backend in the user's data directory)",
)
YesOpt = typer.Option(False, "--yes", "-y", help="do not ask for confirmation")
PANEL = "Deploy (needs the Pulumi CLI and cloud credentials)"


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=True, highlight=False)


@contextlib.contextmanager
def _errors(spec: Path | None = None) -> Iterator[None]:
    """DeployErrors become 'error:' plus the commands that fix them; Ctrl-C says how to recover."""
    from rich.markup import escape

    from aiinfra.deploy.errors import DeployError

    try:
        yield
    except DeployError as exc:
        err = _console(stderr=True)
        err.print(f"[bold red]error:[/] {escape(exc.message)}", markup=True)
        if exc.fixes:
            err.print("fix it with one of:")
            for fix in exc.fixes:
                err.print(f"  [cyan]{escape(fix)}[/]", markup=True)
        for note in exc.notes:
            err.print(note, style="dim", markup=False)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        where = spec or "SPEC"
        _console(stderr=True).print(
            f"interrupted: Pulumi was asked to stop. Check `aiinfra status {where}`; if it lists pending operations, "
            f"run `aiinfra refresh {where}`."
        )
        raise typer.Exit(130) from None


def _prepare(spec: Path, backend: Optional[str], yes: bool, credentials: bool, before_state: Optional[Callable[[Any], None]] = None, deploys: bool = False,
             reset: Sequence[str] = (), offline: Optional[bool] = None):
    """The spec first (a bad one exits 2 wherever it is run, Pulumi CLI or not), with a real GCP project / Azure
    subscription, and where `offline` is given the cloud against its recorded inputs (cloud: existing: drift from
    the snapshot refuses); then the CLI, the backend, credentials, `before_state` (up's plan and policy check,
    which may refuse) and only then the state backend and the passphrase."""
    from aiinfra.cli.common import live_check, load_env, report, warnings
    from aiinfra.components.base.accounts import require_real
    from aiinfra.deploy.backends import backend_url, passphrase_file
    from aiinfra.deploy.credentials import clouds_needed, require_credentials
    from aiinfra.deploy.errors import PASSPHRASE_FILE_VAR, PassphraseMissing
    from aiinfra.deploy.passphrase import generate_passphrase
    from aiinfra.deploy.stack import pulumi_command
    from aiinfra.deploy.target import target
    from aiinfra.problems import SpecError

    env = load_env(spec, warn=False, reset=reset)
    try:
        require_real(env.account, str(spec))
    except SpecError as err:
        report(err)
    warnings(env.warnings)
    if offline is not None:
        live_check(env, spec, offline)
    command = pulumi_command(reads_state=not deploys)
    url = backend_url(backend)
    if credentials:
        require_credentials(clouds_needed(env, url), env=env)
    if before_state is not None:
        before_state(env)
    try:
        return target(env, url, command)
    except PassphraseMissing as exc:
        if yes or not exc.fixes or not sys.stdin.isatty() and not _interactive_override():
            raise
        c = _console()
        c.print(f"[bold]First run:[/] {exc.message}.")
        for note in exc.notes:
            c.print(note)
        if not typer.confirm(f"Generate a random passphrase into {passphrase_file()}?", default=True):
            raise
        path = generate_passphrase()
        c.print(f"Wrote {path} (mode 0600). Back it up; set {PASSPHRASE_FILE_VAR}={path} on other machines.")
        return target(env, url, command)


def _interactive_override() -> bool:
    """Tests drive the prompts through typer's CliRunner, whose stdin is not a terminal."""
    import os

    return os.environ.get("AIINFRA_ASSUME_TTY") == "1"


def _progress_view(title: str, log) -> Any:
    from rich.table import Table

    t = Table(title=title, title_justify="left", expand=False)
    t.add_column("component", no_wrap=True)
    t.add_column("done", justify="right")
    t.add_column("running", justify="right")
    t.add_column("failed", justify="right")
    t.add_column("now")
    for group, c in sorted(log.counts().items()):
        running = [deploy_name(r.urn) for r in log.resources.values() if r.group == group and r.status == "running"][:3]
        t.add_row(group, str(c["done"]), str(c["running"]), f"[red]{c['failed']}[/]" if c["failed"] else "0", ", ".join(running))
    return t


def deploy_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


@contextlib.contextmanager
def _live(op: str, t, console) -> Iterator[Any]:
    """An EventLog whose changes redraw a live per-component view; the log path is printed first and last."""
    from rich.live import Live

    from aiinfra.deploy.progress import EventLog, new_log_path

    path = new_log_path(t.stack_name, op)
    console.print(f"Full log: {path}")
    title = f"{op} {t.stack_name}"
    with Live(console=console, refresh_per_second=4, transient=False) as live:
        log = EventLog(path, on_change=lambda lg: live.update(_progress_view(title, lg)))
        try:
            yield log
        finally:
            live.update(_progress_view(title, log))
            log.close()
    console.line()


def _failures(console, outcome) -> None:
    from rich.markup import escape

    for urn, message in outcome.failures:
        console.print(f"  [red]✗[/] {escape(deploy_name(urn) or 'stack')}: {escape(message.splitlines()[0] if message else '')}", markup=True)
    if outcome.error:
        console.print(f"[red]{escape(str(outcome.error))}[/]", markup=True)


def _changes(changes: dict[str, int]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(changes.items()) if n) or "no changes"


def _plan(env, console) -> int:
    """The offline plan, cost and policy tables, as `aiinfra preview` shows them; returns the resource count.
    A mandatory policy violation stops here, before Pulumi creates or changes anything (exit 3)."""
    from collections import Counter

    from aiinfra.cli import views
    from aiinfra.cli.common import EXIT_POLICY
    from aiinfra.deploy.state import component_label
    from aiinfra.policy import mandatory_failed
    from aiinfra.report.preview import build

    data = build(env)
    console.print(views.gpu_table(data))
    console.print(views.cost_table(data))
    console.print(views.policy_table(data["policy"]))
    if mandatory_failed(data["policy"]):
        console.print("[bold red]✗ refused:[/] the environment breaks a mandatory policy rule (above); nothing was deployed.", markup=True)
        raise typer.Exit(EXIT_POLICY)
    by_parent = {r["urn"]: r for r in data["resources"]}
    tops: Counter[str] = Counter()
    for r in data["resources"]:
        node = r
        while node["parent"] in by_parent and by_parent[node["parent"]]["type"] != "aiinfra:index:Environment":
            node = by_parent[node["parent"]]
        if r["custom"]:
            tops[component_label(node["type"], node["name"], env.spec.name)] += 1
    kept = sum(1 for r in data["resources"] if (r.get("options") or {}).get("protect"))
    count = views.resource_counts(data["resources"])[0]
    console.print(
        f"{views.counted(data['resources'])}: " + ", ".join(f"{name} {n}" for name, n in tops.items())
        + (f"; {kept} data resources are protected and kept by `aiinfra down`." if kept else ".")
    )
    return count


def up(
    spec: Path = SpecArg,
    backend: Optional[str] = BackendOpt,
    yes: bool = YesOpt,
    no_failover: bool = typer.Option(False, "--no-failover", help="do not retry a node pool on another zone or gpu alternative after a capacity error"),
    reset_placement: Optional[list[str]] = typer.Option(None, "--reset-placement", metavar="POOL", help=placing.RESET_HELP),
    offline: bool = typer.Option(False, "--offline", help="cloud: existing: deploy from the snapshot without reading the nodes again first (no drift check)"),
) -> None:
    """Deploy an environment: plan and cost, confirmation, then `pulumi up` with live progress. A node pool that
    fails for lack of capacity is retried on the next zone offering its type, then its gpu: alternatives; where
    it ran is recorded in the stack's config, and later runs keep it there."""
    with _errors(spec):
        from aiinfra.deploy.errors import PROJECT

        c = _console()
        planned: dict[str, Any] = {}

        def plan(env) -> None:
            placing.show(c, env, spec)
            planned.update(count=_plan(env, c))

        t = _prepare(spec, backend, yes, credentials=True, before_state=plan, deploys=True, reset=reset_placement or (), offline=offline)
        start, count = t.env, planned["count"]
        _quota(t.env, c)
        c.print(f"Stack [bold]{t.stack_name}[/] (project {PROJECT}) in {t.backend}", markup=True)
        if not yes and not typer.confirm(
            f"Deploy {count} resources to {t.env.spec.cloud} {t.env.spec.region}? This starts billing at the rates above", default=False
        ):
            c.print("Nothing was deployed.")
            raise typer.Exit(1)
        outcome, tries, last = placing.up_with_failover(t, c, not no_failover, _live)
        placing.remember(last, c, start, outcome, tries, spec)
        if not outcome.ok:
            c.print(f"[bold red]✗ up failed[/] for {t.stack_name}; what was created is recorded in the state.", markup=True)
            _failures(c, outcome)
            c.print(f"Fix the cause and run `aiinfra up {spec}` again (it continues where it stopped). Log: {outcome.log_path}")
            raise typer.Exit(1)
        c.print(f"[bold green]✓ {t.stack_name} is up[/] ({_changes(outcome.changes)}).", markup=True)
        for key, out in outcome.outputs.items():
            c.print(f"  {key}: {'[secret]' if out.secret else json.dumps(out.value)}", markup=False)
        c.print(f"`aiinfra outputs {spec} --show-secrets` prints secrets. Log: {outcome.log_path}")


def _quota(env, c) -> None:
    """Quota shortfalls the cloud reports before anything is created (skipped, with a note, without SDK or credentials)."""
    from aiinfra.deploy.quota import check

    short, note = check(env)
    for line in short:
        c.print(f"quota: {line}", markup=False)
    if note:
        c.print(note, markup=False)


def down(
    spec: Path = SpecArg,
    backend: Optional[str] = BackendOpt,
    yes: bool = YesOpt,
    delete_data: bool = typer.Option(False, "--delete-data", help="also delete the data buckets and everything in them"),
) -> None:
    """Destroy an environment. Data buckets are kept unless --delete-data; failures are reported at the end."""
    with _errors(spec):
        from aiinfra.deploy import operations, state

        t = _prepare(spec, backend, yes, credentials=True)
        c = _console()
        stack, deployment = operations.down_plan(t)
        managed = state.managed(deployment)
        data = state.data_resources(deployment)
        buckets = state.bucket_names(deployment)
        if not managed:
            c.print(f"{t.stack_name} has no resources in {t.backend}; nothing to delete.")
            return
        c.print(f"Environment [bold]{t.stack_name}[/] in {t.backend}: {len(managed)} cloud resources.", markup=True)
        if data and delete_data:
            c.print(f"[bold red]--delete-data:[/] {len(data)} data resources will be deleted, including the buckets "
                    f"{', '.join(buckets) or '(none)'} and every object in them.", markup=True)
        elif data:
            c.print(f"Kept: {len(data)} data resources (buckets {', '.join(buckets) or '(none)'}, their key and settings).")
        if not yes:
            if delete_data and data:
                typed = typer.prompt(f"Type the environment name ({t.stack_name}) to delete it and its data")
                if typed.strip() != t.stack_name:
                    c.print("Names differ; nothing was deleted.")
                    raise typer.Exit(1)
            elif not typer.confirm(f"Destroy {len(managed) - (0 if delete_data else len(data))} resources of {t.stack_name}?", default=False):
                c.print("Nothing was deleted.")
                raise typer.Exit(1)
        with _live("down", t, c) as log:
            outcome = operations.down(t, stack, deployment, log, delete_data)
        if outcome.kept and not delete_data:
            c.print(
                f"Kept {len(outcome.kept)} data resources (buckets: {', '.join(outcome.kept_buckets) or 'none'}); they stay in "
                f"the state, so `aiinfra up {spec}` reuses them. Delete them with `aiinfra down {spec} --delete-data`."
            )
        if not outcome.ok:
            c.print(f"[bold red]✗ down finished with failures[/] ({len(outcome.failures)}):", markup=True)
            _failures(c, outcome)
            if delete_data and outcome.kept:
                c.print(f"Still present: {', '.join(state.urn_name(r['urn']) for r in outcome.kept)}.")
            c.print(f"Run `aiinfra down {spec}` again after fixing them. Log: {outcome.log_path}")
            raise typer.Exit(1)
        c.print(f"[bold green]✓ {t.stack_name} is down[/] ({_changes(outcome.changes)}). Log: {outcome.log_path}", markup=True)


def refresh(
    spec: Path = SpecArg,
    backend: Optional[str] = BackendOpt,
    clear_pending: bool = typer.Option(
        False, "--clear-pending", help="drop operations an interrupted run left pending (check the cloud for orphaned resources first)"
    ),
) -> None:
    """Read the real state of every resource back from the cloud; recovers interrupted runs."""
    with _errors(spec):
        from aiinfra.deploy import operations

        t = _prepare(spec, backend, False, credentials=True)
        c = _console()
        with _live("refresh", t, c) as log:
            outcome = operations.refresh(t, log, clear_pending)
        if not outcome.ok:
            c.print("[bold red]✗ refresh did not finish cleanly[/]", markup=True)
            _failures(c, outcome)
            c.print(f"Log: {outcome.log_path}")
            raise typer.Exit(1)
        c.print(f"[bold green]✓ refreshed {t.stack_name}[/] ({_changes(outcome.changes)}). Log: {outcome.log_path}", markup=True)


def outputs(
    spec: Path = SpecArg,
    backend: Optional[str] = BackendOpt,
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
    show_secrets: bool = typer.Option(False, "--show-secrets", help="print secret outputs (the kubeconfig) in clear"),
) -> None:
    """The deployed environment's outputs; secrets masked unless --show-secrets. Then any placement failover
    recorded in the stack's config (on stderr with --json)."""
    with _errors(spec):
        from aiinfra.deploy import operations

        t = _prepare(spec, backend, True, credentials=False)
        values = {k: (v["value"] if show_secrets or not v["secret"] else "[secret]") for k, v in operations.outputs(t).items()}
        if as_json:
            sys.stdout.write(json.dumps(values, indent=2, default=str) + "\n")
            placing.show(_console(stderr=True), t.env, spec)
            return
        c = _console()
        for key, value in values.items():
            c.print(f"{key}: {value if isinstance(value, str) else json.dumps(value)}", markup=False)
        placing.show(c, t.env, spec)


def status(
    spec: Path = SpecArg,
    backend: Optional[str] = BackendOpt,
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Where a deployed environment stands: last update, resources, pending operations, lock holder."""
    with _errors(spec):
        from aiinfra.deploy import operations
        from aiinfra.deploy.errors import NoSuchEnvironment
        from aiinfra.deploy.state import describe_lock

        t = _prepare(spec, backend, True, credentials=False)
        try:
            info = operations.status(t)
        except NoSuchEnvironment:
            info = {"environment": t.stack_name, "backend": t.backend, "deployed": False}
        else:
            info["deployed"] = True
        if as_json:
            sys.stdout.write(json.dumps(info, indent=2, default=str) + "\n")
            return
        c = _console()
        if not info["deployed"]:
            c.print(f"{t.stack_name}: not deployed in {t.backend}.")
            return
        last = info["last_update"]
        c.print(f"[bold]{t.stack_name}[/] in {t.backend}", markup=True)
        c.print(
            "  last update: " + (f"{last['kind']} {last['result']} at {last['end_time'] or last['start_time']} ({_changes(last['resource_changes'] or {})})" if last else "none")
        )
        c.print(f"  resources: {info['resources']} ({info['data_resources']} data resources kept on down; buckets: {', '.join(info['buckets']) or 'none'})")
        pending = info["pending_operations"]
        c.print(f"  pending operations: {len(pending)}" + ("".join(f"\n    {p['type']} {p['urn']}" for p in pending)))
        if pending:
            c.print(f"  an interrupted run left these; `aiinfra refresh {spec}` (add --clear-pending for creates) recovers.")
        if info["locks"]:
            for lock in info["locks"]:
                c.print(f"  locked by {describe_lock(lock)}")
        elif info["locks_readable"]:
            c.print("  lock: none (no update running)")
        else:
            c.print("  lock: not readable for this backend; a running update makes others fail with a clear message")


COMMANDS = (up, down, refresh, outputs, status)
