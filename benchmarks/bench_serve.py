"""Serving throughput and latency of the reference server at 1, 8 and 32 concurrent clients.

Starts `python -m aiinfra.workloads.reference.serve` on a checkpoint (by default a fresh, untrained
tiny model written to a temporary folder: speed does not depend on the weights), then each client
sends completions back to back. Prints requests/s, tokens/s, p50 and p99 latency per level and the
32-vs-1 throughput ratio. Asserts nothing. Target: throughput at 32 clients >= 8x that at 1.

Run: python benchmarks/bench_serve.py [--checkpoint URL] [--model tiny|gpt2-124m] [--device cuda]
     [--max-tokens 32] [--requests 64] [--levels 1,8,32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_checkpoint(url: str, model: str) -> None:
    import torch

    from aiinfra.workloads.reference import checkpoint as ckpt
    from aiinfra.workloads.reference.model import GPT, preset

    torch.manual_seed(0)
    net = GPT(preset(model))
    store = ckpt.CheckpointStore(url)
    entry = store.write(1, "model.pt", ckpt.to_bytes({"config": net.cfg.as_dict(), "state_dict": net.state_dict()}))
    store.commit(1, {"model.pt": entry})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base: str, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("server did not become ready")


def batch_stats(base: str) -> tuple[float, float]:
    """(batches, requests) so far, from the server's batch-size histogram."""
    with urllib.request.urlopen(f"{base}/metrics") as r:
        lines = r.read().decode().splitlines()
    value = {line.split()[0]: float(line.split()[-1]) for line in lines if line.startswith("aiinfra_serve_batch_size_")}
    return value.get("aiinfra_serve_batch_size_count", 0.0), value.get("aiinfra_serve_batch_size_sum", 0.0)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def level(base: str, clients: int, requests: int, max_tokens: int) -> dict:
    import aiohttp

    latencies: list[float] = []
    tokens = 0
    per_client = max(1, requests // clients)
    prompt = "def fibonacci(n):\n    "

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal tokens
        for _ in range(per_client):
            t0 = time.perf_counter()
            async with session.post(f"{base}/v1/completions", json={"prompt": prompt, "max_tokens": max_tokens}) as r:
                body = await r.json()
                if r.status != 200:
                    raise SystemExit(f"HTTP {r.status}: {body}")
            latencies.append(time.perf_counter() - t0)
            tokens += body["usage"]["completion_tokens"]

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await client(session)  # warm-up request
        latencies.clear()
        tokens = 0
        t0 = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(latencies), "rps": len(latencies) / wall, "tps": tokens / wall,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", help="serve this checkpoint URL instead of a fresh model")
    p.add_argument("--model", choices=["tiny", "gpt2-124m"], default="tiny", help="preset of the fresh model")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--max-tokens", type=int, default=32)
    p.add_argument("--requests", type=int, default=128, help="requests per level (at least one per client)")
    p.add_argument("--levels", default="1,8,32")
    p.add_argument("--max-batch-size", type=int, default=32)
    p.add_argument("--max-wait-ms", type=float, default=5.0)
    args = p.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.checkpoint
    if url is None:
        url = Path(tmp.name, "ckpt").as_uri()
        write_checkpoint(url, args.model)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(x for x in (str(ROOT), os.environ.get("PYTHONPATH")) if x))
    proc = subprocess.Popen([sys.executable, "-m", "aiinfra.workloads.reference.serve", "--checkpoint", url, "--host", "127.0.0.1",
                             "--port", str(port), "--device", args.device, "--max-batch-size", str(args.max_batch_size),
                             "--max-wait-ms", str(args.max_wait_ms)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base, proc)
        rows = []
        for c in args.levels.split(","):
            before = batch_stats(base)
            rows.append(asyncio.run(level(base, int(c), max(args.requests, int(c)), args.max_tokens)))
            after = batch_stats(base)
            rows[-1]["mean_batch"] = (after[1] - before[1]) / max(1.0, after[0] - before[0])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        tmp.cleanup()

    import torch

    print(f"server: {url}, model {args.model if not args.checkpoint else 'from checkpoint'}, device {args.device}, "
          f"cpu threads {torch.get_num_threads()}, max batch {args.max_batch_size}, max wait {args.max_wait_ms} ms, "
          f"{args.max_tokens} tokens per completion")
    print(f"{'clients':>7} {'requests':>8} {'req/s':>8} {'tokens/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'batch':>6}")
    for r in rows:
        print(f"{r['clients']:>7} {r['requests']:>8} {r['rps']:>8.2f} {r['tps']:>9.0f} {1e3 * r['p50']:>8.1f} {1e3 * r['p99']:>8.1f} {r['mean_batch']:>6.1f}")
    by = {r["clients"]: r for r in rows}
    if 1 in by and 32 in by:
        print(f"throughput 32 vs 1 clients: {by[32]['rps'] / by[1]['rps']:.1f}x (target >= 8x)")
    print("batch: mean requests admitted together into the running batch at that level (warm-up request included)")


if __name__ == "__main__":
    main()
