"""Wall time of `aiinfra --help` and of `aiinfra preview` on every example in stacks/.

Prints numbers; asserts nothing. Targets: --help < 0.3 s, preview < 3 s.
Run: python benchmarks/bench_cli.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def command() -> list[str]:
    exe = shutil.which("aiinfra")
    return [exe] if exe else [sys.executable, "-m", "aiinfra"]


def timed(args: list[str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command() + args, check=True, capture_output=True, cwd=ROOT)
        out.append(time.perf_counter() - start)
    return out


def examples() -> list[tuple[Path, int]]:
    """Every example environment with its resource count (the Pulumi stack files are not specs)."""
    sizes = []
    for spec in sorted((ROOT / "stacks").glob("*.yaml")):
        if spec.name.startswith("Pulumi"):
            continue
        data = json.loads(subprocess.run(command() + ["preview", "--json", str(spec)], check=True, capture_output=True, cwd=ROOT).stdout)
        sizes.append((spec, len(data["resources"])))
    return sizes


def report(label: str, samples: list[float], target: float) -> None:
    med = statistics.median(samples)
    verdict = "ok" if med < target else "OVER TARGET"
    print(f"{label:<44} median {med:6.3f} s  min {min(samples):6.3f} s  max {max(samples):6.3f} s  (n={len(samples)}, target < {target} s: {verdict})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    timed(["--help"], 1)  # warm the file cache
    report("aiinfra --help", timed(["--help"], runs), 0.3)
    for spec, n in examples():
        rel = spec.relative_to(ROOT)
        report(f"aiinfra preview {rel} ({n} resources)", timed(["preview", str(rel)], max(3, runs // 2)), 3.0)
    report(f"aiinfra preview --json {rel}", timed(["preview", "--json", str(rel)], max(3, runs // 2)), 3.0)


if __name__ == "__main__":
    main()
