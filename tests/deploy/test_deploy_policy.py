"""`aiinfra up` checks policy first: a mandatory violation refuses the deploy (exit 3) before any stack exists."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from aiinfra.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def test_up_refuses_an_environment_over_budget_before_pulumi_touches_anything(fake_pulumi, clean_env, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    spec = clean_env / "cpu.yaml"
    spec.write_text((ROOT / "stacks" / "aws-cpu.yaml").read_text() + "policy: {max_monthly_usd: 100}\n")
    result = CliRunner().invoke(app, ["up", str(spec), "--yes"])
    assert result.exit_code == 3, result.output
    assert "AI-COST-002" in result.output and "refused" in result.output and "nothing was deployed" in result.output
    assert fake_pulumi.commands() == [["version"]]  # no stack select/init, no config, no up
    assert not (clean_env / "data" / "workspaces").exists()
    state = clean_env / "data" / "state"  # the file backend's folder (made when the backend is chosen) stays empty
    assert not state.exists() or list(state.iterdir()) == []
