"""Pods on an existing cluster select a pool's nodes by labels those nodes already carry, the most preferred label
(or pair) that selects exactly them and no other node; where none does, the pool falls back to aiinfra's own labels
through a NodePatch, with a warning saying why. The fit check applies to the labels the nodes really carry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from aiinfra.catalog.snapshot import rules
from aiinfra.cli.main import app
from aiinfra.components.existing.selector import choose as choose_by
from aiinfra.resolve.fit import Pod, failures
from aiinfra.resolve.node_shapes import shapes
from aiinfra.resolve.resolver import load

ROOT = Path(__file__).resolve().parents[3]
SNAPSHOTS = ROOT / "stacks" / "snapshots"
GPU_CLASS = {"gpu.nvidia.com/class": "H100_NVLINK_80GB"}


def choose(nodes, chosen):
    return choose_by(nodes, chosen, rules()["selector"])


def cluster(**nodes: dict[str, str]) -> dict[str, dict[str, str]]:
    return {name: {"kubernetes.io/hostname": name, **labels} for name, labels in nodes.items()}


def test_one_label_that_selects_exactly_the_nodes_in_the_preferred_order():
    nodes = cluster(a={"nvidia.com/gpu.product": "H100", "node.kubernetes.io/instance-type": "x", "team": "ml"},
                    b={"nvidia.com/gpu.product": "H100", "node.kubernetes.io/instance-type": "x", "team": "ml"},
                    c={"node.kubernetes.io/instance-type": "cpu", "team": "ml"})
    assert choose(nodes, ["a", "b"]).labels == {"nvidia.com/gpu.product": "H100"}  # before instance-type, both exact
    assert choose(nodes, ["c"]).labels == {"node.kubernetes.io/instance-type": "cpu"}  # never the hostname, though exact


def test_a_pair_where_no_single_label_is_exact():
    nodes = cluster(a={**GPU_CLASS, "leaf": "lg-1"}, b={**GPU_CLASS, "leaf": "lg-1"}, c={**GPU_CLASS, "leaf": "lg-2"},
                    d={"gpu.nvidia.com/class": "L40S", "leaf": "lg-1"})
    assert choose(nodes, ["a", "b"]).labels == {**GPU_CLASS, "leaf": "lg-1"}


def test_none_names_the_closest_label_and_what_else_it_selects():
    nodes = cluster(**{f"g{i}": {**GPU_CLASS, "nvidia.com/cuda.driver.major": "550", "aiinfra.dev/pool": "train"} for i in range(5)})
    choice = choose(nodes, ["g0", "g1"])
    assert choice.labels == {}
    assert choice.why_not == "the closest, gpu.nvidia.com/class=H100_NVLINK_80GB, also selects 3 other nodes (g2, g3, g4)"
    # aiinfra's own label (a previous fallback's) and volatile ones (driver versions) are never selected by
    assert choose({"a": {"aiinfra.dev/pool": "x", "nvidia.com/cuda.driver.major": "550"}, "b": {}}, ["a"]).why_not.startswith("they share no label")


def preview(path: Path) -> dict:
    result = CliRunner().invoke(app, ["preview", "--json", str(path)])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def flavors(data: dict) -> dict[str, dict]:
    return {r["inputs"]["metadata"]["name"]: r["inputs"]["spec"]["nodeLabels"] for r in data["resources"] if r["type"].endswith(":ResourceFlavor")}


def test_the_examples_select_by_the_labels_their_nodes_carry():
    env = load(ROOT / "stacks" / "existing-onprem-h100.yaml")
    train = next(p for p in env.worker_pools if p.name == "train")
    assert train.selector == {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    assert env.system_pool.selector == {"node-role.example.com/services": "true"}  # not the tainted control-plane node
    data = preview(ROOT / "stacks" / "existing-coreweave.yaml")
    assert not [r for r in data["resources"] if r["type"] == "kubernetes:core/v1:NodePatch"]
    assert list(flavors(data).values()) == [GPU_CLASS]
    pool = next(p for p in data["node_pools"] if p["name"] == "train")
    assert pool["provisioning"] == "nodes g001-h100, g002-h100, g003-h100, g004-h100: selected by gpu.nvidia.com/class=H100_NVLINK_80GB, labels they carry"


def test_the_fit_check_sees_only_the_labels_the_nodes_carry():
    env = load(ROOT / "stacks" / "existing-onprem-h100.yaml")
    [shape] = shapes(env, next(p for p in env.worker_pools if p.name == "train"))
    assert "aiinfra.dev/pool" not in shape.labels  # aiinfra labels none of them
    assert failures(Pod("p", {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}, [], [{"key": "nvidia.com/gpu", "operator": "Exists"}], {"nvidia.com/gpu": 8}), shape) == []
    assert [r for r, _ in failures(Pod("p", {"aiinfra.dev/pool": "train"}, [], [{"key": "nvidia.com/gpu", "operator": "Exists"}], {}), shape)] == ["selector"]
    assert [r for r, _ in failures(Pod("p", {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}, [], [{"key": "nvidia.com/gpu", "operator": "Exists"}], {"memory": 3000 * 2**30}), shape)] == ["memory"]


def half(tmp_path: Path, extra: str = "") -> Path:
    """Two of CoreWeave's four identical H100 nodes: no label selects exactly those two."""
    shutil.copy(SNAPSHOTS / "existing-coreweave.json", tmp_path / "snap.json")
    path = tmp_path / "s.yaml"
    path.write_text(f"name: half\ncloud: existing\nregion: cw-prod\nexisting: {{kubeconfig: {tmp_path}/none, snapshot: snap.json}}\n"
                    f"node_pools:\n  - {{name: train, gpu: 'H100:8', nodes: 2{extra}}}\n")
    return path


