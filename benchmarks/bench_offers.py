"""Wall time of `aiinfra offers` on every example in stacks/: the whole command (a fresh process, `--json`) and
the in-process part (aiinfra.resolve.offers.offers, catalogs already read), with the regions resolved, the offers
ranked and kept apart, the catalog rows searched per second and the first offer; then a `gpu: {total: 16}` request
with no models, which searches every NVIDIA model and every shape in every region of the whole catalog.

Prints numbers (medians of several runs); asserts nothing. Run: python benchmarks/bench_offers.py [--runs N]
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
    exe = shutil.which("aiinfra") or str(Path(sys.executable).with_name("aiinfra"))
    return [exe] if Path(exe).exists() else [sys.executable, "-m", "aiinfra"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    import tempfile

    from aiinfra import catalog
    from aiinfra.resolve.offers import offers
    from aiinfra.resolve.resolver import load

    specs = sorted(p for p in (ROOT / "stacks").glob("*.yaml") if not p.name.startswith("Pulumi"))
    tmp = Path(tempfile.mkdtemp())
    every_shape = tmp / "every-shape.yaml"
    every_shape.write_text("{name: every-shape, cloud: aws, region: us-east-1, node_pools: [{name: train, gpu: {total: 16}}]}")
    specs.append(every_shape)
    print(f"{'spec':<16} {'process s':>9} {'offers() s':>10} {'regions':>7} {'ranked':>6} {'apart':>5} {'rows/s':>8}  first")
    for spec in specs:
        walls = []
        for _ in range(args.runs):
            t = time.perf_counter()
            out = subprocess.run([*command(), "offers", str(spec), "--json"], capture_output=True, text=True, check=True).stdout
            walls.append(time.perf_counter() - t)
        data = json.loads(out)
        env = load(spec)
        inner = []
        for _ in range(args.runs):
            t = time.perf_counter()
            offers(env, source=str(spec))
            inner.append(time.perf_counter() - t)
        best = (data["offers"] + data["borrowed"])[0]
        n = len(data["offers"]) + len(data["borrowed"]) + len(data["unserved"])
        # every region resolves each pool (and the system pool) against every row of its cloud's catalog
        pools = len(env.spec.node_pools) + 1
        rows = sum(len(catalog.cloud_catalog(c).instance_types) * len(catalog.cloud_catalog(c).regions) * pools for c in data["clouds"])
        print(
            f"{spec.name:<16} {statistics.median(walls):>9.3f} {statistics.median(inner):>10.3f} {n:>7} {len(data['offers']):>6} {len(data['borrowed']):>5} "
            f"{rows / statistics.median(inner):>8,.0f}  {best['cloud']} {best['region']} ${best['hourly_usd_min']:,.2f}/h min, ${best['monthly_usd_min']:,.2f}/month"
        )


if __name__ == "__main__":
    main()
