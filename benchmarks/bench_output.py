"""Wall time of the commands that only read a spec or the catalog: `graph` (every format that needs no
external tool), `validate`, `catalog`, `init` and `--help`, on every example in stacks/.

`graph` is built from the resolved spec and the platform plan, not the Pulumi program, so it should
cost about what `validate` costs; `preview` is timed once for scale. Prints numbers; asserts nothing.
Run: python benchmarks/bench_output.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_cli import command  # noqa: E402


def timed(args: list[str], runs: int) -> float:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command() + args, check=True, capture_output=True, cwd=ROOT)
        out.append(time.perf_counter() - start)
    return statistics.median(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    runs = ap.parse_args().runs
    print(f"median of {runs} runs, seconds ({' '.join(command())})")
    print(f"{'--help':<40} {timed(['--help'], runs):6.2f}")
    print(f"{'catalog':<40} {timed(['catalog'], runs):6.2f}")
    print(f"{'catalog --wide --sort price':<40} {timed(['catalog', '--wide', '--sort', 'price'], runs):6.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'init --cloud gcp --gpu H100:8':<40} {timed(['init', '--cloud', 'gcp', '--gpu', 'H100:8', '-o', f'{tmp}/x.yaml', '--force'], runs):6.2f}")
    for spec in sorted((ROOT / "stacks").glob("*.yaml")):
        if spec.name.startswith("Pulumi"):
            continue
        rel = str(spec.relative_to(ROOT))
        row = {what: timed(args, runs) for what, args in {
            "validate": ["validate", rel],
            "graph": ["graph", rel],
            "graph dot": ["graph", rel, "--format", "dot"],
            "cost": ["cost", rel],
        }.items()}
        print(f"{spec.name:<16} " + "  ".join(f"{k} {v:5.2f}" for k, v in row.items()))
    print(f"{'preview stacks/aws-llm.yaml':<40} {timed(['preview', 'stacks/aws-llm.yaml'], 1):6.2f}")


if __name__ == "__main__":
    main()
