"""The HTTP server, as its own process: waits for a checkpoint, then answers concurrent
completions in batches with the same text the model gives one prompt at a time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from aiinfra.workloads.reference import checkpoint as ckpt
from aiinfra.workloads.reference.data import as_tensor, read_corpus
from aiinfra.workloads.reference.model import generate, preset
from aiinfra.workloads.reference.train import Dist, Trainer, save
from workloadhelpers import ROOT, child_env, free_port, wait_http

pytestmark = pytest.mark.slow


def _call(method: str, url: str, body: dict | None = None) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = (tmp_path_factory.mktemp("serve") / "run").as_uri()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aiinfra.workloads.reference.serve", "--checkpoint", url, "--host", "127.0.0.1",
                             "--port", str(port), "--max-batch-size", "32", "--max-wait-ms", "50", "--poll-seconds", "0.3"],
                            cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=60)
        yield url, f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
        print(out)


def test_healthy_but_not_ready_until_the_url_holds_a_checkpoint(server):
    _, base = server
    assert _call("GET", f"{base}/healthz") == (200, '{"status": "ok"}')
    deadline = time.monotonic() + 30
    while True:  # the first load attempt runs in the background
        status, body = _call("GET", f"{base}/readyz")
        if "no checkpoint" in body or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 503 and "no checkpoint" in json.loads(body)["reason"]
    assert _call("POST", f"{base}/v1/completions", {"prompt": "x", "max_tokens": 4})[0] == 503


@pytest.fixture(scope="module")
def loaded(server):
    """Train 20 steps in this process, write the checkpoint where the server polls, wait for ready."""
    url, base = server
    trainer = Trainer(preset("tiny", n_layer=2, n_head=2, n_embd=32, block_size=64), data=as_tensor(read_corpus(None, 1_000_000)),
                      batch_size=8, lr=3e-3, steps=20, warmup=2, weight_decay=0.1, grad_clip=1.0, seed=3, dist=Dist(), compile=False)
    for step in range(1, 21):
        trainer.step(step)
    save(ckpt.CheckpointStore(url), trainer, 20, {})
    deadline = time.monotonic() + 30
    while _call("GET", f"{base}/readyz")[0] != 200:
        assert time.monotonic() < deadline, "server never became ready"
        time.sleep(0.2)
    return base, trainer.model.eval()


def test_concurrent_requests_are_batched_and_match_one_prompt_at_a_time(loaded):
    base, model = loaded
    assert json.loads(_call("GET", f"{base}/readyz")[1]) == {"ready": True, "step": 20}
    prompts = [f"def handler_{i}(self, {'x' * i}):\n" for i in range(16)]
    gate = threading.Barrier(16)

    def ask(i: int):
        gate.wait()
        return _call("POST", f"{base}/v1/completions", {"prompt": prompts[i], "max_tokens": 4 + i, "temperature": 0})

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(ask, range(16)))
    for i, (status, body) in enumerate(answers):
        assert status == 200, body
        reply = json.loads(body)
        assert reply["object"] == "text_completion" and reply["model"].endswith("step-20")
        assert reply["usage"]["completion_tokens"] == 4 + i
        expected = generate(model, [prompts[i].encode()], [4 + i], [0.0])[0]
        assert reply["choices"][0]["text"] == expected.decode("utf-8", errors="replace")

    metrics = _call("GET", f"{base}/metrics")[1]
    count = float(re.search(r"^aiinfra_serve_batch_size_count (\S+)$", metrics, re.MULTILINE).group(1))
    total = float(re.search(r"^aiinfra_serve_batch_size_sum (\S+)$", metrics, re.MULTILINE).group(1))
    singles = float(re.search(r'^aiinfra_serve_batch_size_bucket\{le="1.0"\} (\S+)$', metrics, re.MULTILINE).group(1))
    assert total == 16 and count < 16 and singles < count, metrics  # some batches held several requests
    assert 'aiinfra_serve_requests_total{status="200"} 16.0' in metrics
    assert "aiinfra_serve_checkpoint_step 20.0" in metrics


def test_rejects_bad_requests_with_400(loaded):
    base, _ = loaded
    for body in ({"max_tokens": 3}, {"prompt": "x", "max_tokens": 0}, {"prompt": "x", "max_tokens": 10_000}, {"prompt": "x", "temperature": -1}):
        status, text = _call("POST", f"{base}/v1/completions", body)
        assert status == 400 and "error" in json.loads(text), (body, text)
