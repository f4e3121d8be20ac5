"""Checkpoints are trusted only when complete and intact: a manifest with every file's sha256 is
written last, a damaged or incomplete step is skipped with a note, a missing or bad `latest` falls
back to the newest step that verifies, and a location with checkpoints but none usable is an
error, never a silent fresh start. In this process, on the local filesystem."""

from __future__ import annotations

import hashlib
import json

import pytest

from aiinfra.workloads.reference import checkpoint as ckpt
from aiinfra.workloads.reference.serve import Engine, Metrics, build_parser


def _step(store: ckpt.CheckpointStore, step: int, **files: bytes) -> None:
    store.commit(step, {name: store.write(step, name, data) for name, data in files.items()})


def _flip_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_the_manifest_lists_every_file_with_its_sha256_and_is_written_before_the_pointer(tmp_path):
    store = ckpt.CheckpointStore((tmp_path / "run").as_uri())
    entry = store.write(10, "model.pt", b"weights")
    assert entry == {"bytes": 7, "sha256": hashlib.sha256(b"weights").hexdigest()}
    assert not (tmp_path / "run" / "step-00000010" / "manifest.json").exists()
    store.commit(10, {"model.pt": entry, "rng-00000.pt": store.write(10, "rng-00000.pt", b"rng")})
    manifest = json.loads((tmp_path / "run" / "step-00000010" / "manifest.json").read_text())
    assert manifest == {"format": 1, "step": 10, "files": {"model.pt": entry, "rng-00000.pt": ckpt.digest(b"rng")}}
    found = store.resume_point()
    assert (found.step, found.files, found.skipped) == (10, {"model.pt": b"weights", "rng-00000.pt": b"rng"}, [])


def test_a_flipped_byte_skips_the_step_and_the_previous_one_loads(tmp_path):
    run = tmp_path / "run"
    store = ckpt.CheckpointStore(run.as_uri())
    _step(store, 10, **{"model.pt": b"m10" * 100})
    _step(store, 20, **{"model.pt": b"m20" * 100})
    _flip_byte(run / "step-00000020" / "model.pt")
    found = store.resume_point()
    assert found.step == 10 and found.files["model.pt"] == b"m10" * 100
    assert found.skipped == ["skipping step-00000020: model.pt does not match its sha256 in manifest.json (damaged after it was written)"]
    with pytest.raises(ckpt.Unusable, match="model.pt does not match its sha256"):
        store.read(20, "model.pt", store.manifest(20))


def test_a_missing_pointer_falls_back_to_the_newest_complete_step(tmp_path):
    run = tmp_path / "run"
    store = ckpt.CheckpointStore(run.as_uri())
    for step in (10, 20):
        _step(store, step, **{"model.pt": b"m%d" % step})
    store.write(30, "model.pt", b"m30")  # a writer that stopped before the manifest
    (run / "latest").unlink()
    found = store.resume_point()
    assert found.step == 20
    assert found.skipped == [f"{run.as_uri()}/latest is missing",
                             "skipping step-00000030: no manifest.json: incomplete (its writer stopped before finishing it)"]

    (run / "latest").write_text("step-12\n")  # not a step folder name
    assert store.resume_point().skipped[0] == f"{run.as_uri()}/latest names 'step-12', not a step-NNNNNNNN folder"
    (run / "latest").write_text("step-00000040\n")  # names a folder that is gone
    assert store.resume_point().skipped[0] == "skipping step-00000040: the folder does not exist"


def test_checkpoints_none_of_which_verify_are_an_error_and_an_empty_url_is_a_fresh_start(tmp_path):
    run = tmp_path / "run"
    store = ckpt.CheckpointStore(run.as_uri())
    assert store.resume_point() is None
    _step(store, 10, **{"model.pt": b"m10", "optimizer.pt": b"o10"})
    _step(store, 20, **{"model.pt": b"m20", "optimizer.pt": b"o20"})
    _flip_byte(run / "step-00000010" / "optimizer.pt")
    (run / "step-00000020" / "model.pt").unlink()
    (run / "step-00000020" / "manifest.json").write_text("{not json")  # either one is enough
    with pytest.raises(ckpt.CheckpointError) as raised:
        store.resume_point()
    message = str(raised.value)
    assert message.startswith(f"{run.as_uri()} holds checkpoints, but none is complete and intact")
    assert "step-00000020: manifest.json is damaged" in message and "step-00000010: optimizer.pt does not match" in message
    # Only the files asked for are checked (the server needs model.pt alone).
    assert store.resume_point(["model.pt"]).step == 10
    assert store.clear() == [10, 20] and store.resume_point() is None and not (run / "latest").exists()


def test_the_write_probe_leaves_nothing_and_names_the_url_it_cannot_write(tmp_path):
    store = ckpt.CheckpointStore((tmp_path / "run").as_uri())
    store.probe("rank0-")
    assert list((tmp_path / "run").iterdir()) == []
    (tmp_path / "file").write_text("not a folder")
    blocked = ckpt.CheckpointStore((tmp_path / "file" / "run").as_uri())
    with pytest.raises(ckpt.CheckpointError, match=r"cannot write checkpoints to file://.*/file/run: NotADirectoryError"):
        blocked.probe()


def test_the_server_loads_only_a_model_that_verifies(tmp_path, capsys):
    from aiinfra.workloads.reference.model import GPT, preset

    run = tmp_path / "run"
    store = ckpt.CheckpointStore(run.as_uri())
    net = GPT(preset("tiny", n_layer=1, n_head=2, n_embd=16, block_size=16))
    for step in (10, 20):
        _step(store, step, **{"model.pt": ckpt.to_bytes({"config": net.cfg.as_dict(), "state_dict": net.state_dict()})})
    _flip_byte(run / "step-00000020" / "model.pt")
    engine = Engine(build_parser().parse_args(["--checkpoint", run.as_uri(), "--device", "cpu"]), Metrics())
    assert engine.load() and engine.step == 10
    out = capsys.readouterr().out
    assert "warning: skipping step-00000020: model.pt does not match its sha256" in out and "loaded step 10" in out

    _flip_byte(run / "step-00000010" / "model.pt")
    engine = Engine(build_parser().parse_args(["--checkpoint", run.as_uri(), "--device", "cpu"]), Metrics())
    assert not engine.load() and engine.model is None
    assert engine.error.startswith(f"{run.as_uri()} holds checkpoints, but none is complete and intact")
