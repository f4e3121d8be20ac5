"""Preemption-safe training: a SIGTERM (spot reclaim, the end of a capacity block, a node drain) ends the run
at the step in progress with a checkpoint, instead of losing everything since the last periodic one.

The handler only records the signal: the step in flight finishes (its collectives must complete on every rank),
then all ranks agree through one tiny all-reduce per step whether any of them was signalled, so they checkpoint
the same step and leave together. torchrun forwards its SIGTERM to the workers and waits for them (SIGKILL after
its own timeout), and Kubernetes waits terminationGracePeriodSeconds, so the checkpoint must fit in both.
"""

from __future__ import annotations

import signal
import time

import torch

# The status of a process ended by SIGTERM (128 + 15): the job controller retries the pod instead of
# recording a success, and the next attempt resumes from the checkpoint written here.
EXIT_PREEMPTED = 128 + signal.SIGTERM


class Preemption:
    """Remembers the first SIGTERM (and when it came); `agreed` is the per-step collective."""

    def __init__(self, signals: tuple[int, ...] = (signal.SIGTERM,)):
        self.signum: int | None = None
        self.received_at: float | None = None
        for s in signals:
            signal.signal(s, self._handle)

    def _handle(self, signum, frame) -> None:
        if self.signum is None:
            self.signum, self.received_at = signum, time.perf_counter()

    def agreed(self, dist) -> bool:
        """True on every rank once any rank has been signalled (a MAX all-reduce of one flag)."""
        flag = torch.tensor([0 if self.signum is None else 1], dtype=torch.int32, device=dist.device)
        if dist.world > 1:
            torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
        return bool(flag.item())

    def since_signal(self) -> float | None:
        """Seconds since this rank's signal (None where this rank learnt of it from another)."""
        return None if self.received_at is None else time.perf_counter() - self.received_at

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else "a signal on another rank"
