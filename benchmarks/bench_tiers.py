"""Times the test tiers: wall clock, the CPU time pytest and its children used (on a shared machine wall time
follows the neighbours' load, CPU time much less), and the test counts. Prints numbers; asserts nothing.

    .venv/bin/python benchmarks/bench_tiers.py                # the fast tier (pytest -m "not slow")
    .venv/bin/python benchmarks/bench_tiers.py fast slow      # each tier in turn
    .venv/bin/python benchmarks/bench_tiers.py full -n 2      # the full suite over pytest-xdist (.ci/run's command)
    .venv/bin/python benchmarks/bench_tiers.py --count        # only how many tests each tier holds (collection)
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERS = {"fast": ["-m", "not slow"], "slow": ["-m", "slow"], "full": []}


def _pytest(args: list[str]) -> tuple[float, float, str, int]:
    """(wall s, CPU s of the children, output, exit code) of one pytest run in a subprocess."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout + proc.stderr, proc.returncode


def _counts(output: str) -> str:
    """The summary line's counts: '1234 passed, 5 skipped' (or what was collected)."""
    found = re.findall(r"(\d+)(?:/\d+)? (passed|failed|skipped|errors?|deselected|xfailed|xpassed|tests? collected)", output.splitlines()[-1] if output.strip() else "")
    return ", ".join(f"{n} {what}" for n, what in found) or (output.strip().splitlines()[-1] if output.strip() else "no output")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tiers", nargs="*", default=["fast"], choices=sorted(TIERS))
    parser.add_argument("-n", dest="workers", help="pytest-xdist workers (a number or auto)")
    parser.add_argument("--count", action="store_true", help="collect only: the number of tests in each tier")
    opts = parser.parse_args()
    worst = 0
    for tier in opts.tiers or ["fast"]:
        args = [*TIERS[tier]]
        if opts.count:
            args.append("--collect-only")
        elif opts.workers:
            args += ["-n", opts.workers]
        wall, cpu, output, code = _pytest(args)
        worst = max(worst, code if code not in (0, 5) else 0)
        label = f"{tier}{' -n ' + opts.workers if opts.workers and not opts.count else ''}"
        print(f"{label:<12} wall {wall:7.1f} s   cpu {cpu:7.1f} s   {_counts(output)}   (load average {os.getloadavg()[0]:.1f})")
        if code not in (0, 5):
            print(output[-3000:], file=sys.stderr)
    return worst


if __name__ == "__main__":
    sys.exit(main())
