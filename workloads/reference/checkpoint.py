"""Checkpoints on object storage: <url>/step-<8 digits>/ holds the files, then <url>/latest names
the step folder. The pointer is written last, so a reader that trusts only the pointer never sees
a half-written checkpoint; older step folders beyond the last `keep` are removed."""

from __future__ import annotations

import io
import json
import re

from .storage import filesystem, write_atomic

POINTER = "latest"
_STEP = re.compile(r"step-(\d{8})$")


def step_dir(step: int) -> str:
    return f"step-{step:08d}"


class CheckpointStore:
    def __init__(self, url: str, keep: int = 3):
        if keep < 1:
            raise ValueError("keep must be at least 1")
        self.url = url.rstrip("/")
        self.keep = keep
        self.fs, self.root = filesystem(self.url)
        self.root = self.root.rstrip("/")

    def _path(self, *parts: str) -> str:
        return "/".join((self.root, *parts))

    def latest_step(self) -> int | None:
        """The step the pointer names, or None when the URL holds no complete checkpoint."""
        try:
            name = self.fs.cat_file(self._path(POINTER)).decode().strip()
        except FileNotFoundError:
            return None
        m = _STEP.match(name)
        if not m:
            raise ValueError(f"{self.url}/{POINTER} names {name!r}, not a step-NNNNNNNN folder")
        return int(m.group(1))

    def write(self, step: int, name: str, data: bytes) -> None:
        write_atomic(self.fs, self._path(step_dir(step), name), data)

    def read(self, step: int, name: str) -> bytes:
        return self.fs.cat_file(self._path(step_dir(step), name))

    def commit(self, step: int) -> None:
        """Point `latest` at a fully written step, then drop all but the newest `keep` steps."""
        write_atomic(self.fs, self._path(POINTER), (step_dir(step) + "\n").encode())
        steps = self.steps()
        kept = set(sorted(s for s in steps if s <= step)[-self.keep :])
        for old in steps:
            if old not in kept:  # older ones, and any later folder a crashed writer left unpointed
                self.fs.rm(self._path(step_dir(old)), recursive=True)

    def steps(self) -> list[int]:
        self.fs.invalidate_cache(self.root)
        try:
            names = self.fs.ls(self.root, detail=False)
        except FileNotFoundError:
            return []
        found = (_STEP.match(n.rstrip("/").rsplit("/", 1)[-1]) for n in names)
        return sorted(int(m.group(1)) for m in found if m)


def to_bytes(obj) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def from_bytes(data: bytes):
    """weights_only: a checkpoint from object storage is data, never code."""
    import torch

    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def save_json(obj) -> bytes:
    return json.dumps(obj, indent=2, sort_keys=True).encode()
