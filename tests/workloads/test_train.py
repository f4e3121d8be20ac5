"""Real DDP training under torchrun on CPU (gloo): the loss falls, DDP matches one process, and a
job killed mid-run resumes from its checkpoint on the same loss trajectory."""

from __future__ import annotations

import pytest
import torch
from aiinfra.workloads.reference import checkpoint as ckpt
from workloadhelpers import TINY, losses, run_module, torchrun

pytestmark = pytest.mark.slow
STEPS = ["--steps", "30", "--checkpoint-every", "10", "--log-every", "1", "--lr", "3e-3"]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """30 steps on 2 processes, launched the way users do: `aiinfra workload train --local --nproc 2`."""
    url = (tmp_path_factory.mktemp("ckpt") / "run").as_uri()
    proc = run_module(["-m", "aiinfra", "workload", "train", "--local", "--nproc", "2", "--checkpoint", url,
                       "--steps", "30", "--checkpoint-every", "10", "--log-every", "1", "--lr", "3e-3", "--", *TINY])
    return url, proc.stdout


def test_two_process_training_lowers_the_loss_and_reports_throughput(uninterrupted):
    url, out = uninterrupted
    curve = losses(out)
    assert sorted(curve) == list(range(1, 31)), out
    assert curve[1] > 5.0  # about ln(256): an untrained byte model
    assert sum(curve[s] for s in range(26, 31)) / 5 < curve[1] - 1.0, curve
    assert "2 process(es) on cpu" in out
    assert "mfu n/a" in out  # no peak FLOPs known for a CPU
    store = ckpt.CheckpointStore(url)
    assert store.latest_step() == 30
    assert store.steps() == [10, 20, 30]
    meta = ckpt.from_bytes(store.read(30, "model.pt"))
    assert meta["config"]["n_layer"] == 2 and meta["config"]["block_size"] == 32


def test_killed_worker_then_restart_resumes_on_the_same_loss_trajectory(uninterrupted, tmp_path):
    _, reference_out = uninterrupted
    reference = losses(reference_out)
    url = (tmp_path / "run").as_uri()
    crashed = torchrun(2, ["--checkpoint", url, *STEPS, *TINY, "--fail-at-step", "25", "--fail-rank", "1"], check=False)
    assert crashed.returncode != 0
    assert "fault injection: killing rank 1" in crashed.stdout
    assert "SIGKILL" in crashed.stderr or "-9" in crashed.stderr
    assert ckpt.CheckpointStore(url).latest_step() == 20
    before = losses(crashed.stdout)
    assert all(before[s] == reference[s] for s in range(1, 21))

    resumed = torchrun(2, ["--checkpoint", url, *STEPS, *TINY])
    assert "resumed from step 20" in resumed.stdout
    after = losses(resumed.stdout)
    assert sorted(after) == list(range(21, 31))
    for s in after:
        assert after[s] == pytest.approx(reference[s], abs=1e-6), (s, after[s], reference[s])
    assert ckpt.CheckpointStore(url).latest_step() == 30


def test_one_ddp_step_equals_one_single_process_step_on_the_whole_batch(tmp_path):
    """2 gloo processes × 4 sequences against this process alone on the same 8 sequences."""
    from aiinfra.workloads.reference.data import as_tensor, read_corpus
    from aiinfra.workloads.reference.model import preset
    from aiinfra.workloads.reference.train import Dist, Trainer

    url = (tmp_path / "ddp").as_uri()
    torchrun(2, ["--checkpoint", url, "--steps", "1", "--warmup-steps", "0", "--lr", "1e-2", "--seed", "7", *TINY])
    store = ckpt.CheckpointStore(url)
    ddp = ckpt.from_bytes(store.read(1, "model.pt"))["state_dict"]

    cfg = preset("tiny", n_layer=2, n_head=2, n_embd=32, block_size=32)
    single = Trainer(cfg, data=as_tensor(read_corpus(None, 1_000_000)), batch_size=8, lr=1e-2, steps=1, warmup=0,
                     weight_decay=0.1, grad_clip=1.0, seed=7, dist=Dist(), compile=False)
    init = {k: v.clone() for k, v in single.model.state_dict().items()}
    single.step(1)
    after = single.model.state_dict()
    assert ddp.keys() == after.keys()
    for name in ddp:
        assert not torch.equal(after[name], init[name]), f"{name} did not move: the comparison would mean nothing"
        torch.testing.assert_close(ddp[name], after[name], rtol=0, atol=2e-6, msg=name)


def test_entry_point_flags_and_cluster_refusal(capsys):
    from aiinfra.cli.main import app
    from aiinfra.workloads.reference.train import main
    from typer.testing import CliRunner

    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--data", "--checkpoint", "--steps", "--checkpoint-every", "--model", "--batch-size", "--seq-len", "--lr", "--seed", "--mlflow"):
        assert flag in out
    for command in ("train", "serve"):
        refused = CliRunner().invoke(app, ["workload", command, "--checkpoint", "file:///tmp/x"])
        assert refused.exit_code == 2 and "aiinfra render" in refused.output
