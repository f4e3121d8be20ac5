"""Checkpoints round-trip through real S3 (moto server), GCS (gcp-storage-emulator) and Azure Blob
(Azurite) endpoints, reached the way the cluster reaches them: fsspec URLs, options from
AIINFRA_STORAGE_OPTIONS, credentials from the environment."""

from __future__ import annotations

import json
import os

import pytest
import torch
from workloadhelpers import TINY, child_env, run_module

from aiinfra.workloads.reference import checkpoint as ckpt
from aiinfra.workloads.reference.data import as_tensor, read_corpus
from aiinfra.workloads.reference.model import preset
from aiinfra.workloads.reference.train import Dist, Trainer, restore, save

pytestmark = pytest.mark.slow


def _trainer() -> Trainer:
    cfg = preset("tiny", n_layer=2, n_head=2, n_embd=32, block_size=32)
    return Trainer(cfg, data=as_tensor(read_corpus(None, 1_000_000)), batch_size=4, lr=1e-3, steps=2, warmup=0,
                   weight_decay=0.1, grad_clip=1.0, seed=1337, dist=Dist(), compile=False)


def test_training_job_checkpoints_to_the_store_and_a_restore_is_exact(store):
    url, env = store
    assert json.loads(os.environ["AIINFRA_STORAGE_OPTIONS"]) == json.loads(env["AIINFRA_STORAGE_OPTIONS"])
    out = run_module(["-m", "aiinfra.workloads.reference.train", "--checkpoint", url, "--steps", "2", "--log-every", "1", "--lr", "1e-3", *TINY],
                     env=child_env(**env)).stdout
    assert f"checkpoint step 2 saved to {url}" in out

    s = ckpt.CheckpointStore(url)
    assert s.latest_step() == 2
    remote = ckpt.from_bytes(s.read(2, "model.pt"))["state_dict"]
    local = _trainer()
    for step in (1, 2):
        local.step(step)
    for name, value in local.model.state_dict().items():
        torch.testing.assert_close(remote[name], value, rtol=0, atol=0, msg=name)

    save(s, local, 3, {"note": "in-process"})
    expected_draw = torch.rand(4)  # what the RNG gives right after the save
    assert s.latest_step() == 3 and json.loads(s.read(3, "meta.json"))["note"] == "in-process"
    fresh = _trainer()
    restore(s, fresh, 3)
    assert torch.equal(torch.rand(4), expected_draw)
    for name, value in local.model.state_dict().items():
        assert torch.equal(fresh.model.state_dict()[name], value), name
    a, b = local.optimizer.state_dict(), fresh.optimizer.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for key, state in a["state"].items():
        assert all(torch.equal(state[k], b["state"][key][k]) for k in state)


def test_a_bucket_that_does_not_exist_fails_before_step_1_with_one_error_line(store, capsys):
    """The write probe goes through fsspec to the real endpoint, as checkpoints will."""
    from aiinfra.workloads.reference.train import main

    url, _ = store
    scheme, path = url.split("://", 1)
    missing = f"{scheme}://nobucket-{path.split('-', 1)[1]}"
    assert main(["--checkpoint", missing, "--steps", "2", *TINY]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: cannot write checkpoints to {missing}: "), captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Fix: pass a --checkpoint URL this job may write to" in captured.err
    assert "step 1/" not in captured.out
