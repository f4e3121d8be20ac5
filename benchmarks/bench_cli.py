"""Wall time of `aiinfra --help`, and of `preview` (JSON, tables and `--summary`), `cost` and `validate` on every
example in stacks/.

Prints numbers (one table, medians of several runs); asserts nothing. Targets: --help < 0.3 s,
preview < 3 s, cost under half of preview on the same spec; `--summary` runs the same program as preview, so it
should take what preview takes (it only prints less).
Run: python benchmarks/bench_cli.py [--runs N] [--only NAME] [--markdown] [--cpu]
(--cpu reports the child's user+system CPU seconds instead of wall time: steadier on a shared machine.)
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each timed command's arguments before the spec: "preview" is the JSON one (as before); "tables" and "summary" are
# the human outputs that `--summary` shortens.
COMMANDS = {
    "preview": ["preview", "--json"],
    "tables": ["preview"],
    "summary": ["preview", "--summary"],
    "cost": ["cost", "--json"],
    "validate": ["validate", "--json"],
}


def command() -> list[str]:
    exe = shutil.which("aiinfra")
    return [exe] if exe else [sys.executable, "-m", "aiinfra"]


CPU = False


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(args: list[str], runs: int) -> list[float]:
    clock = _cpu if CPU else time.perf_counter
    out = []
    for _ in range(runs):
        start = clock()
        subprocess.run(command() + args, check=True, capture_output=True, cwd=ROOT)
        out.append(clock() - start)
    return out


def examples() -> list[Path]:
    """Every example environment (the Pulumi stack files are not specs)."""
    return [p for p in sorted((ROOT / "stacks").glob("*.yaml")) if not p.name.startswith("Pulumi")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", help="only examples whose file name contains this")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--cpu", action="store_true", help="CPU seconds (user+system) instead of wall seconds")
    args = ap.parse_args()
    global CPU
    CPU = args.cpu
    timed(["--help"], 1)  # warm the file cache
    help_t = statistics.median(timed(["--help"], args.runs))
    rows = []
    for spec in examples():
        if args.only and args.only not in spec.name:
            continue
        rel = str(spec.relative_to(ROOT))
        # Interleave the commands run by run, so background load hits them alike.
        samples: dict[str, list[float]] = {c: [] for c in COMMANDS}
        for _ in range(args.runs):
            for c in COMMANDS:
                samples[c] += timed([*COMMANDS[c], rel], 1)
        med = {c: statistics.median(s) for c, s in samples.items()}
        rows.append((rel, [med[c] for c in COMMANDS], med["cost"] / med["preview"]))
    unit = f"median {'CPU' if CPU else 'wall'} s of {args.runs}"
    if args.markdown:
        print(f"`--help`: {help_t:.3f} s ({unit})\n")
        print("| example | " + " | ".join(f"{' '.join(a)} s" for a in COMMANDS.values()) + " | cost/preview |")
        print("|---|" + "---:|" * (len(COMMANDS) + 1))
        for rel, times, r in rows:
            print(f"| {rel} | " + " | ".join(f"{t:.2f}" for t in times) + f" | {r:.2f} |")
        return
    print(f"aiinfra --help: median {help_t:.3f} s (n={args.runs}, target < 0.3 s)")
    print(f"{'example':<24}" + "".join(f" {c:>9}" for c in COMMANDS) + f" {'cost/preview':>13}   ({unit}; " + ", ".join(f"{c} = {' '.join(a)}" for c, a in COMMANDS.items() if c != a[0]) + ")")
    for rel, times, r in rows:
        verdict = "" if r < 0.5 else "  OVER TARGET (< 0.5)"
        print(f"{rel:<24}" + "".join(f" {t:9.2f}" for t in times) + f" {r:13.2f}{verdict}")

if __name__ == "__main__":
    main()
