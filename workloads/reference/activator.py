"""Scale to zero on one machine, with the semantics of KEDA's HTTP add-on interceptor that the manifests put in
front of the server: a request into an idle activator starts the server (the manifests' command line,
aiinfra.workloads.reference.command), waits while it loads (up to --cold-start-timeout, then 504, like the
interceptor's readinessTimeout) and is then forwarded, streamed responses included; after --idle-seconds with no
request in flight the server is stopped (replicas back to 0).

    python -m aiinfra.workloads.reference.activator --checkpoint file:///tmp/run1 --port 8080

GET /activator/status: replicas (0 or 1), requests in flight, cold starts and the last one's seconds to ready.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time

import aiohttp
from aiohttp import web

from .command import SERVE_COMMAND, serve_args
from .openai_api import error

STATUS = "/activator/status"
PASSED = ("Content-Type", "Cache-Control", "Retry-After")


class Replica:
    """The one server process: started on demand, ready once its /readyz says 200, stopped when idle."""

    def __init__(self, argv: list[str], base: str, log):
        self.argv, self.base, self.log = argv, base, log
        self.proc: asyncio.subprocess.Process | None = None
        self.ready = False
        self.lock = asyncio.Lock()
        self.cold_starts = 0
        self.last_cold_start: float | None = None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    async def ensure(self, session: aiohttp.ClientSession, timeout: float) -> None:
        """Start the server if none runs and wait until it is ready; TimeoutError after `timeout` seconds."""
        async with self.lock:
            if self.running and self.ready:
                return
            t0 = time.perf_counter()
            if not self.running:
                self.proc = await asyncio.create_subprocess_exec(*self.argv, stdout=self.log, stderr=self.log)
                self.ready = False
                self.cold_starts += 1
            deadline = time.monotonic() + timeout
            while True:
                if not self.running:
                    raise RuntimeError(f"the server exited with status {self.proc.returncode} while starting")
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with session.get(f"{self.base}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            break
                if time.monotonic() > deadline:
                    raise TimeoutError
                await asyncio.sleep(0.05)
            self.ready, self.last_cold_start = True, time.perf_counter() - t0

    async def stop(self) -> None:
        async with self.lock:
            if self.running:
                self.proc.terminate()
                try:
                    await asyncio.wait_for(self.proc.wait(), 30)
                except asyncio.TimeoutError:
                    self.proc.kill()
                    await self.proc.wait()
            self.ready = False


def make_app(args, argv: list[str]) -> web.Application:
    app = web.Application(client_max_size=8 << 20)
    replica = Replica(argv, f"http://127.0.0.1:{args.upstream_port}", None if args.verbose else asyncio.subprocess.DEVNULL)
    state = {"in_flight": 0, "last": time.monotonic()}

    async def forward(request: web.Request) -> web.StreamResponse:
        state["in_flight"] += 1
        try:
            session = request.app["session"]
            try:
                await replica.ensure(session, args.cold_start_timeout)
            except TimeoutError:
                return web.json_response(error(f"no replica became ready in {args.cold_start_timeout:g}s", "timeout", code="cold_start_timeout"), status=504)
            except RuntimeError as err:
                return web.json_response(error(str(err), "server_error", code="replica_failed"), status=502)
            body = await request.read()
            headers = {k: v for k, v in request.headers.items() if k in ("Content-Type", "Accept")}
            async with session.request(request.method, f"{replica.base}{request.rel_url}", data=body, headers=headers) as up:
                resp = web.StreamResponse(status=up.status, headers={k: up.headers[k] for k in PASSED if k in up.headers})
                await resp.prepare(request)
                async for chunk in up.content.iter_any():
                    await resp.write(chunk)
                await resp.write_eof()
                return resp
        finally:
            state["in_flight"] -= 1
            state["last"] = time.monotonic()

    async def status(_):
        return web.json_response({"replicas": int(replica.running), "ready": replica.ready, "in_flight": state["in_flight"],
                                  "cold_starts": replica.cold_starts, "last_cold_start_seconds": replica.last_cold_start})

    async def reaper() -> None:
        """Scale to zero: stop the server once nothing was in flight for --idle-seconds."""
        while True:
            await asyncio.sleep(min(1.0, args.idle_seconds / 4))
            if replica.running and not state["in_flight"] and time.monotonic() - state["last"] > args.idle_seconds:
                await replica.stop()

    async def start(app):
        app["session"] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=args.response_timeout))
        app["reaper"] = asyncio.create_task(reaper())

    async def stop(app):
        app["reaper"].cancel()
        await asyncio.gather(app["reaper"], return_exceptions=True)
        await replica.stop()
        await app["session"].close()

    app.router.add_get(STATUS, status)
    app.router.add_route("*", "/{path:.*}", forward)
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    return app


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m aiinfra.workloads.reference.activator", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint URL the server loads")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080, help="where clients connect")
    p.add_argument("--upstream-port", type=int, default=8000, help="the server's port (the manifests' 8000)")
    p.add_argument("--idle-seconds", type=float, default=300.0, help="stop the server after this long with no request (KEDA's cooldownPeriod)")
    p.add_argument("--cold-start-timeout", type=float, default=600.0, help="how long a request waits for a replica (the interceptor's readinessTimeout)")
    p.add_argument("--response-timeout", type=float, default=300.0, help="longest silence from the server while a response streams")
    p.add_argument("--verbose", action="store_true", help="pass the server's output through")
    p.add_argument("serve_args", nargs="*", help="after --: more arguments for the server (e.g. --device cuda)")
    args = p.parse_args(argv)
    if args.idle_seconds <= 0 or args.cold_start_timeout <= 0:
        p.error("--idle-seconds and --cold-start-timeout must be > 0")
    # The manifests' command with this Python (SERVE_COMMAND names `python`) and the port behind the activator.
    server = [sys.executable, *SERVE_COMMAND[1:], *serve_args(args.checkpoint, "127.0.0.1", args.upstream_port), *args.serve_args]
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    web.run_app(make_app(args, server), host=args.host, port=args.port, print=lambda m: print(m, flush=True), access_log=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
