"""Serve completions from the latest checkpoint over OpenAI's HTTP API, batching concurrent requests.

    python -m aiinfra.workloads.reference.serve --checkpoint s3://bucket/run1 --port 8000

POST /v1/completions {"prompt": str, ...} and POST /v1/chat/completions {"messages": [...], ...}, both with
`"stream": true` as server-sent events; GET /v1/models; GET /healthz (the process is up), GET /readyz (200
once a checkpoint is loaded), GET /metrics (Prometheus, time to first token and queue depth included).
Continuous batching: a request joins the running batch at the next decode step and leaves it when its last
token is out; the first request into an idle server waits up to --max-wait-ms for company.

A request is checked on its own before it joins a batch (bad JSON, unknown or wrong-typed fields, a
non-finite temperature get a 400 in OpenAI's error shape), and a batch that fails is retried one request at
a time, so a request never fails the others it was batched with. Every response is counted in /metrics. The
port is bound before the model loads: a taken or invalid --port exits 2 at once.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import math
import os
import socket
import sys
import time

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

from . import openai_api as api
from .engine import Engine, Pending  # noqa: F401  (Pending: re-exported)

BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
COMPLETIONS = "/v1/completions"
CHAT = "/v1/chat/completions"
MODELS = "/v1/models"
GENERATE = frozenset((COMPLETIONS, CHAT))
PATHS = frozenset((COMPLETIONS, CHAT, MODELS, "/healthz", "/readyz", "/metrics"))
TOKEN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
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
    p.add_argument("--model-name", default="aiinfra-reference", help="the model's id in /v1/models and the requests' `model`")
    p.add_argument("--fail-prompt", help=argparse.SUPPRESS)  # fault injection for tests: generating this prompt raises
    return p


class Metrics:
    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("aiinfra_serve_requests", "Completion and chat requests by HTTP status, errors included", ["status"], registry=r)
        self.responses = Counter("aiinfra_serve_http_responses", "Every HTTP response by path and status", ["path", "status"], registry=r)
        self.latency = Histogram("aiinfra_serve_request_seconds", "Completion latency, queueing included", registry=r,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.batch_size = Histogram("aiinfra_serve_batch_size", "Requests admitted together into the running batch", buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram("aiinfra_serve_batch_seconds", "Time to prefill one admitted group", registry=r)
        self.batch_retries = Counter("aiinfra_serve_batch_retries", "Groups that failed as a whole and were retried one request at a time", registry=r)
        self.running = Gauge("aiinfra_serve_running", "Requests being generated now", registry=r)
        self.tokens = Counter("aiinfra_serve_generated_tokens", "Tokens generated", registry=r)
        self.queue = Gauge("aiinfra_serve_queue_depth", "Requests waiting for a batch (the autoscaler's input with running)", registry=r)
        self.ttft = Histogram("aiinfra_serve_time_to_first_token_seconds", "From a request's arrival to its first sampled token",
                              buckets=TOKEN_BUCKETS, registry=r)
        self.itl = Histogram("aiinfra_serve_inter_token_seconds", "Between a request's consecutive sampled tokens", buckets=TOKEN_BUCKETS, registry=r)
        self.step = Gauge("aiinfra_serve_checkpoint_step", "Training step of the loaded checkpoint", registry=r)

    def response(self, path: str, status: int, seconds: float) -> None:
        self.responses.labels(path if path in PATHS else "other", str(status)).inc()
        if path in GENERATE:
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


@web.middleware
async def openai_errors(request: web.Request, handler):
    """aiohttp's own 4xx (404, 405, 413) in OpenAI's error shape, like the handlers' errors."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        allow = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        kind = "not_found_error" if exc.status == 404 else "invalid_request_error"
        return web.json_response(api.error(exc.reason or exc.text or "", kind, code=str(exc.status)), status=exc.status, headers=allow)


def _bad(body: dict, status: int = 400) -> web.Response:
    return web.json_response(body, status=status)


