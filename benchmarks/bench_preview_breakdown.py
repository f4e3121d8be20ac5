"""Where `aiinfra preview` spends its time: import time per package group (from `python -X importtime`)
and the rest (interpreter start, resolving the spec, running the program under mocks, printing).

Prints numbers; asserts nothing. Import times are self times summed per group, medians of runs with
-X importtime (which adds a little overhead of its own); wall is the median of plain runs.
Run: python benchmarks/bench_preview_breakdown.py [--runs N] [--command preview|cost|validate] [SPEC ...]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROUPS = [
    ("cloud SDK", re.compile(r"pulumi_(aws|gcp|azure_native)\b")),
    ("pulumi_kubernetes", re.compile(r"pulumi_kubernetes\b")),
    ("SDK version deps (parver, semver, arpeggio)", re.compile(r"(parver|semver|arpeggio)\b")),
    ("pulumi core + grpc + protobuf", re.compile(r"(pulumi|grpc|google|opentelemetry|dill|debugpy)\b")),
    ("aiinfra", re.compile(r"aiinfra\b")),
    ("pydantic + yaml + jinja2", re.compile(r"(pydantic|pydantic_core|annotated_types|yaml|jinja2|markupsafe)\b")),
    ("typer + click + rich", re.compile(r"(typer|click|rich|shellingham|pygments|markdown_it|mdurl)\b")),
]


def group_of(module: str) -> str:
    for label, pattern in GROUPS:
        if pattern.match(module):
            return label
    return "stdlib + other"


def import_times(args: list[str]) -> Counter:
    err = subprocess.run([sys.executable, "-X", "importtime", "-m", "aiinfra", *args], capture_output=True, text=True, cwd=ROOT).stderr
    out: Counter = Counter()
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            out[group_of(m[2])] += int(m[1]) / 1e6
    return out


def wall(args: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "aiinfra", *args], check=True, capture_output=True, cwd=ROOT)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--command", default="preview")
    ap.add_argument("specs", nargs="*")
    a = ap.parse_args()
    specs = a.specs or [str(p.relative_to(ROOT)) for p in sorted((ROOT / "stacks").glob("*.yaml")) if not p.name.startswith("Pulumi")]
    for spec in specs:
        args = [a.command, "--json", spec]
        total = wall(args, a.runs)
        runs = [import_times(args) for _ in range(a.runs)]
        imports = Counter({g: statistics.median(r.get(g, 0.0) for r in runs) for g in set().union(*runs)})
        imported = sum(imports.values())
        print(f"\n{a.command} {spec}: wall {total:.2f} s (median of {a.runs})")
        for label, secs in imports.most_common():
            print(f"  import {label:<44} {secs:6.2f} s  {100 * secs / total:4.0f}%")
        rest = max(total - imported, 0.0)
        print(f"  {'everything else (start-up, resolve, program, output)':<51} {rest:6.2f} s  {100 * rest / total:4.0f}%")
        print(f"  {'all imports':<51} {imported:6.2f} s  {100 * imported / total:4.0f}%")


if __name__ == "__main__":
    main()
