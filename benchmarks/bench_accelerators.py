"""The non-NVIDIA examples (issue 14): preview wall time of each, with its pools, prices and resource counts.

Prints numbers (medians of several `aiinfra preview --json` runs in a fresh process, as a user runs it); asserts nothing.
Run: python benchmarks/bench_accelerators.py [--runs N] [SPEC ...]   (default: stacks/gcp-tpu.yaml,
stacks/aws-trainium.yaml, stacks/azure-mi300x.yaml)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ["stacks/gcp-tpu.yaml", "stacks/aws-trainium.yaml", "stacks/azure-mi300x.yaml"]


def preview(spec: str) -> tuple[float, dict]:
    exe = shutil.which("aiinfra")
    cmd = [exe] if exe else [sys.executable, "-m", "aiinfra"]
    start = time.perf_counter()
    proc = subprocess.run([*cmd, "preview", "--json", spec], cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("specs", nargs="*", default=EXAMPLES)
    args = ap.parse_args()
    for spec in args.specs:
        times, data = [], {}
        for _ in range(args.runs):
            t, data = preview(spec)
            times.append(t)
        cost = data["cost"]
        kinds = Counter(r["type"] for r in data["resources"])
        charts = sorted(r["name"].removeprefix(f"{data['environment']}-") for r in data["resources"] if r["type"] == "kubernetes:helm.sh/v4:Chart")
        print(f"\n{spec}: preview {statistics.median(times):.2f} s median of {args.runs} (min {min(times):.2f}, max {max(times):.2f})")
        for p in data["node_pools"]:
            price = "unpriced" if p["hourly_usd_per_node"] is None else f"${p['hourly_usd_per_node']:,.2f}/h per node"
            print(f"  pool {p['name']:<7} {p['instance_type']:<28} {p['gpus_per_node']:>2} x {p['gpu'] or 'CPU':<12} nodes {p['nodes_min']}-{p['nodes_max']:<3} {p['capacity']:<9} {price}")
        print(f"  cost ${cost['hourly_usd_min']:,.2f}-${cost['hourly_usd_max']:,.2f}/h, ${cost['monthly_usd_min']:,.0f}-${cost['monthly_usd_max']:,.0f}/month; prices as of: {cost['prices_as_of']}")
        print(f"  resources {len(data['resources'])} ({len(kinds)} types); Helm releases: {', '.join(charts)}")


if __name__ == "__main__":
    main()
