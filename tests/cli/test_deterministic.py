"""`preview --json` is byte-identical across processes whatever the string-hash seed. One example per cloud,
all in one process per seed to keep the test short; scripts/check_deterministic.py runs the real command
on every example and fixture."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SPECS = ["stacks/aws-llm.yaml", "stacks/gcp-llm.yaml", "stacks/azure-llm.yaml"]
PREVIEW_JSON = """
import sys
from aiinfra.cli.common import emit_json as _emit_json
from aiinfra.report.preview import build
from aiinfra.resolve.resolver import load
for spec in sys.argv[1:]:
    _emit_json(build(load(spec)))
"""


def previews(seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run([sys.executable, "-c", PREVIEW_JSON, *SPECS], env=env, check=True, capture_output=True, cwd=ROOT).stdout


def test_preview_json_is_byte_identical_across_hash_seeds():
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(previews, ["1", "3"])
    assert a.count(b'"environment":') == len(SPECS)
    assert a == b
    assert b"object at 0x" not in a
