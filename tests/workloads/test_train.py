"""Real DDP training under torchrun on CPU (gloo): the loss falls, DDP matches one process, and a
job killed mid-run resumes from its checkpoint on the same loss trajectory."""

from __future__ import annotations

import pytest
import torch
from workloadhelpers import TINY, losses, run_module, torchrun

from aiinfra.workloads.reference import checkpoint as ckpt

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
    from typer.testing import CliRunner

    from aiinfra.cli.main import app
    from aiinfra.workloads.reference.train import main

    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--data", "--checkpoint", "--steps", "--checkpoint-every", "--model", "--batch-size", "--seq-len", "--lr", "--seed", "--mlflow"):
        assert flag in out
    for command in ("train", "serve"):
        refused = CliRunner().invoke(app, ["workload", command, "--checkpoint", "file:///tmp/x"])
        assert refused.exit_code == 2 and "aiinfra render" in refused.output


def _copy_run(url: str, to) -> str:
    """A copy of a finished run's checkpoints (step-10, 20, 30 and latest) to damage in a test."""
    import shutil
    from urllib.parse import urlparse

    shutil.copytree(urlparse(url).path, to)
    return to.as_uri()


def _flip_byte(path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_missing_pointer_and_a_damaged_newest_step_resume_from_the_newest_that_verifies(uninterrupted, tmp_path):
    """Without the manifest this run started over at step 1, overwrote step-10 and pruned one."""
    url, reference_out = uninterrupted
    reference = losses(reference_out)
    run = tmp_path / "run"
    url = _copy_run(url, run)
    (run / "latest").unlink()
    _flip_byte(run / "step-00000030" / "model.pt")
    resumed = torchrun(2, ["--checkpoint", url, *STEPS, *TINY])
    out = resumed.stdout
    assert f"warning: {url}/latest is missing" in out
    assert "warning: skipping step-00000030: model.pt does not match its sha256 in manifest.json" in out
    assert "warning: resuming from step-00000020, the newest complete checkpoint whose sha256 checksums verify" in out
    assert "resumed from step 20" in out
    after = losses(out)
    assert sorted(after) == list(range(21, 31)), out
    for s in after:
        assert after[s] == pytest.approx(reference[s], abs=1e-6), (s, after[s], reference[s])
    store = ckpt.CheckpointStore(url)
    assert store.latest_step() == 30 and store.steps() == [10, 20, 30]
    assert store.resume_point().skipped == []  # step-30 was written again, whole


def test_unusable_checkpoints_stop_both_processes_with_one_error_line_and_restart_is_explicit(uninterrupted, tmp_path, capsys):
    from aiinfra.workloads.reference.train import main

    run = tmp_path / "run"
    url = _copy_run(uninterrupted[0], run)
    for step in ("step-00000010", "step-00000020", "step-00000030"):
        _flip_byte(run / step / "optimizer.pt")
    before = sorted((p.relative_to(run), p.read_bytes()) for p in run.rglob("*") if p.is_file())
    stopped = run_module(["-m", "aiinfra", "workload", "train", "--local", "--nproc", "2", "--checkpoint", url,
                          "--steps", "40", "--", *TINY], check=False)
    output = stopped.stdout + stopped.stderr
    assert stopped.returncode == 2, output
    errors = [line for line in output.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, output  # rank 0's line; no second rank, no torchrun report
    assert errors[0].startswith(f"error: {url} holds checkpoints, but none is complete and intact")
    assert "skipping step-00000030: optimizer.pt does not match its sha256" in errors[0]
    assert errors[0].endswith("Fix: pass --checkpoint a new URL, or --restart to delete the checkpoints there and train from step 0")
    assert "Traceback" not in output and "step 1/" not in output
    assert sorted((p.relative_to(run), p.read_bytes()) for p in run.rglob("*") if p.is_file()) == before  # nothing written

    assert main(["--checkpoint", url, "--steps", "2", "--restart", *TINY]) == 0
    out = capsys.readouterr().out
    assert f"--restart: deleted 3 checkpoint(s) at {url} (step-00000010 to step-00000030); training from step 0" in out
    assert ckpt.CheckpointStore(url).steps() == [2]


def test_resuming_says_what_changed_and_refuses_steps_below_the_saved_one(uninterrupted, tmp_path, capsys):
    """In this process (world size 1) from the 2-process run's step 30."""
    from aiinfra.workloads.reference.train import main

    url = _copy_run(uninterrupted[0], tmp_path / "run")
    assert main(["--checkpoint", url, "--steps", "20", *TINY]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --steps 20 < saved step 30 at {url}: nothing to train. Fix: pass --steps above 30 to train on;"), err
    assert main(["--checkpoint", url, "--steps", "30", *TINY]) == 0
    assert f"checkpoint step 30 at {url} already reaches --steps 30: nothing to train" in capsys.readouterr().out

    assert main(["--checkpoint", url, "--steps", "31", "--lr", "3e-3", "--log-every", "1", *TINY]) == 0
    out = capsys.readouterr().out
    assert "resumed from step 30" in out
    assert ("resuming step 30 of 31 saved with world size 2, now 1: effective batch changes from 8 to 4 sequences per step "
            "(4 per process before, 4 now)") in out
    assert "resuming step 30 with settings that differ from the run that saved it: --steps 30 -> 31" in out
    assert sorted(losses(out)) == [31]


def test_an_unwritable_checkpoint_location_fails_before_step_1(tmp_path, capsys):
    from aiinfra.workloads.reference.train import main

    (tmp_path / "file").write_text("a file where a folder should be")
    url = (tmp_path / "file" / "run").as_uri()
    assert main(["--checkpoint", url, "--steps", "2", *TINY]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: cannot write checkpoints to {url}: NotADirectoryError"), captured.err
    assert "Fix: pass a --checkpoint URL this job may write to" in captured.err
    assert "step 1/" not in captured.out and "model tiny" not in captured.out


def test_sigterm_mid_run_checkpoints_that_step_and_the_rerun_resumes_on_the_same_losses(uninterrupted, tmp_path):
    """SIGTERM to torchrun (what the kubelet sends the container's first process) after step 3 was logged:
    both ranks finish the step in flight, agree, checkpoint it and leave with 143; the rerun resumes there."""
    import signal
    import subprocess
    import sys

    from workloadhelpers import ROOT, child_env

    reference = losses(uninterrupted[1])
    url = (tmp_path / "run").as_uri()
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
            "-m", "aiinfra.workloads.reference.train", "--checkpoint", url, *STEPS, *TINY]
    proc = subprocess.Popen(args, cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out = []
    try:
        for line in proc.stdout:
            out.append(line)
            if line.startswith("step 3/"):
                proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    finally:
        proc.kill()
    out_text = "".join(out)
    before = losses(out_text)
    stopped = max(before)
    assert 3 <= stopped < 30, out_text
    assert f"preempted by SIGTERM: checkpoint step {stopped} saved to {url}" in out_text, out_text
    assert f"the next run resumes from step {stopped}" in out_text
    assert "Traceback" not in out_text
    assert ckpt.CheckpointStore(url).latest_step() == stopped
    assert all(before[s] == reference[s] for s in before)

    resumed = torchrun(2, ["--checkpoint", url, *STEPS, *TINY])
    assert f"resumed from step {stopped}" in resumed.stdout
    after = losses(resumed.stdout)
    assert sorted(after) == list(range(stopped + 1, 31))
    for s in after:
        assert after[s] == pytest.approx(reference[s], abs=1e-6), (s, after[s], reference[s])
