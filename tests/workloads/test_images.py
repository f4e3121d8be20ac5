"""The Dockerfiles stay buildable in principle: pinned base, sources that exist, the workload
extra, a non-root user, and entry points that name real modules. (No Docker here to build them.)"""

from __future__ import annotations

import json
import re

import pytest
import tomllib
from workloadhelpers import ROOT

IMAGES = {"train": "aiinfra.workloads.reference.train", "serve": "aiinfra.workloads.reference.serve"}


@pytest.mark.parametrize("kind", sorted(IMAGES))
def test_dockerfile(kind):
    text = (ROOT / "workloads" / "reference" / f"Dockerfile.{kind}").read_text()
    base = re.search(r"^ARG BASE=(\S+)$", text, re.MULTILINE).group(1)
    repo, tag = base.rsplit(":", 1)
    assert repo == "pytorch/pytorch" and "cuda" in tag and tag != "latest"
    torch_pin = next(d for d in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["workload"] if d.startswith("torch"))
    assert tag.startswith(torch_pin.split("==")[1] + "-"), "the base image's torch must be the version the extra pins"
    for src in re.findall(r"^COPY (\S+) ", text, re.MULTILINE) + [s for line in re.findall(r"^COPY (.+) \./$", text, re.MULTILINE) for s in line.split()]:
        assert (ROOT / src).exists(), src
    assert 'pip install ".[workload]"' in text
    user = re.findall(r"^USER (\S+)$", text, re.MULTILINE)
    assert user and not user[-1].startswith(("0", "root"))
    entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.MULTILINE).group(1)) + json.loads(re.search(r"^CMD (\[.*\])$", text, re.MULTILINE).group(1))
    assert IMAGES[kind] in entry
    ignore = (ROOT / "workloads" / "reference" / f"Dockerfile.{kind}.dockerignore").read_text().split()
    assert "*" in ignore and all(f"!{src}" in ignore for src in ("pyproject.toml", "aiinfra", "cli", "components", "workloads"))
