"""Where state, logs and workspaces live: the backend URL and the user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

from aiinfra.deploy.errors import BACKEND_SCHEMES, BACKEND_VAR, DATA_DIR_VAR, BadBackend


def data_dir() -> Path:
    override = os.environ.get(DATA_DIR_VAR)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("aiinfra", appauthor=False)


def log_dir() -> Path:
    if os.environ.get(DATA_DIR_VAR):
        return data_dir() / "logs"
    import platformdirs

    return platformdirs.user_log_path("aiinfra", appauthor=False)


def default_backend() -> str:
    return (data_dir() / "state").as_uri()


def backend_url(flag: str | None = None) -> str:
    """--backend, then AIINFRA_BACKEND_URL, then PULUMI_BACKEND_URL, then the local file backend."""
    url = flag or os.environ.get(BACKEND_VAR) or os.environ.get("PULUMI_BACKEND_URL") or default_backend()
    if not url.startswith(BACKEND_SCHEMES):
        raise BadBackend(
            f"unsupported backend URL {url!r}",
            notes=["use file:///path, s3://bucket, gs://bucket, azblob://container or https://api.pulumi.com (Pulumi Cloud)"],
        )
    if url.startswith("file://"):
        local_path(url).mkdir(parents=True, exist_ok=True)
    return url


def local_path(url: str) -> Path:
    rest = url[len("file://"):]
    return Path(rest).expanduser() if rest.startswith("~") else Path(rest)


def is_cloud_service(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def workspace_dir(stack: str) -> Path:
    """Pulumi.yaml and Pulumi.<stack>.yaml of the inline program live here, one folder per environment."""
    path = data_dir() / "workspaces" / stack
    path.mkdir(parents=True, exist_ok=True)
    return path


def passphrase_file() -> Path:
    return data_dir() / "passphrase"
