"""`cost` and `validate` answer from the resolved spec and the catalog: no Pulumi program. They do load the SDKs'
argument classes, because the components' own check()s run in the one check path (aiinfra/resolve/resolver.py)."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import contextlib, io, json, sys
from aiinfra.cli.main import app
for spec in sys.argv[1:]:
    for command in ("cost", "validate"):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            app([command, "--json", spec], standalone_mode=False)
        assert json.loads(out.getvalue())["node_pools"], (command, spec)
print(json.dumps(sorted(m for m in sys.modules if m == "aiinfra.program.engine" or m.startswith("aiinfra.components.base.mocks"))))
"""


def test_cost_and_validate_never_start_the_engine():
    specs = [str(ROOT / "stacks" / f"{name}.yaml") for name in ("aws-llm", "gcp-llm", "azure-llm")]
    out = subprocess.run([sys.executable, "-c", PROBE, *specs], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    assert json.loads(out.splitlines()[-1]) == []
