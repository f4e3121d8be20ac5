"""Byte-level corpus and batches that are a pure function of (seed, step), so a resumed or
re-sharded run sees exactly the batches an uninterrupted one would."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import torch

from .storage import list_files

DEFAULT_MAX_BYTES = 64 << 20


def stdlib_sources() -> list[Path]:
    """This interpreter's standard-library .py files: a corpus that exists on every machine, offline."""
    root = Path(sysconfig.get_paths()["stdlib"])
    skip = {"site-packages", "dist-packages", "__pycache__"}
    return sorted(p for p in root.rglob("*.py") if not skip & set(p.relative_to(root).parts))


def read_corpus(url: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The corpus bytes: a file, a folder (every file under it, sorted) or a glob, from any fsspec
    URL; the standard library's sources when url is None."""
    chunks: list[bytes] = []
    total = 0

    def take(blob: bytes) -> bool:
        nonlocal total
        chunks.append(blob[: max_bytes - total])
        total += len(chunks[-1])
        return total >= max_bytes

    if url is None:
        for path in stdlib_sources():
            if take(path.read_bytes()):
                break
    else:
        fs, files = list_files(url)
        for f in files:
            if take(fs.cat_file(f)):
                break
    corpus = b"".join(chunks)
    if not corpus:
        raise ValueError(f"corpus {url or 'stdlib'} is empty")
    return corpus


def as_tensor(corpus: bytes) -> torch.Tensor:
    return torch.frombuffer(bytearray(corpus), dtype=torch.uint8)


def load_tokens(url: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[torch.Tensor, str]:
    """Training tokens and where they came from: prepared shards when url is a folder with an index.json (from
    `aiinfra workload prepare`, on the mounted file system or a bucket), else the raw corpus read and decoded here."""
    from .shards import has_shards, read_tokens

    if url is not None and has_shards(url):
        tokens = read_tokens(url, max_tokens=max_bytes)
        return torch.from_numpy(tokens.astype("int32")), "shards"
    return as_tensor(read_corpus(url, max_bytes)), "raw"


def batch(data: torch.Tensor, *, seed: int, step: int, global_batch: int, seq_len: int, rank: int = 0, world: int = 1):
    """This rank's share of the global batch for a step: inputs and next-byte targets, int64."""
    if len(data) <= seq_len + 1:
        raise ValueError(f"corpus of {len(data)} bytes is shorter than seq_len {seq_len} + 1")
    if global_batch % world:
        raise ValueError(f"global batch {global_batch} does not split over {world} processes")
    g = torch.Generator().manual_seed(seed * 1_000_003 + step)
    starts = torch.randint(len(data) - seq_len - 1, (global_batch,), generator=g)
    per = global_batch // world
    mine = starts[rank * per : (rank + 1) * per]
    rows = torch.stack([data[s : s + seq_len + 1] for s in mine.tolist()]).long()
    return rows[:, :-1], rows[:, 1:]
