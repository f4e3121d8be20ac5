"""Checkpoint-on-SIGTERM time of the reference trainer: how long after a SIGTERM (spot reclaim, capacity-block
end, node drain) the run has its checkpoint committed, against the grace period the rendered manifests give
(aiinfra.manifests.context.preemption_budget).

Each case starts a real training run (torchrun with --nproc workers, SIGTERM sent to torchrun as the kubelet
sends it to the container's first process) after --after steps were logged, and reads the trainer's
`preempted by SIGTERM: checkpoint step N ... in X s (Y s after the signal)` line. gpt2-124m runs with a tiny
batch and sequence so that CPU steps stay short: the checkpoint (weights + AdamW state) is its full size.
Prints numbers; asserts nothing.

Run: python benchmarks/bench_preempt.py [--models tiny gpt2-124m] [--nproc 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aiinfra.manifests.context import preemption_budget  # noqa: E402

LINE = re.compile(r"preempted by SIGTERM: checkpoint step (\d+) .* in ([0-9.]+)s \(([0-9.]+)s after the signal\)")
SHAPES = {
    "tiny": ["--model", "tiny", "--n-layer", "2", "--n-head", "2", "--n-embd", "32", "--seq-len", "32", "--batch-size", "4"],
    "gpt2-124m": ["--model", "gpt2-124m", "--seq-len", "64", "--batch-size", "1"],
}


def one(model: str, nproc: int, after: int) -> tuple[int, float, float, float]:
    """(step, seconds to write, seconds from signal to committed, seconds from signal to torchrun's exit)."""
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(nproc),
                "-m", "aiinfra.workloads.reference.train", "--checkpoint", str(Path(tmp) / "run"), "--steps", "100000",
                "--checkpoint-every", "100000", "--log-every", "1", "--data-max-bytes", "1000000", *SHAPES[model]]
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        out, sent = [], None
        for line in proc.stdout:
            out.append(line)
            if sent is None and line.startswith(f"step {after}/"):
                proc.send_signal(signal.SIGTERM)
                sent = time.perf_counter()
        proc.wait(timeout=600)
        ended = time.perf_counter() - (sent or time.perf_counter())
        found = LINE.search("".join(out))
        if not found:
            raise SystemExit(f"{model}: no preemption line in the output:\n{''.join(out[-20:])}")
        return int(found.group(1)), float(found.group(2)), float(found.group(3)), ended


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", nargs="+", default=["tiny", "gpt2-124m"], choices=list(SHAPES))
    p.add_argument("--nproc", type=int, default=2)
    p.add_argument("--after", type=int, default=3, help="send SIGTERM once this step is logged")
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    print(f"checkpoint on SIGTERM, {a.nproc} CPU process(es), local disk, median of {a.repeats}")
    print(f"{'model':<10} {'stopped at':>10} {'write s':>8} {'signal→saved s':>15} {'signal→exit s':>14} {'budget s':>9} {'grace s':>8}")
    for model in a.models:
        runs = [one(model, a.nproc, a.after) for _ in range(a.repeats)]
        budget, grace = preemption_budget(model)
        print(f"{model:<10} {runs[-1][0]:>10} {statistics.median(r[1] for r in runs):>8.2f} {statistics.median(r[2] for r in runs):>15.2f} "
              f"{statistics.median(r[3] for r in runs):>14.2f} {budget:>9} {grace:>8}")


if __name__ == "__main__":
    main()
