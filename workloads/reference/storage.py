"""fsspec access to s3://, gs://, az:// and file:// URLs. Options come from AIINFRA_STORAGE_OPTIONS
(JSON, e.g. {"account_name": "..."} for Azure); credentials come from each SDK's default chain
(workload identity in the cluster), never from flags."""

from __future__ import annotations

import json
import os


def storage_options() -> dict:
    raw = os.environ.get("AIINFRA_STORAGE_OPTIONS", "").strip()
    if not raw:
        return {}
    try:
        opts = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValueError(f"AIINFRA_STORAGE_OPTIONS is not valid JSON: {err}") from None
    if not isinstance(opts, dict):
        raise ValueError("AIINFRA_STORAGE_OPTIONS must be a JSON object")
    return opts


def filesystem(url: str):
    """(fs, path) for a URL; a bare path means the local filesystem."""
    import fsspec

    return fsspec.core.url_to_fs(url, **storage_options())


def list_files(url: str):
    """(fs, files) for a folder (every file under it), a glob or one file, sorted: the order data is read in."""
    fs, path = filesystem(url)
    if any(c in path for c in "*?["):
        return fs, sorted(fs.glob(path))
    if fs.isdir(path):
        return fs, sorted(fs.find(path))
    return fs, [path]


def is_local(fs) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def write_atomic(fs, path: str, data: bytes) -> None:
    """Object stores make one PUT visible whole; a local file is written beside and renamed."""
    if is_local(fs):
        parent = path.rsplit("/", 1)[0]
        fs.makedirs(parent, exist_ok=True)
        tmp = f"{path}.tmp-{os.getpid()}"
        with fs.open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    else:
        fs.pipe_file(path, data)
