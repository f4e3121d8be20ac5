"""Record `aiinfra preview --json` (stdout and exit code) of every example and fixture spec into a folder,
or compare a fresh run against such a folder.

A refactor keeps these byte-identical; an intended change is named by the files it changes.
Run: python scripts/preview_snapshot.py record DIR | compare DIR [--jobs N]
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
    return stacks + sorted((ROOT / "tests" / "fixtures" / "specs").glob("*.yaml"))


def run(spec: Path) -> bytes:
    env = {**os.environ, "AIINFRA_TODAY": os.environ.get("AIINFRA_TODAY", "2026-12-07"), "COLUMNS": "200"}
    p = subprocess.run([sys.executable, "-m", "aiinfra", "preview", "--json", str(spec)], env=env, capture_output=True, cwd=ROOT)
    # The checkout's path is written as <ROOT>, so a snapshot compares across worktrees and clones.
    return p.stdout.replace(str(ROOT).encode(), b"<ROOT>") + f"\n# exit {p.returncode}\n".encode()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["record", "compare"])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    a = ap.parse_args()
    paths = specs()
    with ThreadPoolExecutor(a.jobs) as ex:
        outs = list(ex.map(run, paths))
    a.dir.mkdir(parents=True, exist_ok=True)
    changed = 0
    for spec, out in zip(paths, outs):
        f = a.dir / f"{spec.parent.name}__{spec.name}.json"
        if a.mode == "record":
            f.write_bytes(out)
        elif not f.exists() or f.read_bytes() != out:
            changed += 1
            print(f"changed: {spec.relative_to(ROOT)}")
    if a.mode == "compare":
        print(f"{changed} of {len(paths)} previews differ")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
