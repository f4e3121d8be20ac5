"""torchrun, as `aiinfra workload train --local` starts it: the same launcher and flags, except
that when the workers stopped with exit status 2 (rank 0 printed one `error: ...` line that says
what to do), that line is the whole report: no ChildFailedError traceback and no agent warnings
about stopping the workers. Any other failure is reported as torchrun reports it.

    python -m aiinfra.workloads.reference.launch --standalone --nproc-per-node 2 -m aiinfra.workloads.reference.train ...
"""

from __future__ import annotations

import logging
import sys

REPORTED = 2  # train.EXIT_ERROR; not imported, so the launcher does not import the trainer
# Where torch's elastic agent logs that it stops the remaining workers after one failed.
AGENT_LOGGERS = ("torch.distributed.elastic.multiprocessing.api", "torch.distributed.elastic.agent.server.api")


class HoldWarnings(logging.Filter):
    """Keeps the agent's warnings and errors until the outcome says whether they add anything."""

    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            self.records.append(record)
            return False
        return True


def main(argv: list[str] | None = None) -> int:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import main as torchrun

    held = HoldWarnings()
    loggers = [logging.getLogger(name) for name in AGENT_LOGGERS]
    for logger in loggers:
        logger.addFilter(held)
    reported = False
    try:
        torchrun(argv)
    except ChildFailedError as err:
        _, first = err.get_first_failure()
        if first.exitcode != REPORTED:
            raise
        reported = True
        return REPORTED
    finally:
        for logger in loggers:
            logger.removeFilter(held)
        if not reported:
            for record in held.records:
                logging.getLogger(record.name).handle(record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
