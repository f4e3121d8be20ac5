"""`aiinfra workload prepare --local` for real: Ray tokenizes a dataset into shards through fsspec (a local
folder and the S3/GCS/Azure emulators), and a 2-process training run reads the shards back."""

from __future__ import annotations

import json

import numpy as np
import pytest
from workloadhelpers import TINY, child_env, losses, run_module

from aiinfra.workloads.reference.prepare import group_files
from aiinfra.workloads.reference.shards import INDEX, read_index, read_tokens

pytestmark = pytest.mark.slow

DOCS = {f"part-{i:02d}.txt": (f"document {i}\r\n" + "the quick brown fox jumps over the lazy dog\n" * (40 + 7 * i)).encode() for i in range(12)}


def expected_tokens() -> np.ndarray:
    return np.frombuffer(b"".join(DOCS[k].replace(b"\r\n", b"\n") for k in sorted(DOCS)), dtype=np.uint8).astype(np.uint16)


def prepare(source: str, output: str, env: dict | None = None) -> dict:
    proc = run_module(["-m", "aiinfra", "workload", "prepare", "--local", "--source", source, "--output", output, "--shard-mb", "0.004"],
                      env=child_env(**(env or {})), timeout=300)
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def local_shards(tmp_path_factory):
    src = tmp_path_factory.mktemp("dataset")
    for name, blob in DOCS.items():
        (src / name).write_bytes(blob)
    out = (tmp_path_factory.mktemp("shards") / "train").as_uri()
    return out, prepare(src.as_uri(), out)


def test_local_prepare_writes_verified_shards_in_input_order(local_shards):
    url, summary = local_shards
    assert summary["files"] == 12 and summary["shards"] > 2 and summary["mb_per_s"] > 0
    index = read_index(url)
    assert index["tokenizer"] == "bytes" and len({s["name"] for s in index["shards"]}) == len(index["shards"])
    tokens = read_tokens(url)
    assert np.array_equal(tokens, expected_tokens()), "shards concatenate to the corpus, in file order, CRLF normalized"
    assert summary["tokens"] == len(tokens)


def test_a_damaged_shard_is_refused(local_shards, tmp_path):
    import shutil
    from pathlib import Path
    from urllib.parse import urlparse

    copy = tmp_path / "copy"
    shutil.copytree(Path(urlparse(local_shards[0]).path), copy)
    first = read_index(str(copy))["shards"][0]["name"]
    (copy / first).write_bytes(b"\0\0" + (copy / first).read_bytes()[2:])
    with pytest.raises(ValueError, match="checksum differs"):
        read_tokens(str(copy))


def test_groups_keep_file_order_and_balance_bytes():
    files = [(f"f{i}", 10) for i in range(10)]
    groups = group_files(files, 3)
    assert [f for g in groups for f in g] == [f for f, _ in files] and len(groups) == 3


def test_two_process_training_reads_the_shards(local_shards, tmp_path):
    url, _ = local_shards
    ckpt = (tmp_path / "ckpt").as_uri()
    proc = run_module(["-m", "aiinfra", "workload", "train", "--local", "--nproc", "2", "--checkpoint", ckpt, "--data", url,
                       "--steps", "6", "--checkpoint-every", "6", "--log-every", "1", "--", *TINY])
    assert f"corpus {len(expected_tokens())} tokens (shards)" in proc.stdout, proc.stdout[-2000:]
    assert "2 process(es) on cpu" in proc.stdout and sorted(losses(proc.stdout)) == list(range(1, 7))


def test_prepare_through_the_object_store_emulators(store):
    url, env = store
    from aiinfra.workloads.reference.storage import filesystem

    fs, root = filesystem(url)
    for name, blob in DOCS.items():
        fs.pipe_file(f"{root}/raw/{name}", blob)
    base = url.split("://", 1)[0] + "://" + root
    summary = prepare(f"{base}/raw", f"{base}/shards", env=env)
    assert summary["files"] == 12
    assert fs.exists(f"{root}/shards/{INDEX}")
    assert np.array_equal(read_tokens(f"{base}/shards"), expected_tokens())
