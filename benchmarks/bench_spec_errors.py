"""Cost of safe spec loading and of the error path, in-process.

Times, per example in stacks/: load_spec (file checks, YAML node walk for duplicate keys/depth/size, pydantic),
resolve, and `validate --json` through typer's CliRunner; then the fuzz corpus of tests/cli/test_fuzz.py
(mutated examples, mostly bad) through `validate --json`. Prints numbers; asserts nothing.
Run: python benchmarks/bench_spec_errors.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def per_call_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs

    from typer.testing import CliRunner

    from aiinfra.cli.main import app
    from aiinfra.resolve.resolver import resolve
    from aiinfra.spec import load_spec

    runner = CliRunner()
    examples = sorted(p for p in (ROOT / "stacks").glob("*.yaml") if not p.name.startswith("Pulumi."))
    print(f"{'example':<16} {'load_spec ms':>13} {'resolve ms':>11} {'validate --json ms':>19}  (median of {runs})")
    for path in examples:
        spec = load_spec(path)
        load_ms = per_call_ms(lambda: load_spec(path), runs)
        resolve_ms = per_call_ms(lambda: resolve(spec), runs)
        cli_ms = per_call_ms(lambda: runner.invoke(app, ["validate", "--json", str(path)]), runs)
        print(f"{path.stem:<16} {load_ms:>13.2f} {resolve_ms:>11.2f} {cli_ms:>19.2f}")

    sys.path.insert(0, str(ROOT / "tests" / "cli"))
    import test_fuzz

    cases = test_fuzz.cases()
    with tempfile.TemporaryDirectory() as tmp:
        spec_file = Path(tmp) / "fuzz.yaml"
        codes: dict[int, int] = {}
        start = time.perf_counter()
        for _, _, text in cases:
            spec_file.write_text(text, encoding="utf-8")
            code = runner.invoke(app, ["validate", "--json", str(spec_file)]).exit_code
            codes[code] = codes.get(code, 0) + 1
        total = time.perf_counter() - start
    print(f"fuzz corpus: {len(cases)} cases in {total:.2f} s ({total / len(cases) * 1000:.1f} ms each); exit codes {codes}")


if __name__ == "__main__":
    main()
