"""Serving throughput and latency of the reference server at 1, 8 and 32 concurrent clients, and its cold start.

Starts `python -m aiinfra.workloads.reference.serve` on a checkpoint (by default a fresh, untrained
tiny model written to a temporary folder: speed does not depend on the weights), then each client
sends streamed completions (`"stream": true`, as OpenAI clients measure time to first token) back to back.
Prints requests/s, tokens/s, latency and time-to-first-token p50/p99 per level and the 32-vs-1 throughput
ratio; then scale from zero: the activator (the KEDA interceptor's semantics) starts the server on one request,
and the time from that request to its first token. Asserts nothing. Target: throughput at 32 clients >= 8x that at 1.

Run: python benchmarks/bench_serve.py [--checkpoint URL] [--model tiny|gpt2-124m] [--device cuda]
     [--max-tokens 32] [--requests 64] [--levels 1,8,32] [--cold-starts 1] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


async def streamed(session, base: str, prompt: str, max_tokens: int) -> tuple[float, float, int]:
    """(seconds to the first token, seconds to the end, tokens) of one streamed completion."""
    t0 = time.perf_counter()
    first, tokens = None, 0
    body = {"prompt": prompt, "max_tokens": max_tokens, "stream": True, "stream_options": {"include_usage": True}}
    async with session.post(f"{base}/v1/completions", json=body) as r:
        if r.status != 200:
            raise SystemExit(f"HTTP {r.status}: {await r.text()}")
        async for line in r.content:
            if not line.startswith(b"data: ") or line.startswith(b"data: [DONE]"):
                continue
            event = json.loads(line[6:])
            if first is None and event["choices"]:
                first = time.perf_counter() - t0
            if event.get("usage"):
                tokens = event["usage"]["completion_tokens"]
    return first if first is not None else time.perf_counter() - t0, time.perf_counter() - t0, tokens


async def level(base: str, clients: int, requests: int, max_tokens: int) -> dict:
    import aiohttp

    latencies: list[float] = []
    firsts: list[float] = []
    tokens = 0
    per_client = max(1, requests // clients)
    prompt = "def fibonacci(n):\n    "

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal tokens
        for _ in range(per_client):
            first, total, made = await streamed(session, base, prompt, max_tokens)
            latencies.append(total)
            firsts.append(first)
            tokens += made

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as session:
        await client(session)  # warm-up request
        latencies.clear()
        firsts.clear()
        tokens = 0
        t0 = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(latencies), "rps": len(latencies) / wall, "tps": tokens / wall,
            "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
            "ttft_p50": percentile(firsts, 50), "ttft_p99": percentile(firsts, 99)}


async def cold_start(url: str, device: str, max_tokens: int, env: dict) -> dict:
    """Scale from zero: the activator starts the server on the first request; seconds to its first token."""
    import aiohttp

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aiinfra.workloads.reference.activator", "--checkpoint", url, "--port", str(port),
                             "--upstream-port", str(free_port()), "--idle-seconds", "600", "--", "--device", device],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(600):
                try:
                    async with session.get(f"{base}/activator/status") as r:
                        if (await r.json())["replicas"] == 0:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            first, total, _ = await streamed(session, base, "def main(", max_tokens)
            async with session.get(f"{base}/activator/status") as r:
                ready = (await r.json())["last_cold_start_seconds"]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {"first_token": first, "ready": ready, "total": total}


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
    p.add_argument("--cold-starts", type=int, default=1, help="scale-from-zero runs through the activator (0: none)")
    p.add_argument("--json", action="store_true", help="print one JSON object (for the CI summary) instead of the table")
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
        proc.terminate()
        proc.wait(timeout=30)
        colds = [asyncio.run(cold_start(url, args.device, args.max_tokens, env)) for _ in range(args.cold_starts)]
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)
        tmp.cleanup()

    import torch

    by = {r["clients"]: r for r in rows}
    setup = {"model": args.model if not args.checkpoint else "from checkpoint", "device": args.device, "cpu_threads": torch.get_num_threads(),
             "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None, "max_batch_size": args.max_batch_size,
             "max_wait_ms": args.max_wait_ms, "max_tokens": args.max_tokens}
    if args.json:
        print(json.dumps({"setup": setup, "levels": rows, "cold_starts": colds,
                          "speedup_32_vs_1": by[32]["rps"] / by[1]["rps"] if 1 in by and 32 in by else None}, indent=2))
        return
    print(f"server: {url}, model {setup['model']}, device {args.device}, cpu threads {setup['cpu_threads']}, max batch "
          f"{args.max_batch_size}, max wait {args.max_wait_ms} ms, {args.max_tokens} tokens per streamed completion")
    print(f"{'clients':>7} {'requests':>8} {'req/s':>8} {'tokens/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ttft p50':>9} {'ttft p99':>9} {'batch':>6}")
    for r in rows:
        print(f"{r['clients']:>7} {r['requests']:>8} {r['rps']:>8.2f} {r['tps']:>9.0f} {1e3 * r['p50']:>8.1f} {1e3 * r['p99']:>8.1f} "
              f"{1e3 * r['ttft_p50']:>9.1f} {1e3 * r['ttft_p99']:>9.1f} {r['mean_batch']:>6.1f}")
    if 1 in by and 32 in by:
        print(f"throughput 32 vs 1 clients: {by[32]['rps'] / by[1]['rps']:.1f}x (target >= 8x)")
    for c in colds:
        print(f"cold start (activator starts the server on the request): first token after {c['first_token']:.2f} s, "
              f"server ready after {c['ready']:.2f} s")
    print("batch: mean requests admitted together into the running batch at that level (warm-up request included)")


if __name__ == "__main__":
    main()
