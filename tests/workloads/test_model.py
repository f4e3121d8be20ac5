"""Model, data and checkpoint-layout properties, in process (no subprocesses, no servers)."""

from __future__ import annotations

import pytest
import torch

from aiinfra.workloads.reference import checkpoint as ckpt
from aiinfra.workloads.reference.batching import generate
from aiinfra.workloads.reference.data import (
    as_tensor,
    batch,
    read_corpus,
    stdlib_sources,
)
from aiinfra.workloads.reference.model import (
    GPT,
    flops_per_token,
    num_params,
    preset,
)
from aiinfra.workloads.reference.storage import storage_options
from aiinfra.workloads.reference.train import catalog_tflops


def test_gpt2_preset_has_gpt2_small_size_and_flops():
    cfg = preset("gpt2-124m")
    with torch.device("meta"):
        n = num_params(GPT(cfg))
    assert 123.5e6 < n < 124.8e6
    # nanoGPT's figure for GPT-2 small at T=1024: 6N + 12·L·d·T with N excluding wpe.
    assert flops_per_token(cfg, n, 1024) == 6 * (n - 1024 * 768) + 12 * 12 * 768 * 1024
    with pytest.raises(ValueError, match="divisible"):
        preset("tiny", n_embd=30, n_head=4)


def _greedy_without_cache(model: GPT, prompt: bytes, n: int) -> bytes:
    idx = torch.tensor([list(prompt)])
    for _ in range(n):
        nxt = model(idx)[:, -1, :256].argmax(-1, keepdim=True)
        idx = torch.cat([idx, nxt], dim=1)
    return bytes(idx[0, len(prompt):].tolist())


def test_batched_generation_with_left_padding_and_cache_matches_one_prompt_at_a_time():
    torch.manual_seed(0)
    model = GPT(preset("tiny", n_layer=2, n_embd=64, block_size=64)).eval()
    prompts = [b"import os\n", b"def f(x):\n    return", b"a", b"class Spam(Eggs):\n    def __init__(self):"]
    lengths = [12, 5, 20, 9]
    together = generate(model, prompts, lengths, [0.0] * 4)
    for prompt, n, got in zip(prompts, lengths, together, strict=True):
        assert len(got) == n
        assert got == _greedy_without_cache(model, prompt, n)
        assert generate(model, [prompt], [n], [0.0]) == [got]


def test_generation_keeps_the_prompt_tail_that_fits_the_context():
    torch.manual_seed(0)
    model = GPT(preset("tiny", n_layer=1, n_embd=32, block_size=16)).eval()
    long_prompt = b"0123456789abcdefghijklmnop"
    assert generate(model, [long_prompt], [6], [0.0]) == [_greedy_without_cache(model, long_prompt[-10:], 6)]
    with pytest.raises(ValueError, match="context"):
        generate(model, [b"x"], [16], [0.0])


def test_batches_depend_only_on_seed_and_step_and_shards_add_up_to_the_global_batch():
    data = as_tensor(bytes(range(256)) * 64)
    whole_x, whole_y = batch(data, seed=1, step=5, global_batch=8, seq_len=16)
    shards = [batch(data, seed=1, step=5, global_batch=8, seq_len=16, rank=r, world=2) for r in range(2)]
    assert torch.equal(torch.cat([s[0] for s in shards]), whole_x)
    assert torch.equal(whole_y[:, :-1], whole_x[:, 1:])  # targets are the next bytes
    assert torch.equal(batch(data, seed=1, step=5, global_batch=8, seq_len=16)[0], whole_x)
    assert not torch.equal(batch(data, seed=1, step=6, global_batch=8, seq_len=16)[0], whole_x)
    with pytest.raises(ValueError, match="split"):
        batch(data, seed=1, step=1, global_batch=3, seq_len=16, world=2)


def test_default_corpus_is_the_standard_library_and_needs_no_network():
    files = stdlib_sources()
    assert any(f.name == "argparse.py" for f in files)
    assert not any("site-packages" in f.parts for f in files)
    assert read_corpus(None, 4096) == b"".join(f.read_bytes() for f in files)[:4096]


def test_corpus_from_a_folder_url(tmp_path):
    (tmp_path / "b.txt").write_bytes(b"world")
    (tmp_path / "a.txt").write_bytes(b"hello ")
    assert read_corpus(tmp_path.as_uri()) == b"hello world"
    assert read_corpus(str(tmp_path / "*.txt"), max_bytes=3) == b"hel"


def test_pointer_is_written_last_and_only_the_newest_checkpoints_are_kept(tmp_path):
    store = ckpt.CheckpointStore((tmp_path / "run").as_uri(), keep=2)
    assert store.latest_step() is None
    for step in (10, 20, 30):
        entry = store.write(step, "model.pt", b"m%d" % step)
        assert store.latest_step() == (None if step == 10 else step - 10)  # not visible before commit
        store.commit(step, {"model.pt": entry})
    store.write(40, "model.pt", b"half-written")  # a writer that died before its pointer
    assert store.latest_step() == 30
    assert store.steps() == [20, 30, 40]
    store.commit(35, {"model.pt": store.write(35, "model.pt", b"m35")})
    assert store.steps() == [30, 35]  # the unpointed step-40 is gone too
    assert (tmp_path / "run" / "latest").read_text() == "step-00000035\n"
    assert not list((tmp_path / "run").rglob("*.tmp-*"))


def test_storage_options_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("AIINFRA_STORAGE_OPTIONS", '{"account_name": "acct"}')
    assert storage_options() == {"account_name": "acct"}
    monkeypatch.setenv("AIINFRA_STORAGE_OPTIONS", "[1]")
    with pytest.raises(ValueError, match="JSON object"):
        storage_options()


@pytest.mark.parametrize(("name", "tflops"), [("NVIDIA H100 80GB HBM3", 989), ("NVIDIA A100-SXM4-80GB", 312), ("NVIDIA L40S", 362), ("Tesla T4", None), ("NVIDIA GeForce RTX 4090", None)])
def test_mfu_peak_comes_from_the_gpu_catalog(name, tflops):
    assert catalog_tflops(name) == tflops
