"""Run `aiinfra preview --json` twice per spec under different PYTHONHASHSEED values and compare bytes.

Exits 1 naming the first differing line of each spec that differs. Default: every example in stacks/
and every ok fixture in tests/fixtures/specs/.
Run: python scripts/check_deterministic.py [--seeds 1 2] [SPEC ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def specs() -> list[Path]:
    stacks = [p for p in sorted((ROOT / "stacks").glob("*.yaml")) if not p.name.startswith("Pulumi")]
    return stacks + sorted((ROOT / "tests" / "fixtures" / "specs").glob("*.ok.*.yaml"))


def preview(spec: Path, seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-m", "aiinfra", "preview", "--json", str(spec)], env=env, check=True, capture_output=True, cwd=ROOT).stdout


def first_difference(a: bytes, b: bytes) -> str:
    for n, (x, y) in enumerate(zip(a.splitlines(), b.splitlines()), 1):
        if x != y:
            return f"line {n}: {x.decode().strip()[:80]!r} vs {y.decode().strip()[:80]!r}"
    return "lengths differ"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", nargs=2, default=["1", "2"])
    ap.add_argument("specs", nargs="*", type=Path)
    args = ap.parse_args()
    bad = 0
    with ThreadPoolExecutor(2) as pool:
        for spec in args.specs or specs():
            a, b = pool.map(lambda seed: preview(spec, seed), args.seeds)
            same = a == b
            bad += not same
            print(f"{'same' if same else 'DIFFERENT':<9} {spec.relative_to(ROOT) if spec.is_absolute() else spec}" + ("" if same else f"  ({first_difference(a, b)})"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
