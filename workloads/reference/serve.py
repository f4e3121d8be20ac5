"""Serve completions from the latest checkpoint over HTTP, batching concurrent requests.

    python -m aiinfra.workloads.reference.serve --checkpoint s3://bucket/run1 --port 8000

POST /v1/completions {"prompt": str, "max_tokens": int, "temperature": float}; GET /healthz (the
process is up), GET /readyz (a checkpoint is loaded), GET /metrics (Prometheus). Continuous batching: a request
joins the running batch at the next decode step and leaves it when its last token is out; the first
request into an idle server waits up to --max-wait-ms for company.

A request is checked on its own before it joins a batch (bad JSON, bad UTF-8, deep nesting or a
non-finite temperature get a 400), and a batch that fails is retried one request at a time, so a
request never fails the others it was batched with. Every response is counted in /metrics. The
port is bound before the model loads: a taken or invalid --port exits 2 at once.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import math
import os
import socket
import sys
import time
import uuid

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from .engine import Engine, Pending  # noqa: F401  (Pending: re-exported)

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
COMPLETIONS = "/v1/completions"
PATHS = frozenset((COMPLETIONS, "/healthz", "/readyz", "/metrics"))
EXIT_INVALID = 2


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (an integer from 1 to 65535)") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range: a port is from 1 to 65535")
    return port


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m aiinfra.workloads.reference.serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint URL the trainer writes to (s3://, gs://, az://, file://)")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=port_number, default=8000, help="TCP port, 1 to 65535")
    p.add_argument("--max-batch-size", type=int, default=32, help="most requests generated together (rows of the running batch)")
    p.add_argument("--max-wait-ms", type=float, default=5.0, help="how long the first request of a batch waits for company")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--poll-seconds", type=float, default=10.0, help="retry interval while the URL holds no checkpoint yet")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler")
    p.add_argument("--fail-prompt", help=argparse.SUPPRESS)  # fault injection for tests: generating this prompt raises
    return p


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("aiinfra_serve_requests", "Completion requests by HTTP status, errors included", ["status"], registry=r)
        self.responses = Counter("aiinfra_serve_http_responses", "Every HTTP response by path and status", ["path", "status"], registry=r)
        self.latency = Histogram("aiinfra_serve_request_seconds", "Completion latency, queueing included", registry=r,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.batch_size = Histogram("aiinfra_serve_batch_size", "Requests admitted together into the running batch", buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram("aiinfra_serve_batch_seconds", "Time to prefill one admitted group", registry=r)
        self.batch_retries = Counter("aiinfra_serve_batch_retries", "Groups that failed as a whole and were retried one request at a time", registry=r)
        self.running = Gauge("aiinfra_serve_running", "Requests being generated now", registry=r)
        self.tokens = Counter("aiinfra_serve_generated_tokens", "Tokens generated", registry=r)
        self.queue = Gauge("aiinfra_serve_queue_depth", "Requests waiting for a batch", registry=r)
        self.step = Gauge("aiinfra_serve_checkpoint_step", "Training step of the loaded checkpoint", registry=r)

    def response(self, path: str, status: int, seconds: float) -> None:
        self.responses.labels(path if path in PATHS else "other", str(status)).inc()
        if path == COMPLETIONS:
            self.requests.labels(str(status)).inc()
            self.latency.observe(seconds)


def access_counter(metrics: Metrics) -> type[AbstractAccessLogger]:
    """aiohttp's access-log hook sees every response: handlers' own, 4xx the framework raises
    (413, 404, 405), 500s from unexpected errors and 400s for requests that do not parse as HTTP."""

    class CountResponses(AbstractAccessLogger):
        def log(self, request, response, seconds: float) -> None:
            metrics.response(request.path, response.status, seconds)

        @property
        def enabled(self) -> bool:
            return True

    return CountResponses


def _finite(value) -> bool:
    """A JSON number that is finite as a float: not NaN, Infinity, 1e999 or an integer beyond a float's range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _bad(message: str) -> web.Response:
    return web.json_response({"error": {"message": message, "type": "invalid_request_error"}}, status=400)


def make_app(args) -> web.Application:
    metrics = Metrics()
    app = web.Application()
    engine = Engine(args, metrics)
    app["engine"] = engine
    app["metrics"] = metrics

    async def completions(request: web.Request) -> web.Response:
        if engine.model is None:
            return web.json_response({"error": {"message": f"model not loaded: {engine.error}", "type": "unavailable"}}, status=503)
        raw = await request.read()  # over client_max_size: aiohttp answers 413
        try:
            body = json.loads(raw.decode("utf-8"))  # JSON is UTF-8 (RFC 8259), whatever charset the header names
        except UnicodeDecodeError:
            return _bad("body must be UTF-8 encoded JSON")
        except RecursionError:
            return _bad("body nests too deeply")
        except ValueError:
            return _bad("body must be JSON")
        if not isinstance(body, dict) or not isinstance(body.get("prompt"), str):
            return _bad("'prompt' must be a string")
        max_tokens, temperature = body.get("max_tokens", 16), body.get("temperature", 1.0)
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or not 1 <= max_tokens < engine.block_size:
            return _bad(f"'max_tokens' must be an integer from 1 to {engine.block_size - 1}")
        if not _finite(temperature) or temperature < 0:
            return _bad("'temperature' must be a finite number >= 0 (0 is greedy)")
        try:
            prompt = body["prompt"].encode()
        except UnicodeEncodeError:
            return _bad("'prompt' must be valid Unicode (it holds a lone surrogate escape such as \\ud800)")
        try:
            out = await engine.submit(prompt, max_tokens, float(temperature))
        except Exception as err:  # noqa: BLE001 - this request's own failure, after its batch was retried one by one
            print(f"error: generation failed for one request: {type(err).__name__}: {err}", flush=True)
            return web.json_response({"error": {"message": f"generation failed: {type(err).__name__}", "type": "server_error"}}, status=500)
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

    app.router.add_post(COMPLETIONS, completions)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_view)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


def listen(host: str, port: int) -> list[socket.socket]:
    """Bound, listening sockets for every address of host, as aiohttp would make them."""
    infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    socks: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in {info[4]: info for info in infos}.values():
            sock = socket.socket(family, kind, proto)
            socks.append(sock)
            if os.name == "posix":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(128)
    except OSError:
        for sock in socks:
            sock.close()
        raise
    return socks


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.max_batch_size < 1 or args.max_wait_ms < 0:
        parser.error("--max-batch-size must be >= 1 and --max-wait-ms >= 0")
    try:  # before the model loads: a port that is taken fails now, not after minutes of loading
        socks = listen(args.host, args.port)
    except OSError as err:
        hint = {errno.EADDRINUSE: ": another process listens there; stop it or pass another --port",
                errno.EACCES: ": ports below 1024 need privileges; pass another --port",
                errno.EADDRNOTAVAIL: ": --host is not an address of this machine"}.get(err.errno, "")
        if isinstance(err, socket.gaierror):
            hint = ": --host is neither an address nor a name this machine resolves"
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror or err}{hint}", file=sys.stderr, flush=True)
        return EXIT_INVALID
    app = make_app(args)
    web.run_app(app, sock=socks, print=lambda msg: print(msg, flush=True), access_log_class=access_counter(app["metrics"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
