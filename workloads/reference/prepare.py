"""Tokenize a dataset (any fsspec URL: a bucket prefix, a mounted file system, a local folder) into training
shards with Ray: one task per group of input files, each writing its own shards; the driver writes the index last.

The same module runs as a KubeRay RayJob's entrypoint (connecting to its cluster) and, with --local, on this machine
(a local Ray with --num-cpus workers and no dashboard, so it starts fast).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

from .shards import DTYPE, INDEX, TOKENIZER, tokenize
from .storage import filesystem, list_files, storage_options, write_atomic

DEFAULT_SHARD_MB = 64


def list_inputs(url: str) -> list[tuple[str, int]]:
    """Every file under url (a folder, a glob or one file) with its size, sorted: the order tokens are laid out in."""
    fs, files = list_files(url)
    sizes = [(f, int(fs.info(f).get("size") or 0)) for f in files]
    return [(f, s) for f, s in sizes if not f.rsplit("/", 1)[-1].startswith(".")]


def group_files(files: list[tuple[str, int]], tasks: int) -> list[list[str]]:
    """Contiguous groups of about equal bytes, so concatenating the tasks' shards keeps the input order."""
    total = sum(s for _, s in files) or 1
    per = total / max(1, tasks)
    groups: list[list[str]] = [[]]
    acc = 0
    for f, s in files:
        if groups[-1] and acc >= per * len(groups) and len(groups) < tasks:
            groups.append([])
        groups[-1].append(f)
        acc += s
    return [g for g in groups if g]


def tokenize_group(task: int, source: str, files: list[str], output: str, shard_tokens: int, options: dict) -> list[dict]:
    """One Ray task: read its files, tokenize, write shards of shard_tokens tokens. Returns the shards' entries."""
    import os

    import numpy as np

    os.environ["AIINFRA_STORAGE_OPTIONS"] = json.dumps(options)
    src_fs, _ = filesystem(source)
    out_fs, out_path = filesystem(output)
    pending: list[np.ndarray] = []
    held = 0
    written: list[dict] = []

    def flush(final: bool) -> None:
        nonlocal pending, held
        while held >= shard_tokens or (final and held):
            tokens = np.concatenate(pending)
            take, rest = tokens[:shard_tokens], tokens[shard_tokens:]
            blob = take.astype(DTYPE).tobytes()
            name = f"shard-{task:05d}-{len(written):05d}.bin"
            write_atomic(out_fs, f"{out_path.rstrip('/')}/{name}", blob)
            written.append({"name": name, "tokens": int(len(take)), "sha256": hashlib.sha256(blob).hexdigest()})
            pending, held = ([rest] if len(rest) else []), len(rest)

    for f in files:
        tokens = tokenize(src_fs.cat_file(f))
        pending.append(tokens)
        held += len(tokens)
        flush(False)
    flush(True)
    return written


def prepare(source: str, output: str, *, shard_mb: float = DEFAULT_SHARD_MB, tasks: int | None = None, local: bool = True, num_cpus: int = 2) -> dict:
    """Run the preprocessing on Ray and write index.json; returns the index with timing and throughput."""
    import ray

    files = list_inputs(source)
    if not files:
        raise ValueError(f"{source}: no input files")
    in_bytes = sum(s for _, s in files)
    started = time.perf_counter()
    if local:
        import os

        os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")  # no GPUs here; keep Ray's start quiet
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    else:
        ray.init()  # inside a RayJob: RAY_ADDRESS names the cluster
    try:
        ready = time.perf_counter()
        n_tasks = tasks or max(1, int(ray.available_resources().get("CPU", 1)))
        groups = group_files(files, n_tasks)
        shard_tokens = max(1, int(shard_mb * (1 << 20) / 2))
        remote = ray.remote(num_cpus=1)(tokenize_group)
        refs = [remote.remote(i, source, g, output, shard_tokens, storage_options()) for i, g in enumerate(groups)]
        shards = [s for part in ray.get(refs) for s in part]
        done = time.perf_counter()
    finally:
        ray.shutdown()
    index = {
        "tokenizer": TOKENIZER,
        "dtype": DTYPE,
        "source": source,
        "files": len(files),
        "input_bytes": in_bytes,
        "tokens": sum(s["tokens"] for s in shards),
        "shards": shards,
    }
    out_fs, out_path = filesystem(output)
    write_atomic(out_fs, f"{out_path.rstrip('/')}/{INDEX}", json.dumps(index, indent=1).encode())
    work = done - ready
    return {**index, "ray_start_s": round(ready - started, 3), "work_s": round(work, 3), "mb_per_s": round(in_bytes / 1e6 / work, 2) if work > 0 else None}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m aiinfra.workloads.reference.prepare", description=__doc__.split("\n\n")[0])
    p.add_argument("--source", required=True, help="dataset URL: s3://, gs://, az://, file:// or a path (folder, glob or file)")
    p.add_argument("--output", required=True, help="folder URL for the shards and index.json")
    p.add_argument("--shard-mb", type=float, default=DEFAULT_SHARD_MB, help="shard size in MB of tokens")
    p.add_argument("--tasks", type=int, help="Ray tasks (file groups); default: the cluster's CPUs")
    p.add_argument("--local", action="store_true", help="start a local Ray on this machine instead of joining RAY_ADDRESS")
    p.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local Ray (--local)")
    args = p.parse_args(argv)
    try:
        result = prepare(args.source, args.output, shard_mb=args.shard_mb, tasks=args.tasks, local=args.local, num_cpus=args.num_cpus)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    summary = {k: v for k, v in result.items() if k != "shards"}
    print(json.dumps({**summary, "shards": len(result["shards"])}, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
