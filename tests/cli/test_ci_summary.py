"""The example CI workflow's job-summary steps, run as GitHub would run them: cost table and graph."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "infra.yml"
ENTRY = Path(sys.executable).with_name("aiinfra")


def summary_steps() -> list[str]:
    steps = yaml.safe_load(WORKFLOW.read_text())["jobs"]["stack"]["steps"]
    return [s["run"] for s in steps if "job summary" in (s.get("name") or "")]


def test_cost_and_graph_go_to_the_job_summary():
    runs = summary_steps()
    assert any(" cost " in r for r in runs) and any(" graph " in r and "--format markdown" in r for r in runs)
    assert all('>> "$GITHUB_STEP_SUMMARY"' in r for r in runs)


@pytest.mark.skipif(not ENTRY.exists() or not shutil.which("bash"), reason="needs the installed entry point and bash")
def test_summary_steps_produce_a_cost_table_and_a_mermaid_graph(tmp_path):
    summary = tmp_path / "summary.md"
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "aiinfra").symlink_to(ENTRY)
    (tmp_path / "stacks").symlink_to(ROOT / "stacks")
    for run in summary_steps():
        script = run.replace("${{ matrix.stack }}", "aws-llm")
        subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=tmp_path, check=True, timeout=300,
                       env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert "| item | qty |" in text and "| **total** |" in text
    block = re.search(r"```mermaid\n(.*?)```", text, re.S)
    assert block and "flowchart LR" in block.group(1) and "p5.48xlarge" in block.group(1)
