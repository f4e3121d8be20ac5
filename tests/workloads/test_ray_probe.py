"""The probe of a multi-node server's workers (catalog/data/serving.yaml multi_node.worker_probe, rendered into the
LeaderWorkerSet) on a real Ray node, started as the worker's `ray start --block` runs it: true while the node's
raylet runs, false once the raylet is killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from workloadhelpers import free_port

from aiinfra.resolve import serving

pytestmark = pytest.mark.slow
pytest.importorskip("ray")


def probe() -> int:
    """The rendered command, with this interpreter for the image's python3."""
    command = list(serving.data()["multi_node"]["worker_probe"])
    assert command[0] == "python3"
    return subprocess.run([sys.executable, *command[1:]], capture_output=True, timeout=30).returncode


def raylets(under: str = "") -> set[int]:
    """Raylets on this machine (those whose sockets are under `under`); a process the raylet has just forked shows
    its command line too until it execs a worker, as the probe sees it."""
    found = set()
    for p in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = p.read_bytes().split(b"\0")
        except OSError:
            continue
        if os.path.basename(argv[0]) == b"raylet" and under.encode() in b" ".join(argv[1:]):
            found.add(int(p.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="the probe reads /proc (Linux)")
def test_the_worker_probe_follows_the_raylet():
    ray = Path(sys.executable).with_name("ray")
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # Ray's socket paths must stay short
    cmd = [str(ray), "start", "--head", "--block", "--port", str(free_port()), "--temp-dir", temp, "--num-cpus", "1",
           "--object-store-memory", str(100 * 2**20), "--include-dashboard", "false", "--disable-usage-stats"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    try:
        deadline = time.monotonic() + 90
        while not raylets(temp) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
        assert raylets(temp), "ray start did not start a raylet"
        assert probe() == 0
        deadline = time.monotonic() + 30
        while raylets(temp) and time.monotonic() < deadline:
            for pid in raylets(temp):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        assert not raylets(temp)
        if raylets():
            pytest.skip("another Ray node runs on this machine, which the probe (reading all of /proc) counts too")
        assert probe() == 1
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
        shutil.rmtree(temp, ignore_errors=True)
