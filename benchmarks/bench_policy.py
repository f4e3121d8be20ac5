"""What the policy pass adds to `aiinfra preview`, per example in stacks/ (in-process, after a warm-up run).

For each example: the preview without the policy pass, with it, and the policy pass alone over the same
preview (every rule, resources and environment facts), as medians of several runs; plus how many rules
each cloud has, by enforcement and severity. Prints numbers; asserts nothing.
Run: python benchmarks/bench_policy.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_s(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs

    from aiinfra import policy
    from aiinfra.report.preview import build, policy_report
    from aiinfra.resolve.resolver import load

    counts = Counter((policy.cloud_of(r), r.enforcement, r.severity) for r in policy.rules())
    print(f"{len(policy.rules())} rules")
    print(f"{'cloud':<7} {'enforcement':<12} {'critical':>8} {'high':>5} {'medium':>6} {'low':>4} {'total':>5}")
    for cloud in ("aws", "gcp", "azure", "all"):
        for level in ("mandatory", "advisory"):
            row = [counts[(cloud, level, s)] for s in ("critical", "high", "medium", "low")]
            print(f"{cloud:<7} {level:<12} {row[0]:>8} {row[1]:>5} {row[2]:>6} {row[3]:>4} {sum(row):>5}")

    print(f"\npreview wall time, median of {runs} (s)")
    print(f"{'example':<14} {'resources':>9} {'without':>8} {'with':>8} {'policy pass':>11} {'share':>6}")
    for spec in sorted(p for p in (ROOT / "stacks").glob("*.yaml") if not p.name.startswith("Pulumi")):
        env = load(spec)
        data = build(env, check_policy=False)  # warm-up: imports, catalog, rule tables
        policy_report(env, data)
        without = median_s(lambda: build(env, check_policy=False), runs)
        with_policy = median_s(lambda: build(env), runs)
        alone = median_s(lambda: policy_report(env, data), runs)
        print(f"{spec.stem:<14} {len(data['resources']):>9} {without:>8.3f} {with_policy:>8.3f} {alone:>11.4f} {alone / without:>6.1%}")


if __name__ == "__main__":
    main()
