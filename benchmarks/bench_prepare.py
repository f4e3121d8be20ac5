"""The data layer's numbers: local Ray preprocessing throughput (MB/s on CPU), loading the corpus from shards vs
today's raw reader, training tokens/s on each, and the monthly cost of each example's file system.

Prints numbers; asserts nothing. The corpus is this Python's standard library sources (offline, on every machine),
copied --copies times into a temporary folder.
Run: python benchmarks/bench_prepare.py [--mb 64] [--num-cpus 2] [--steps 20] [--s3]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def corpus(folder: Path, mb: float) -> int:
    from aiinfra.workloads.reference.data import stdlib_sources

    total, i = 0, 0
    sources = stdlib_sources()
    while total < mb * 1e6:
        src = sources[i % len(sources)]
        dst = folder / f"{i // len(sources):03d}" / src.name
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(src, dst.with_name(f"{i:06d}-{src.name}"))
        total += src.stat().st_size
        i += 1
    return total


def best(fn, runs: int = 3) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def train_tokens_per_s(data, steps: int) -> float:
    import torch

    from aiinfra.workloads.reference.model import preset
    from aiinfra.workloads.reference.train import Dist, Trainer

    cfg = preset("tiny", n_layer=2, n_head=2, n_embd=64, block_size=128)
    trainer = Trainer(cfg, data=data, batch_size=8, lr=1e-3, steps=steps, warmup=0, weight_decay=0.1, grad_clip=1.0, seed=0,
                      dist=Dist(device=torch.device("cpu")), compile=False)
    trainer.step(1)
    t = time.perf_counter()
    for s in range(2, steps + 2):
        trainer.step(s)
    return trainer.tokens_per_step * steps / (time.perf_counter() - t)


def through_s3(src: Path, out: Path, limit: int) -> tuple[float, float]:
    """Seconds to load the corpus from a local S3 emulator (moto): raw files vs shards."""
    import json
    import logging
    import os

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                      AIINFRA_STORAGE_OPTIONS=json.dumps({"endpoint_url": f"http://{host}:{port}"}))
    try:
        from aiinfra.workloads.reference.data import as_tensor, load_tokens, read_corpus
        from aiinfra.workloads.reference.storage import filesystem

        fs, _ = filesystem("s3://bench")
        fs.mkdir("bench")
        fs.put(str(src), "bench/raw", recursive=True)
        fs.put(str(out), "bench/shards", recursive=True)
        raw_s, _ = best(lambda: as_tensor(read_corpus("s3://bench/raw", limit)), runs=1)
        shard_s, _ = best(lambda: load_tokens("s3://bench/shards", limit), runs=1)
        return raw_s, shard_s
    finally:
        os.environ.pop("AIINFRA_STORAGE_OPTIONS", None)
        server.stop()


def filesystem_costs() -> list[tuple[str, str, str]]:
    from aiinfra.resolve.resolver import load

    rows = []
    for spec in sorted((ROOT / "stacks").glob("*.yaml")):
        if spec.name.startswith("Pulumi."):
            continue
        env = load(spec)
        for fs in env.filesystems:
            price = f"${fs.monthly_usd:,.2f}/month" if fs.monthly_usd is not None else "unpriced (no sourced list price)"
            rows.append((spec.name, f"{fs.name}: {fs.service} {fs.size_tib:g} TiB at {fs.throughput} MB/s/TiB", price))
        if not env.filesystems:
            rows.append((spec.name, "no file system", "-"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=64, help="corpus size in MB")
    ap.add_argument("--num-cpus", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20, help="training steps per data source")
    ap.add_argument("--s3", action="store_true", help="also load both through a local S3 emulator (moto): many small objects vs few shards")
    args = ap.parse_args()

    import torch

    from aiinfra.workloads.reference.data import as_tensor, load_tokens, read_corpus
    from aiinfra.workloads.reference.prepare import prepare

    tmp = Path(tempfile.mkdtemp(prefix="bench-prepare-"))
    try:
        src, out = tmp / "raw", tmp / "shards"
        src.mkdir()
        size = corpus(src, args.mb)
        t = time.perf_counter()
        result = prepare(str(src), str(out), local=True, num_cpus=args.num_cpus)
        wall = time.perf_counter() - t
        print(f"corpus: {size / 1e6:.1f} MB in {result['files']} files -> {result['tokens']:,} tokens in {len(result['shards'])} shards")
        print(f"prepare (Ray, {args.num_cpus} CPUs): {result['mb_per_s']:.1f} MB/s tokenizing+writing ({result['work_s']:.2f} s), "
              f"Ray start {result['ray_start_s']:.1f} s, {size / 1e6 / wall:.1f} MB/s end to end ({wall:.1f} s)")
        limit = int(size)
        raw_s, raw = best(lambda: as_tensor(read_corpus(str(src), limit)))
        shard_s, (shards, _) = best(lambda: load_tokens(str(out), limit))
        print(f"load, today's reader (raw files): {len(raw) / raw_s / 1e6:.1f} M tokens/s ({raw_s:.2f} s)")
        print(f"load, shards (verified):          {len(shards) / shard_s / 1e6:.1f} M tokens/s ({shard_s:.2f} s)")
        if args.s3:
            raw_s3, shard_s3 = through_s3(src, out, limit)
            print(f"load from an S3 emulator (moto, local): raw files {size / 1e6 / raw_s3:.1f} MB/s ({raw_s3:.1f} s), "
                  f"shards {size / 1e6 / shard_s3:.1f} MB/s ({shard_s3:.1f} s)")
        torch.set_num_threads(max(1, args.num_cpus))
        train_tokens_per_s(raw, 2)  # warm up torch's kernels and threads before either measurement
        rates: dict[str, list[float]] = {"raw": [], "shards": []}
        for _ in range(2):  # alternate, best of two each: the machine is shared
            rates["raw"].append(train_tokens_per_s(raw, args.steps))
            rates["shards"].append(train_tokens_per_s(shards, args.steps))
        print(f"train (tiny model, CPU, {args.steps} steps, best of 2): raw {max(rates['raw']):,.0f} tokens/s, "
              f"shards {max(rates['shards']):,.0f} tokens/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("file system cost per example:")
    for name, what, price in filesystem_costs():
        print(f"  {name}: {what} -> {price}")


if __name__ == "__main__":
    main()
