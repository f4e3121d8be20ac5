"""Helpers for the reference-workload tests: launch real training runs and wait for servers."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Small enough for 2 CPU cores; every run reads the first 1 MB of the stdlib corpus.
TINY = ["--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--seq-len", "32", "--batch-size", "4", "--data-max-bytes", "1000000"]
STEP_LINE = re.compile(r"^step (\d+)/\d+ loss ([0-9.]+) .*tokens/s ([0-9,]+)", re.MULTILINE)
# Azurite's documented development account (public, well-known, emulator only).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def losses(output: str) -> dict[int, float]:
    return {int(s): float(loss) for s, loss, _ in STEP_LINE.findall(output)}


def run_module(args: list[str], *, env: dict | None = None, check: bool = True, timeout: float = 180) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env or child_env(), capture_output=True, text=True, timeout=timeout, check=False)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}")
    return proc


def torchrun(nproc: int, args: list[str], **kw) -> subprocess.CompletedProcess:
    return run_module(["-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
                       "-m", "aiinfra.workloads.reference.train", *args], **kw)


def wait_http(url: str, timeout: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError as err:
            # Any HTTP answer (even an error status) means the server is up.
            if getattr(err, "code", None):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer in {timeout}s") from err
            time.sleep(0.2)


def azurite_binary() -> str | None:
    local = ROOT / ".cache" / "azurite" / "node_modules" / ".bin" / "azurite-blob"
    return str(local) if local.exists() else shutil.which("azurite-blob")
