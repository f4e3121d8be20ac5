"""`aiinfra discover` against a local server answering like a Kubernetes API server (recorded responses), through
the real `kubernetes` client: paging, Helm releases without their values, the permission check, bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("kubernetes")
sys.path.insert(0, str(Path(__file__).parent))

from kube_server import KubeServer  # noqa: E402

from aiinfra.catalog.snapshot import parse  # noqa: E402
from aiinfra.cli.main import app  # noqa: E402
from aiinfra.components.existing.discover import DiscoverError, discover  # noqa: E402


def test_discover_pages_nodes_and_keeps_only_what_the_resolver_reads(tmp_path):
    with KubeServer() as server:
        snap = discover(str(server.kubeconfig(tmp_path / "kc")), "cw-prod")
        assert any("continue=page-2" in r for r in server.requests)
    assert [n["metadata"]["name"] for n in snap["items"]] == ["cpu-1", "cpu-2", "g001-h100", "g002-h100", "g003-h100", "g004-h100"]
    node = snap["items"][2]
    assert "addresses" not in node["status"] and "uid" not in node["metadata"]
    assert node["status"]["allocatable"]["nvidia.com/gpu"] == "8"
    extra = snap["aiinfra"]
    assert extra["helm_releases"] == [{"name": "gpu-operator", "namespace": "gpu-operator", "chart": "gpu-operator", "version": "v25.3.0"}]
    assert "hunter2" not in json.dumps(snap) and "do-not-keep" not in json.dumps(snap)
    assert extra["cluster_wide"] is True and extra["cluster_uid"].startswith("0d2b9a77")
    assert parse(snap, "x").summary() == "4 nodes with 8 × H100, 2 CPU nodes"


def test_credentials_that_cannot_install_cluster_wide_are_recorded(tmp_path):
    with KubeServer(allowed=False) as server:
        assert discover(str(server.kubeconfig(tmp_path / "kc")), "cw-prod")["aiinfra"]["cluster_wide"] is False


def test_forbidden_and_unknown_context_are_bad_input(tmp_path):
    with KubeServer(status=403) as server:
        with pytest.raises(DiscoverError, match="HTTP 403"):
            discover(str(server.kubeconfig(tmp_path / "kc")), "cw-prod")
    with KubeServer() as server:
        out = tmp_path / "snap.json"
        result = CliRunner().invoke(app, ["discover", "--context", "nope", "--kubeconfig", str(server.kubeconfig(tmp_path / "kc")), "-o", str(out)])
    assert result.exit_code == 2, result.output
    assert "context 'nope' is not in" in result.output and "cw-prod" in result.output
    assert not out.exists()


def test_the_cli_writes_a_snapshot_the_resolver_reads(tmp_path):
    out = tmp_path / "snap.json"
    with KubeServer() as server:
        result = CliRunner().invoke(app, ["discover", "--context", "cw-prod", "--kubeconfig", str(server.kubeconfig(tmp_path / "kc")), "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["nodes"] == 6
    assert json.loads(out.read_text())["kind"] == "List"
