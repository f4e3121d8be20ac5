"""Checkpoints on object storage: <url>/step-<8 digits>/ holds the files, then its manifest.json
(every file's size and sha256), then <url>/latest names the step folder. Each is written after the
ones before it, so a folder without a manifest is incomplete, a file that disagrees with the
manifest is damaged, and a reader never trusts either. Older step folders beyond the last `keep`
are removed."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import uuid
from dataclasses import dataclass, field

from .storage import filesystem, write_atomic

POINTER = "latest"
MANIFEST = "manifest.json"
_STEP = re.compile(r"step-(\d{8})$")


class CheckpointError(Exception):
    """A checkpoint location that cannot be written, or holds checkpoints none of which can be trusted."""


class Unusable(Exception):
    """One step folder that is incomplete or damaged; the message says which file and why."""


def step_dir(step: int) -> str:
    return f"step-{step:08d}"


def digest(data: bytes) -> dict:
    """The manifest entry of one file."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@dataclass
class Resume:
    """The step to resume from, its manifest, the bytes of the files read to verify it, and one
    note for each newer or named step that was passed over."""

    step: int
    manifest: dict
    files: dict[str, bytes] = field(repr=False)
    skipped: list[str]


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

    def probe(self, tag: str = "") -> None:
        """Write and delete a small file where checkpoints go, so an unwritable location fails now,
        not at the first checkpoint."""
        path = self._path(f".write-probe-{tag}{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            write_atomic(self.fs, path, b"aiinfra write probe\n")
            self.fs.rm(path)
        except Exception as err:  # noqa: BLE001 - every backend has its own errors; the message names it
            raise CheckpointError(f"cannot write checkpoints to {self.url}: {reason(err)}") from None

    def pointer(self) -> tuple[int | None, str | None]:
        """(step, None) when `latest` names a step folder; (None, why) when it is missing or names
        something else. An error other than a missing file (no permission, no network) is raised."""
        try:
            name = self.fs.cat_file(self._path(POINTER)).decode(errors="replace").strip()
        except FileNotFoundError:
            return None, f"{self.url}/{POINTER} is missing"
        m = _STEP.match(name)
        if not m:
            return None, f"{self.url}/{POINTER} names {name[:80]!r}, not a step-NNNNNNNN folder"
        return int(m.group(1)), None

    def latest_step(self) -> int | None:
        """The step the pointer names, or None when the URL holds no pointer."""
        step, problem = self.pointer()
        if step is None and not problem.endswith("is missing"):
            raise ValueError(problem)
        return step

    def write(self, step: int, name: str, data: bytes) -> dict:
        """Write one file of a step; returns its manifest entry for commit()."""
        write_atomic(self.fs, self._path(step_dir(step), name), data)
        return digest(data)

    def read(self, step: int, name: str, manifest: dict | None = None) -> bytes:
        """One file of a step; with the step's manifest, raises Unusable unless it matches."""
        try:
            data = self.fs.cat_file(self._path(step_dir(step), name))
        except FileNotFoundError:
            if manifest is None:
                raise
            raise Unusable(f"{name} is missing") from None
        if manifest is not None:
            _check(name, data, manifest)
        return data

    def manifest(self, step: int) -> dict:
        try:
            raw = self.fs.cat_file(self._path(step_dir(step), MANIFEST))
        except FileNotFoundError:
            raise Unusable(f"no {MANIFEST}: incomplete (its writer stopped before finishing it)") from None
        try:
            manifest = json.loads(raw)
            files = manifest["files"]
            if manifest["step"] != step or not all(isinstance(e["sha256"], str) and isinstance(e["bytes"], int) for e in files.values()):
                raise ValueError("unexpected content")
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise Unusable(f"{MANIFEST} is damaged ({err})") from None
        return manifest

    def verify(self, step: int, names: list[str] | None = None) -> tuple[dict, dict[str, bytes]]:
        """(manifest, {name: bytes}) of a step whose files (all in the manifest, or `names`) exist
        and match it; raises Unusable otherwise. Files are fetched a few at a time: a step holds
        one small RNG file per training process."""
        from concurrent.futures import ThreadPoolExecutor

        manifest = self.manifest(step)
        wanted = list(manifest["files"]) if names is None else names
        for name in wanted:
            if name not in manifest["files"]:
                raise Unusable(f"{name} is not in its {MANIFEST}")
        with ThreadPoolExecutor(min(16, max(1, len(wanted)))) as pool:
            data = list(pool.map(lambda name: self.read(step, name, manifest), wanted))
        return manifest, dict(zip(wanted, data, strict=True))

    def resume_point(self, names: list[str] | None = None) -> Resume | None:
        """The step to load: the one `latest` names when it is complete and verifies, else the
        newest step folder that does (each one passed over gets a note). None when the URL holds
        neither a pointer nor step folders; CheckpointError when it holds some but none verifies."""
        named, problem = self.pointer()
        steps = self.steps()
        if named is None and problem.endswith("is missing") and not steps:
            return None
        skipped = [] if problem is None else [problem]
        candidates = ([named] if named is not None else []) + [s for s in reversed(steps) if s != named]
        for step in candidates:
            try:
                if step not in steps:
                    raise Unusable("the folder does not exist")
                manifest, files = self.verify(step, names)
            except Unusable as why:
                skipped.append(f"skipping {step_dir(step)}: {why}")
                continue
            return Resume(step, manifest, files, skipped)
        raise CheckpointError(f"{self.url} holds checkpoints, but none is complete and intact ({'; '.join(skipped)})")

    def commit(self, step: int, files: dict[str, dict]) -> None:
        """Write the step's manifest (the entries write() returned), point `latest` at the step,
        then drop all but the newest `keep` steps."""
        manifest = {"format": 1, "step": step, "files": dict(sorted(files.items()))}
        write_atomic(self.fs, self._path(step_dir(step), MANIFEST), save_json(manifest))
        write_atomic(self.fs, self._path(POINTER), (step_dir(step) + "\n").encode())
        steps = self.steps()
        kept = set(sorted(s for s in steps if s <= step)[-self.keep :])
        for old in steps:
            if old not in kept:  # older ones, and any later folder a crashed writer left unpointed
                self.fs.rm(self._path(step_dir(old)), recursive=True)

    def clear(self) -> list[int]:
        """Delete the pointer, then every step folder (for an explicit restart); returns the steps."""
        steps = self.steps()
        try:
            self.fs.rm(self._path(POINTER))
        except FileNotFoundError:
            pass
        for step in steps:
            self.fs.rm(self._path(step_dir(step)), recursive=True)
        return steps

    def steps(self) -> list[int]:
        self.fs.invalidate_cache(self.root)
        try:
            names = self.fs.ls(self.root, detail=False)
        except FileNotFoundError:
            return []
        found = (_STEP.match(n.rstrip("/").rsplit("/", 1)[-1]) for n in names)
        return sorted(int(m.group(1)) for m in found if m)


def _check(name: str, data: bytes, manifest: dict) -> None:
    entry = manifest["files"].get(name)
    if entry is None:
        raise Unusable(f"{name} is not in its {MANIFEST}")
    if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise Unusable(f"{name} does not match its sha256 in {MANIFEST} (damaged after it was written)")


def reason(err: BaseException) -> str:
    """An exception as one short line: SDK errors (Azure's) run on for lines of request ids and XML."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    text = lines[0] if lines else repr(err)
    return f"{type(err).__name__}: {text[:300].rstrip('.')}"


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
