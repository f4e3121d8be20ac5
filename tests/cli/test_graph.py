"""`aiinfra graph`: Mermaid that parses, DOT that Graphviz renders, SVG through `dot`, and a clear error
when Graphviz is missing."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aiinfra.cli.graph import Graph, Group, Node, mermaid_text, safe_id, to_dot, to_mermaid
from aiinfra.cli.main import app
from aiinfra.cli.views import money
from aiinfra.components.kubernetes.addons.plan import plan
from aiinfra.resolve.resolver import load

STACKS = Path(__file__).resolve().parents[2] / "stacks"
SPECS = sorted(p.name for p in STACKS.glob("*.yaml") if not p.name.startswith("Pulumi"))
ID = r"[A-Za-z_][A-Za-z0-9_]*"
LABEL = r'"[^"]*"'
MERMAID_LINE = [
    re.compile(rf"^\s*subgraph ({ID})\[{LABEL}\]$"),
    re.compile(r"^\s*end$"),
    re.compile(rf"^\s*({ID})\[{LABEL}\]$"),
    re.compile(rf"^\s*({ID}) -->(?:\|{LABEL}\|)? ({ID})$"),
    re.compile(rf"^\s*classDef {ID} [a-z-]+:#[0-9a-f]{{6}}(,[a-z-]+:#[0-9a-f]{{6}})*$"),
    re.compile(rf"^\s*class {ID}(,{ID})* {ID}$"),
]
runner = CliRunner()


def graph(*args: str) -> str:
    r = runner.invoke(app, ["graph", *args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


def check_mermaid(text: str) -> tuple[set[str], list[tuple[str, str]]]:
    """A strict line grammar for what we emit: front matter, flowchart, balanced subgraphs, quoted labels,
    edges only between declared ids, no keyword as an id."""
    lines = text.splitlines()
    assert lines[0] == "---" and lines[2] == "---" and lines[3] == "flowchart LR"
    assert yaml.safe_load(lines[1])["title"]
    declared, edges, depth = set(), [], 0
    for line in lines[4:]:
        match = next((m for m in (p.match(line) for p in MERMAID_LINE) if m), None)
        assert match, f"unexpected Mermaid line: {line!r}"
        if line.strip().startswith("subgraph"):
            depth += 1
            declared.add(match.group(1))
        elif line.strip() == "end":
            depth -= 1
            assert depth >= 0
        elif "-->" in line:
            edges.append((match.group(1), match.group(2)))
        elif "[" in line:
            declared.add(match.group(1))
    assert depth == 0
    assert not declared & {"end", "subgraph", "graph", "flowchart", "class", "classDef", "style", "click"}
    for a, b in edges:
        assert a in declared and b in declared, (a, b)
    return declared, edges


@pytest.mark.parametrize("spec", SPECS)
def test_mermaid_is_sane_and_shows_every_component(spec):
    text = graph(str(STACKS / spec))
    declared, edges = check_mermaid(text)
    env = load(STACKS / spec)
    for p in env.pools:
        assert safe_id("pool", p.name) in declared
        label = next(line for line in text.splitlines() if line.strip().startswith(safe_id("pool", p.name) + "["))
        assert p.instance_type in label and (money(p.hourly_usd_per_node) if p.hourly_usd_per_node is not None else "unpriced") in label
        if p.gpu:
            assert f"{p.gpus_per_node} × {p.gpu}" in label
    for b in env.spec.storage.buckets:
        assert safe_id("bucket", b) in declared
    assert {"identity", "control_plane", "platform", "network"} <= declared
    assert ("registry" in declared) == bool(env.spec.registry.repositories)
    releases = plan(env).releases
    assert releases and all(safe_id("addon", r.key) in declared for r in releases)
    # The GPU operator where NVIDIA pools are, unless the cluster already runs one (cloud: existing's preinstalled).
    wanted = any((p.family or "nvidia") == "nvidia" for p in env.gpu_pools) and "gpu-operator" not in env.preinstalled
    assert ("addon_gpu_operator" in declared) == wanted


def test_markdown_wraps_mermaid_for_job_summaries():
    text = graph(str(STACKS / "aws-llm.yaml"), "--format", "markdown")
    assert text.startswith("### llm-train on aws us-east-1")
    body = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    check_mermaid(body)


def test_labels_and_ids_are_escaped():
    assert mermaid_text('a "quoted" <b> #1') == "a #quot;quoted#quot; #lt;b#gt; #35;1"
    assert safe_id("pool", "end") == "pool_end" and safe_id("bucket", "a-b.c") == "bucket_a_b_c"
    g = Graph('t "x"', Group("env", 'a "b" [c]', [Node("n_1", ['he said "hi" <now>', "#tag"])]))
    check_mermaid(to_mermaid(g))
    assert '\\"hi\\"' in to_dot(g)


def test_graph_does_not_run_the_pulumi_program():
    """The one check path (resolve runs the components' check()s) imports the SDK's argument classes, but the
    program itself, which the engine runs, never starts."""
    code = (
        "import sys; from typer.testing import CliRunner; from aiinfra.cli.main import app; "
        "r = CliRunner().invoke(app, ['graph', sys.argv[1]]); assert r.exit_code == 0, r.output; "
        "print(sorted(m for m in sys.modules if m.startswith(('aiinfra.program.engine', 'aiinfra.components.base.mocks'))))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(STACKS / "aws-llm.yaml")], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_bad_spec_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncloud: aws\n")
    r = runner.invoke(app, ["graph", str(bad)])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_output_file(tmp_path):
    out = tmp_path / "env.mmd"
    r = runner.invoke(app, ["graph", str(STACKS / "gcp-llm.yaml"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    check_mermaid(out.read_text())


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)")


@needs_dot
@pytest.mark.parametrize("spec", SPECS)
def test_dot_is_valid_graphviz(spec):
    text = graph(str(STACKS / spec), "--format", "dot")
    proc = subprocess.run(["dot", "-Tcanon"], input=text, capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


@needs_dot
def test_svg_through_graphviz(tmp_path):
    out = tmp_path / "env.svg"
    r = runner.invoke(app, ["graph", str(STACKS / "azure-llm.yaml"), "--format", "svg", "-o", str(out)])
    assert r.exit_code == 0, r.output
    svg = out.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Standard_ND96isr_H100_v5" in svg and "$98.32/h per node" in svg


def test_svg_without_graphviz_names_the_package(monkeypatch):
    monkeypatch.setenv("PATH", "")
    r = runner.invoke(app, ["graph", str(STACKS / "aws-llm.yaml"), "--format", "svg"])
    assert r.exit_code == 1
    said = " ".join(r.output.split())
    assert "graphviz" in said and "apt-get install graphviz" in said and "brew install graphviz" in said
    assert "Traceback" not in r.output


def test_unknown_format_exits_2():
    assert runner.invoke(app, ["graph", str(STACKS / "aws-llm.yaml"), "--format", "png"]).exit_code == 2


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "specs"


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.ok.*.yaml")))
def test_every_valid_fixture_draws(fixture):
    check_mermaid(graph(str(FIXTURES / fixture)))
    if shutil.which("dot"):
        proc = subprocess.run(["dot", "-Tcanon"], input=graph(str(FIXTURES / fixture), "--format", "dot"), capture_output=True, text=True)
        assert proc.returncode == 0 and not proc.stderr.strip(), proc.stderr


def test_bare_environment_without_add_ons_storage_or_registry(tmp_path):
    spec = tmp_path / "bare.yaml"
    spec.write_text(
        "name: bare-env\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: end, gpu: 'L4:1'}]\n"
        "mlops: {gpu_operator: false, monitoring: false, training: none, queueing: false, tracking: false, serving: none}\n"
    )
    declared, _ = check_mermaid(graph(str(spec)))
    assert "pool_end" in declared and "platform" not in declared and "registry" not in declared
    if shutil.which("dot"):
        assert subprocess.run(["dot", "-Tcanon"], input=graph(str(spec), "-f", "dot"), capture_output=True, text=True).returncode == 0


@pytest.mark.parametrize("name", ["aws-llm.yaml", "azure-llm.yaml"])
def test_the_title_total_is_costs_total(name):
    """The title once summed the node pools only, so it differed from `cost` (control plane, NAT, keys)."""
    import json

    r = runner.invoke(app, ["cost", "--json", str(STACKS / name)], catch_exceptions=False)
    cost = json.loads(r.stdout)["cost"]
    title = yaml.safe_load(graph(str(STACKS / name)).splitlines()[1])["title"]
    assert title.endswith(f"· {money(cost['hourly_usd_min'])}–{money(cost['hourly_usd_max'])}/h"), title


@pytest.mark.parametrize("name", ["aws-data.yaml", "gcp-data.yaml", "azure-data.yaml"])
def test_file_systems_their_mounts_and_import_link_are_drawn(name):
    text = graph(str(STACKS / name))
    declared, edges = check_mermaid(text)
    assert "fs_scratch" in declared
    assert ("pool_train", "fs_scratch") in edges and ("bucket_datasets", "fs_scratch") in edges
    assert not any(b == "fs_scratch" and a.startswith("pool_") and a != "pool_train" for a, b in edges)  # the system pool mounts nothing
    assert '"mounts /mnt/scratch"' in text and '"imports"' in text
    assert ("unpriced" in text) == (name != "aws-data.yaml") and ("$5,220.00/month" in text) == (name == "aws-data.yaml")


def test_the_ray_data_pool_mounts_too_and_a_file_system_without_import_has_no_link(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text("name: data\ncloud: aws\nregion: us-east-1\nnode_pools: [{name: train, gpu: 'H100:8', nodes: {min: 0, max: 2}}, "
                    "{name: cpu, instance_type: m6i.4xlarge, nodes: {min: 0, max: 2}}]\n"
                    "storage: {buckets: [datasets], filesystems: [{name: fast, kind: lustre, size_tib: 2.4}]}\nmlops: {data: ray}\n")
    _, edges = check_mermaid(graph(str(path)))
    assert {a for a, b in edges if b == "fs_fast"} == {"pool_train", "pool_cpu"}
    assert not any(a.startswith("bucket_") and b == "fs_fast" for a, b in edges)
