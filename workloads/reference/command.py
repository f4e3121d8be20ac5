"""The server's command line, one place for the manifests (the container's command and args) and for the
activator that starts the server on the first request, so both run the server the same way. Light: no imports."""

from __future__ import annotations

SERVE_COMMAND = ["python", "-m", "aiinfra.workloads.reference.serve"]
SERVE_PORT = 8000
MAX_BATCH_SIZE = 32


def serve_args(checkpoint: str, host: str = "0.0.0.0", port: int = SERVE_PORT, max_batch_size: int = MAX_BATCH_SIZE) -> list[str]:
    return ["--checkpoint", checkpoint, "--host", host, "--port", str(port), "--max-batch-size", str(max_batch_size)]
