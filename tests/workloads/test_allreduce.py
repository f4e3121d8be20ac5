"""The fabric acceptance test, for real: two gloo processes under torchrun on this machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aiinfra.workloads.reference.allreduce import bus_bandwidth, parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_bus_bandwidth_follows_nccl_tests():
    algbw, busbw = bus_bandwidth(8_000_000_000, 1.0, 16)
    assert algbw == pytest.approx(8.0)
    assert busbw == pytest.approx(8.0 * 2 * 15 / 16)
    assert bus_bandwidth(1_000_000_000, 1.0, 1) == (1.0, 0.0)


def test_arguments_are_checked():
    with pytest.raises(SystemExit):
        parse_args(["--size-mb", "0"])
    assert parse_args(["--peak-gbps", "3200"]).peak_gbps == 3200


def test_two_gloo_ranks_report_busbw_and_fraction_of_peak():
    pytest.importorskip("torch")
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
        "-m", "aiinfra.workloads.reference.allreduce", "--size-mb", "4", "--iters", "3", "--peak-gbps", "100",
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1, proc.stdout  # rank 0 only
    r = json.loads(lines[0])
    assert (r["backend"], r["world_size"], r["size_bytes"], r["correct"]) == ("gloo", 2, 4 * 1024 * 1024, True)
    assert r["busbw_GBps"] > 0 and r["busbw_gbps"] == pytest.approx(r["busbw_GBps"] * 8, rel=1e-3)
    # With two ranks busbw equals algbw (2(n-1)/n = 1).
    assert r["busbw_gbps"] == pytest.approx(r["algbw_gbps"], rel=1e-3)
    assert r["fraction_of_peak"] == pytest.approx(r["busbw_gbps"] / 100, rel=1e-2)