def test_no_exact_label_falls_back_to_aiinfras_labels_with_a_warning(tmp_path):
    path = half(tmp_path)
    result = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert ("warning: node_pools[0]: pool train's pods cannot select its 2 nodes (g001-h100, g002-h100) by labels they carry: no label "
            "selects exactly them (the closest, gpu.nvidia.com/class=H100_NVLINK_80GB, also selects 2 other nodes (g003-h100, g004-h100)); "
            "aiinfra labels them aiinfra.dev/pool=train") in out
    data = preview(path)
    patched = {r["inputs"]["metadata"]["name"]: r["inputs"]["metadata"]["labels"] for r in data["resources"] if r["type"] == "kubernetes:core/v1:NodePatch"}
    assert sorted(patched) == ["g001-h100", "g002-h100"] and all(labels["aiinfra.dev/pool"] == "train" for labels in patched.values())
    assert flavors(data)["train"] == {"aiinfra.dev/pool": "train"}
    pool = next(p for p in data["node_pools"] if p["name"] == "train")
    assert pool["provisioning"] == "nodes g001-h100, g002-h100: labelled aiinfra.dev/pool=train by aiinfra, a NodePatch each (the warnings say why)"
    env = load(path)
    [shape] = shapes(env, env.worker_pools[0])
    assert shape.labels["aiinfra.dev/pool"] == {"train"}  # the patch's labels, which the fit check then sees


def test_user_labels_the_nodes_lack_are_a_reason_to_label(tmp_path):
    path = half(tmp_path)
    path.write_text(path.read_text().replace("nodes: 2", "nodes: 4, labels: {team: ml}"))
    env = load(path)
    assert env.worker_pools[0].node_selector == {}
    assert any("labels: team=ml are not on the nodes" in w.message for w in env.warnings)


def test_a_dra_pool_needs_aiinfras_labels(tmp_path):
    path = half(tmp_path)
    path.write_text(path.read_text().replace("nodes: 2", "nodes: 4, dra: true"))
    env = load(path)
    assert env.worker_pools[0].node_selector == {}
    [warning] = [w for w in env.warnings if w.path == "node_pools[0]"]
    assert "dra: true and NVLink racks need aiinfra.dev/dra on the nodes" in warning.message and warning.hint == "nothing to do, or turn dra off"
