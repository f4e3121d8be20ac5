"""A missing cloud SDK names the extra to install; the CLI says so without a traceback."""

import sys

import pytest
from typer.testing import CliRunner

from aiinfra.cli.main import app
from aiinfra.components.base.sdk import MissingExtraError, require


def test_missing_sdk_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pulumi_gcp", None)
    with pytest.raises(MissingExtraError) as info:
        require("gcp")
    assert "pip install 'aiinfra[gcp]'" in str(info.value)


def test_present_sdk_is_returned():
    assert require("aws").__name__ == "pulumi_aws"


def test_preview_without_the_sdk_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pulumi_gcp", None)
    spec = tmp_path / "gcp.yaml"
    spec.write_text("name: on-gcp\ncloud: gcp\nregion: us-central1\ngcp: {project: my-ml-project}\n")
    result = CliRunner().invoke(app, ["preview", str(spec)])
    assert isinstance(result.exception, MissingExtraError)
    assert "aiinfra[gcp]" in str(result.exception)