def make_app(args) -> web.Application:
    metrics = Metrics()
    app = web.Application(middlewares=[openai_errors])
    engine = Engine(args, metrics)
    app["engine"] = engine
    app["metrics"] = metrics
    name = args.model_name

    def unavailable() -> web.Response:
        body = api.error(f"model not loaded: {engine.status()}", "unavailable", code="model_not_loaded")
        return web.json_response(body, status=503, headers={"Retry-After": str(max(1, math.ceil(args.poll_seconds)))})

    async def checked(request: web.Request, kind):
        """The request, or the response that refuses it (503 while loading, 400 for a bad body, 404 for another model)."""
        if engine.model is None:
            return None, unavailable()
        body, err = api.bad_json(await request.read())  # over client_max_size: aiohttp answers 413
        if err:
            return None, _bad(err)
        req = api.parse(kind, body)
        if isinstance(req, dict):
            return None, _bad(req)
        if req.model not in (None, name) and not req.model.startswith(f"{name}/"):
            return None, _bad(api.error(f"the model {req.model!r} does not exist; GET /v1/models lists {name!r}", param="model",
                                        code="model_not_found"), 404)
        if not req.budget() < engine.block_size:
            field = "max_completion_tokens" if getattr(req, "max_completion_tokens", None) else "max_tokens"
            return None, _bad(api.error(f"{field!r} must be an integer from 1 to {engine.block_size - 1}", param=field, code="out_of_range"))
        try:
            prompt = req.text().encode()
        except UnicodeEncodeError:
            where = "prompt" if kind is api.CompletionRequest else "messages"
            return None, _bad(api.error(f"{where!r} must be valid Unicode (it holds a lone surrogate escape such as \\ud800)", param=where))
        return (req, prompt), None

    def usage(prompt: bytes, req, made: int) -> dict:
        used = min(len(prompt), engine.block_size - req.budget()) or 1
        return {"prompt_tokens": used, "completion_tokens": made, "total_tokens": used + made}

    def failed(err: Exception) -> web.Response:
        print(f"error: generation failed for one request: {type(err).__name__}: {err}", flush=True)
        return web.json_response(api.error(f"generation failed: {type(err).__name__}", "server_error"), status=500)

    async def generate(request: web.Request, kind) -> web.StreamResponse:
        got, refused = await checked(request, kind)
        if refused is not None:
            return refused
        req, prompt = got
        reply = api.Reply(kind is api.ChatRequest, f"{name}/step-{engine.step}")
        pending = engine.enqueue(prompt, req.budget(), float(req.temperature), stream=req.stream)
        if req.stream:
            return await stream(request, req, prompt, reply, pending)
        try:
            out = await pending.future
        except Exception as err:  # noqa: BLE001 - this request's own failure, after its batch was retried one by one
            return failed(err)
        return web.json_response(reply.whole(out.decode("utf-8", errors="replace"), usage(prompt, req, len(out))))

    async def stream(request, req, prompt: bytes, reply, pending) -> web.StreamResponse:
        """Server-sent events: a chunk per token that completes a character, the finish chunk, then [DONE]."""
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        decoder, sent = api.utf8_decoder(), 0
        try:
            await resp.prepare(request)
            if reply.chat:
                await resp.write(api.sse(reply.chunk("", first=True)))
            while True:
                getter = asyncio.ensure_future(pending.tokens.get())
                await asyncio.wait({getter, pending.future}, return_when=asyncio.FIRST_COMPLETED)
                if not getter.done():
                    getter.cancel()
                    break
                sent += 1
                text = decoder.decode(bytes([getter.result()]))
                if text:
                    await resp.write(api.sse(reply.chunk(text)))
            try:
                out = pending.future.result()
            except Exception as err:  # noqa: BLE001 - the stream has begun: its error is the last event
                print(f"error: generation failed for one request: {type(err).__name__}: {err}", flush=True)
                await resp.write(api.sse(api.error(f"generation failed: {type(err).__name__}", "server_error")))
                await resp.write(api.sse("[DONE]"))
                return resp
            rest = decoder.decode(out[sent:], final=True)  # tokens a one-by-one retry made, and a split character's end
            await resp.write(api.sse(reply.chunk(rest, finish="length")))
            if req.stream_options and req.stream_options.include_usage:
                await resp.write(api.sse(reply.usage_chunk(usage(prompt, req, len(out)))))
            await resp.write(api.sse("[DONE]"))
            await resp.write_eof()
        except ConnectionResetError:  # the client went away: the engine drops its row at the next step
            pending.future.cancel()
        except asyncio.CancelledError:
            pending.future.cancel()
            raise
        return resp

    async def completions(request: web.Request) -> web.StreamResponse:
        return await generate(request, api.CompletionRequest)

    async def chat(request: web.Request) -> web.StreamResponse:
        return await generate(request, api.ChatRequest)

    async def models(_):
        created = int(engine.loaded_at or time.time())
        return web.json_response({"object": "list", "data": [{"id": name, "object": "model", "created": created, "owned_by": "aiinfra"}]})

    async def healthz(_):
        return web.json_response({"status": "ok"})

    async def readyz(_):
        if engine.model is None:
            return web.json_response({"ready": False, "reason": engine.status()}, status=503)
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
    app.router.add_post(CHAT, chat)
    app.router.add_get(MODELS, models)
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
