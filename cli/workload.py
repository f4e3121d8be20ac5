"""`aiinfra workload`: run the reference training and serving workload on this machine, with the
same code the cluster runs. Only typer is imported here, so `aiinfra --help` stays fast."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import typer

from aiinfra import clouds

app = typer.Typer(no_args_is_help=True)  # its help names its commands: set below, once they are registered

EXIT_INVALID = 2
CLUSTER_HINT = (
    "cluster runs are not started from here: render the training job or the serving deployment with "
    "`aiinfra render` for your environment and apply it, or pass --local to run on this machine"
)

LocalOpt = typer.Option(False, "--local", help="run on this machine (required: cluster runs go through `aiinfra render`)")
CheckpointOpt = typer.Option(..., "--checkpoint", help=f"checkpoint URL: {clouds.bucket_urls()}, file:// or a path", show_default=False)


def _refuse_cluster(command: str) -> None:
    typer.echo(f"error: `aiinfra workload {command}` without --local: {CLUSTER_HINT}", err=True)
    raise typer.Exit(EXIT_INVALID)


def _child_env() -> dict[str, str]:
    """Children import aiinfra from wherever this process did (a source checkout or an install)."""
    import aiinfra

    root = str(Path(aiinfra.__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def train_command(nproc: int, args: list[str]) -> list[str]:
    """torchrun through aiinfra's launcher: a worker's own `error:` line is then the whole report."""
    return [sys.executable, "-m", "aiinfra.workloads.reference.launch", "--standalone", "--nproc-per-node", str(nproc),
            "-m", "aiinfra.workloads.reference.train", *args]


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def train(
    ctx: typer.Context,
    local: bool = LocalOpt,
    checkpoint: str = CheckpointOpt,
    nproc: int = typer.Option(1, "--nproc", min=1, help="processes (torchrun workers) on this machine"),
    steps: int = typer.Option(200, "--steps", min=1, help="train until this many steps in total"),
    checkpoint_every: int = typer.Option(50, "--checkpoint-every", min=1, help="write a checkpoint every K steps (and at the end)"),
    model: str = typer.Option("auto", "--model", help="auto, tiny or gpt2-124m"),
    data: str | None = typer.Option(None, "--data", help="corpus URL; default: the Python standard library's sources"),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="sequences per process per step; default: the model preset's"),
    seq_len: int | None = typer.Option(None, "--seq-len", min=2, help="tokens per sequence; default: the model preset's"),
    lr: float | None = typer.Option(None, "--lr", help="peak learning rate; default: the model preset's"),
    seed: int = typer.Option(1337, "--seed", help="random seed, for runs that can be repeated"),
    log_every: int = typer.Option(10, "--log-every", min=1, help="print step, loss, tokens/s and MFU every N steps"),
    mlflow: bool = typer.Option(False, "--mlflow", help="track in MLFLOW_TRACKING_URI"),
    restart: bool = typer.Option(False, "--restart", help="delete the checkpoints at --checkpoint and train from step 0"),
) -> None:
    """Train under torchrun on this machine (CPU/gloo or local GPUs); resumes when --checkpoint
    already holds a checkpoint (the newest one whose checksums verify), and never starts over
    there without --restart. Arguments after `--` go to the trainer as they are."""
    if not local:
        _refuse_cluster("train")
    args = ["--checkpoint", checkpoint, "--steps", str(steps), "--checkpoint-every", str(checkpoint_every),
            "--model", model, "--seed", str(seed), "--log-every", str(log_every)]
    for flag, value in (("--data", data), ("--batch-size", batch_size), ("--seq-len", seq_len), ("--lr", lr)):
        if value is not None:
            args += [flag, str(value)]
    if mlflow:
        args.append("--mlflow")
    if restart:
        args.append("--restart")
    proc = subprocess.Popen(train_command(nproc, [*args, *ctx.args]), env=_child_env())
    try:
        rc = proc.wait()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        rc = proc.wait()
    raise typer.Exit(rc if rc >= 0 else 128 - rc)


@app.command()
def serve(
    local: bool = LocalOpt,
    checkpoint: str = CheckpointOpt,
    host: str = typer.Option("127.0.0.1", "--host", help="address to listen on; 0.0.0.0 to serve other machines"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port to listen on"),
    max_batch_size: int = typer.Option(32, "--max-batch-size", min=1, help="most requests decoded together in one batch"),
    max_wait_ms: float = typer.Option(5.0, "--max-wait-ms", min=0, help="how long a request may wait for others to batch with, in ms"),
) -> None:
    """Serve completions from the latest checkpoint at --checkpoint on this machine."""
    if not local:
        _refuse_cluster("serve")
    from aiinfra.workloads.reference import serve as server

    raise typer.Exit(server.main(["--checkpoint", checkpoint, "--host", host, "--port", str(port),
                                  "--max-batch-size", str(max_batch_size), "--max-wait-ms", str(max_wait_ms)]))


@app.command()
def prepare(
    local: bool = LocalOpt,
    source: str = typer.Option(..., "--source", help=f"dataset URL: {clouds.bucket_urls()}, file:// or a path (folder, glob or file)", show_default=False),
    output: str = typer.Option(..., "--output", help="folder URL for the training shards (index.json is written last)", show_default=False),
    shard_mb: float = typer.Option(64, "--shard-mb", min=0.001, help="shard size in MB of tokens"),
    num_cpus: int = typer.Option(2, "--num-cpus", min=1, help="CPUs of the local Ray"),
) -> None:
    """Tokenize a dataset into training shards with Ray on this machine; the RayJob `aiinfra render` writes for
    mlops.data: ray runs the same code on the cluster. Train on the shards with `workload train --data <output>`."""
    if not local:
        _refuse_cluster("prepare")
    cmd = [sys.executable, "-m", "aiinfra.workloads.reference.prepare", "--local", "--source", source, "--output", output,
           "--shard-mb", str(shard_mb), "--num-cpus", str(num_cpus)]
    raise typer.Exit(subprocess.run(cmd, env=_child_env()).returncode)


app.info.help = (
    f"Run the reference workload ({', '.join(str(c.name or getattr(c.callback, '__name__', '')) for c in app.registered_commands)}) locally; "
    "cluster runs are rendered by `aiinfra render`."
)
