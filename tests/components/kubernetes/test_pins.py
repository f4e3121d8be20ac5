"""Every pinned chart has the default values of exactly its pinned version vendored: the file is named for
the version, and the provenance table (tests/fixtures/helm-values/README.md) records that chart version,
the tag named in charts.yaml's `source` and the SHA-256 of the vendored bytes."""

from __future__ import annotations

import hashlib
import re

from k8shelpers import HELM_VALUES

from aiinfra.components.kubernetes.charts import ChartRef, chart_data

README = HELM_VALUES / "README.md"
COLUMNS = ["file", "chart", "repo", "path", "tag", "commit", "license", "sha256"]


def provenance(text: str) -> dict[str, dict[str, str]]:
    """The README table's rows by file name, cells without their backticks."""
    rows: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == len(COLUMNS) and cells[0].endswith((".yaml", ".json")):
            rows[cells[0]] = dict(zip(COLUMNS, cells))
    return rows


def pin_problems(key: str, ref: ChartRef, rows: dict[str, dict[str, str]]) -> list[str]:
    if ref.values_file is None:
        return [f"{key}: no vendored values.yaml"]
    problems = []
    expected = {ref.values_file: f"{key}-{ref.version}.values.yaml"}
    if ref.schema_file:
        expected[ref.schema_file] = f"{key}-{ref.version}.values.schema.json"
    for name, want in expected.items():
        if name != want:
            problems.append(f"{key}: {name} is not named for the pinned version (want {want})")
        path = HELM_VALUES / name
        row = rows.get(name)
        if not path.is_file() or row is None:
            problems.append(f"{key}: {name} missing from {HELM_VALUES.name}/ or from its README table")
            continue
        if row["chart"].split()[:2] != [key, ref.version]:
            problems.append(f"{key}: README says {name} is {row['chart']!r}, the pin is {ref.version}")
        if not ref.source.startswith(f"{row['repo']} tag {row['tag']}"):
            problems.append(f"{key}: README takes {name} from {row['repo']} {row['tag']}, charts.yaml from {ref.source!r}")
        if not re.fullmatch(r"[0-9a-f]{40}", row["commit"]):
            problems.append(f"{key}: no commit recorded for {name}")
        if hashlib.sha256(path.read_bytes()).hexdigest() != row["sha256"]:
            problems.append(f"{key}: {name} does not match the SHA-256 recorded in the README")
    return problems


def test_every_pinned_chart_has_the_defaults_of_exactly_its_version():
    rows = provenance(README.read_text())
    problems = [p for key, ref in chart_data().charts.items() for p in pin_problems(key, ref, rows)]
    assert problems == []


def test_no_vendored_file_is_left_over_from_an_old_pin():
    pinned = {f for ref in chart_data().charts.values() for f in (ref.values_file, ref.schema_file) if f}
    vendored = {p.name for p in HELM_VALUES.iterdir() if p.name != "README.md"}
    assert vendored == pinned
    assert set(provenance(README.read_text())) == pinned


def test_the_pin_check_fails_when_the_pin_and_the_vendored_defaults_drift_apart():
    rows = provenance(README.read_text())
    cm = chart_data().charts["cert-manager"]
    bumped = pin_problems("cert-manager", cm.model_copy(update={"version": "v1.21.2"}), rows)
    assert any("not named for the pinned version" in p for p in bumped) and any("the pin is v1.21.2" in p for p in bumped)
    tampered = {**rows, cm.values_file: {**rows[cm.values_file], "sha256": "0" * 64}}
    assert pin_problems("cert-manager", cm, tampered) == [f"cert-manager: {cm.values_file} does not match the SHA-256 recorded in the README"]
    other_tag = cm.model_copy(update={"source": "cert-manager/cert-manager tag v1.20.3"})
    assert any("README takes" in p for p in pin_problems("cert-manager", other_tag, rows))
    assert pin_problems("kserve-crd", chart_data().charts["kserve-crd"].model_copy(update={"values_file": None}), rows)


def test_held_back_pins_name_the_newer_release():
    for key, ref in chart_data().charts.items():
        if ref.held_back:
            assert re.match(r"(SECURITY: )?v?\d+\.\d+\.\d+", ref.held_back), f"{key}: held_back must start with the newer version"
