"""Continuous batching: rows that join and leave a running batch get the same greedy text they get
alone, and the batch's cache does not keep columns no remaining row needs."""

from __future__ import annotations

import torch

from aiinfra.workloads.reference.batching import Running, generate
from aiinfra.workloads.reference.model import GPT, preset


def _model():
    torch.manual_seed(0)
    return GPT(preset("tiny", n_layer=2, n_embd=32, block_size=64)).eval()


def test_rows_joining_mid_generation_match_each_prompt_alone():
    model = _model()
    jobs = [(b"def main():", 9), (b"x", 3), (b"import os\nimport sys\n", 12), (b"", 5), (b"class A:", 7)]
    alone = {p: generate(model, [p], [n], [0.0])[0] for p, n in jobs}
    running, got = Running(model), {}
    running.admit([jobs[0][0]], [jobs[0][0]], [jobs[0][1]], [0.0])
    for _ in range(2):
        got.update(running.step())
    running.admit([p for p, _ in jobs[1:3]], [p for p, _ in jobs[1:3]], [n for _, n in jobs[1:3]], [0.0, 0.0])
    got.update(running.step())
    running.admit([p for p, _ in jobs[3:]], [p for p, _ in jobs[3:]], [n for _, n in jobs[3:]], [0.0, 0.0])
    assert len(running) == 5
    while running:
        got.update(running.step())
    assert got == alone
    assert all(len(got[p]) == n for p, n in jobs)


def test_a_finished_long_prompt_leaves_no_padding_behind():
    model = _model()
    running = Running(model)
    running.admit(["long", "short"], [b"a" * 40, b"b"], [1, 6], [0.0, 0.0])
    assert running.width == 40
    done = dict(running.step())
    assert list(done) == ["long"] and len(running) == 1
    assert running.width == 2  # the short prompt's byte and the token just fed back
    assert all(t.shape[2] == running.width for layer in running.caches for t in layer)
    while running:
        done.update(running.step())
    assert done["short"] == generate(model, [b"b"], [6], [0.0])[0]


def test_dropped_rows_free_their_place_and_the_rest_go_on():
    model = _model()
    running = Running(model)
    running.admit(["a", "b", "c"], [b"abc", b"hello", b"q"], [4, 4, 4], [0.0, 1.0, 0.0])
    running.step()
    running.drop([1])
    assert running.tags == ["a", "c"]
    out = {}
    while running:
        out.update(running.step())
    assert out == {"a": generate(model, [b"abc"], [4], [0.0])[0], "c": generate(model, [b"q"], [4], [0.0])[0]}
