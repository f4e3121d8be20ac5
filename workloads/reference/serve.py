"""Serve completions from the latest checkpoint over HTTP, batching concurrent requests.

    python -m aiinfra.workloads.reference.serve --checkpoint s3://bucket/run1 --port 8000

POST /v1/completions {"prompt": str, "max_tokens": int, "temperature": float}; GET /healthz (the
process is up), GET /readyz (a checkpoint is loaded), GET /metrics (Prometheus). Requests that
arrive while a batch runs, or within --max-wait-ms of the first, are generated together.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from . import checkpoint as ckpt

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m aiinfra.workloads.reference.serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint URL the trainer writes to (s3://, gs://, az://, file://)")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-batch-size", type=int, default=32, help="most requests generated together")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="how long the first request of a batch waits for company")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--poll-seconds", type=float, default=10.0, help="retry interval while the URL holds no checkpoint yet")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler")
    return p


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("aiinfra_serve_requests", "Completion requests by HTTP status", ["status"], registry=r)
        self.latency = Histogram("aiinfra_serve_request_seconds", "Completion latency, queueing included", registry=r,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.batch_size = Histogram("aiinfra_serve_batch_size", "Requests generated together in one batch", buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram("aiinfra_serve_batch_seconds", "Time to generate one batch", registry=r)
        self.tokens = Counter("aiinfra_serve_generated_tokens", "Tokens generated", registry=r)
        self.queue = Gauge("aiinfra_serve_queue_depth", "Requests waiting for a batch", registry=r)
        self.step = Gauge("aiinfra_serve_checkpoint_step", "Training step of the loaded checkpoint", registry=r)


@dataclass
class Pending:
    prompt: bytes
    max_tokens: int
    temperature: float
    future: asyncio.Future = field(repr=False)


class Engine:
    """Loads the model and runs batches on one worker thread, so the event loop stays responsive."""

    def __init__(self, args, metrics: Metrics):
        self.args, self.metrics = args, metrics
        self.model = None
        self.step: int | None = None
        self.error: str | None = None
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")

    @property
    def block_size(self) -> int:
        return self.model.cfg.block_size

    def load(self) -> bool:
        import torch

        from .model import GPT, ModelConfig

        store = ckpt.CheckpointStore(self.args.checkpoint)
        step = store.latest_step()
        if step is None:
            self.error = f"no checkpoint at {store.url} yet"
            return False
        saved = ckpt.from_bytes(store.read(step, "model.pt"))
        cuda = torch.cuda.is_available() if self.args.device == "auto" else self.args.device == "cuda"
        device = torch.device("cuda" if cuda else "cpu")
        model = GPT(ModelConfig.from_dict(saved["config"]))
        model.load_state_dict(saved["state_dict"])
        model = model.to(device, dtype=torch.bfloat16 if cuda else torch.float32).eval()
        self.generator = torch.Generator(device=device).manual_seed(self.args.seed)
        self.model, self.step, self.error = model, step, None
        self.metrics.step.set(step)
        print(f"loaded step {step} from {store.url} on {device}", flush=True)
        return True

    async def load_until_ready(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                if await loop.run_in_executor(self.pool, self.load):
                    return
            except Exception as err:  # noqa: BLE001 - readiness reports it; keep retrying
                self.error = f"{type(err).__name__}: {err}"
            print(f"not ready: {self.error}; retrying in {self.args.poll_seconds}s", flush=True)
            await asyncio.sleep(self.args.poll_seconds)

    async def submit(self, prompt: bytes, max_tokens: int, temperature: float) -> bytes:
        item = Pending(prompt, max_tokens, temperature, asyncio.get_running_loop().create_future())
        self.queue.put_nowait(item)
        self.metrics.queue.set(self.queue.qsize())
        return await item.future

    async def batches(self) -> None:
        """Take the first waiting request, gather company until the batch is full or the wait is
        over, generate them together; requests arriving meanwhile form the next batch."""
        loop = asyncio.get_running_loop()
        limit, wait = self.args.max_batch_size, self.args.max_wait_ms / 1000
        while True:
            batch = [await self.queue.get()]
            deadline = loop.time() + wait
            while len(batch) < limit:
                if not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                    continue
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self.queue.get(), left))
                except asyncio.TimeoutError:
                    break
            self.metrics.queue.set(self.queue.qsize())
            batch = [p for p in batch if not p.future.done()]  # clients that went away
            if not batch:
                continue
            self.metrics.batch_size.observe(len(batch))
            t0 = time.perf_counter()
            try:
                outs = await loop.run_in_executor(self.pool, self._generate, batch)
            except Exception as err:  # noqa: BLE001 - every waiting request gets the error
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(err)
                continue
            self.metrics.batch_seconds.observe(time.perf_counter() - t0)
            for p, out in zip(batch, outs, strict=True):
                self.metrics.tokens.inc(len(out))
                if not p.future.done():
                    p.future.set_result(out)

    def _generate(self, batch: list[Pending]) -> list[bytes]:
        from .model import generate

        return generate(self.model, [p.prompt for p in batch], [p.max_tokens for p in batch],
                        [p.temperature for p in batch], generator=self.generator)


def _bad(message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=400)


def make_app(args) -> web.Application:
    metrics = Metrics()
    app = web.Application()
    engine = Engine(args, metrics)
    app["engine"] = engine

    async def completions(request: web.Request) -> web.Response:
        t0 = time.perf_counter()
        response = await _complete(request)
        metrics.requests.labels(str(response.status)).inc()
        metrics.latency.observe(time.perf_counter() - t0)
        return response

    async def _complete(request: web.Request) -> web.Response:
        if engine.model is None:
            return web.json_response({"error": {"message": f"model not loaded: {engine.error}", "type": "unavailable"}}, status=503)
        try:
            body = await request.json()
        except ValueError:
            return _bad("body must be JSON")
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return _bad("'prompt' must be a string")
        max_tokens, temperature = body.get("max_tokens", 16), body.get("temperature", 1.0)
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens < engine.block_size:
            return _bad(f"'max_tokens' must be an integer from 1 to {engine.block_size - 1}")
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or temperature < 0:
            return _bad("'temperature' must be a number >= 0 (0 is greedy)")
        prompt = body["prompt"].encode()
        out = await engine.submit(prompt, max_tokens, float(temperature))
        used = min(len(prompt), engine.block_size - max_tokens) or 1
        return web.json_response({
            "id": f"cmpl-{uuid.uuid4().hex}",
            "object": "text_completion",
            "created": int(time.time()),
            "model": f"aiinfra-reference/step-{engine.step}",
            "choices": [{"index": 0, "text": out.decode("utf-8", errors="replace"), "finish_reason": "length"}],
            "usage": {"prompt_tokens": used, "completion_tokens": len(out), "total_tokens": used + len(out)},
        })

    async def healthz(_):
        return web.json_response({"status": "ok"})

    async def readyz(_):
        if engine.model is None:
            return web.json_response({"ready": False, "reason": engine.error or "loading"}, status=503)
        return web.json_response({"ready": True, "step": engine.step})

    async def metrics_view(_):
        return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(app):
        app["tasks"] = [asyncio.create_task(engine.load_until_ready()), asyncio.create_task(engine.batches())]

    async def stop(app):
        for task in app["tasks"]:
            task.cancel()
        await asyncio.gather(*app["tasks"], return_exceptions=True)
        engine.pool.shutdown(wait=True, cancel_futures=True)

    app.router.add_post("/v1/completions", completions)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.max_batch_size < 1 or args.max_wait_ms < 0:
        raise SystemExit("--max-batch-size must be >= 1 and --max-wait-ms >= 0")
    web.run_app(make_app(args), host=args.host, port=args.port, print=lambda msg: print(msg, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
