"""Training shards: the corpus tokenized once (by `prepare`) into fixed-size token files plus an index, so that a
training run reads ready tokens instead of re-reading and decoding the raw files.

Layout under a folder URL: shard-<task>-<n>.bin (little-endian uint16 tokens) and index.json, written last, which
lists every shard with its token count and SHA-256: a folder without index.json is an unfinished preparation.
Tokens are bytes (the reference model's vocabulary), so a shard reads back exactly as the raw reader's corpus.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np

from .storage import filesystem

INDEX = "index.json"
DTYPE = "<u2"
TOKENIZER = "bytes"


def tokenize(blob: bytes) -> np.ndarray:
    """Byte-level tokens; text normalized to Unix line endings, as the trainer's corpus has them."""
    return np.frombuffer(blob.replace(b"\r\n", b"\n"), dtype=np.uint8).astype(DTYPE)


def has_shards(url: str) -> bool:
    fs, path = filesystem(url)
    return fs.exists(f"{path.rstrip('/')}/{INDEX}")


def read_index(url: str) -> dict:
    fs, path = filesystem(url)
    return json.loads(fs.cat_file(f"{path.rstrip('/')}/{INDEX}"))


def read_tokens(url: str, max_tokens: int | None = None, verify: bool = True) -> np.ndarray:
    """The shards' tokens in index order, at most max_tokens; a shard whose checksum differs is an error."""
    fs, path = filesystem(url)
    root = path.rstrip("/")
    index = read_index(url)
    if index.get("tokenizer") != TOKENIZER or index.get("dtype") != DTYPE:
        raise ValueError(f"{url}: shards of tokenizer {index.get('tokenizer')!r} / {index.get('dtype')!r}; this reader takes {TOKENIZER!r} / {DTYPE!r}")
    parts, total = [], 0
    for shard in index["shards"]:
        if max_tokens is not None and total >= max_tokens:
            break
        blob = fs.cat_file(f"{root}/{shard['name']}")
        if verify and hashlib.sha256(blob).hexdigest() != shard["sha256"]:
            raise ValueError(f"{url}/{shard['name']}: checksum differs from {INDEX}; prepare the shards again")
        arr = np.frombuffer(blob, dtype=DTYPE)
        parts.append(arr if max_tokens is None else arr[: max_tokens - total])
        total += len(parts[-1])
    if not parts:
        raise ValueError(f"{url}: {INDEX} lists no shards")
    return np.concatenate(parts)
