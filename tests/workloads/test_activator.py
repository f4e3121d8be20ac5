"""Scale from zero on this machine: the activator (the interceptor's semantics) starts the server with the
manifests' command on the first request, which waits and then gets its answer; idle, the server is stopped;
the next request starts it again."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from test_openai import _stream
from test_serve import _call
from workloadhelpers import ROOT, child_env, free_port, wait_http

from aiinfra.workloads.reference import checkpoint as ckpt
from aiinfra.workloads.reference.batching import generate
from aiinfra.workloads.reference.command import SERVE_COMMAND, serve_args
from aiinfra.workloads.reference.data import as_tensor, read_corpus
from aiinfra.workloads.reference.model import preset
from aiinfra.workloads.reference.train import Dist, Trainer, save

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    url = (tmp_path_factory.mktemp("activator") / "run").as_uri()
    trainer = Trainer(preset("tiny", n_layer=2, n_head=2, n_embd=32, block_size=64), data=as_tensor(read_corpus(None, 200_000)),
                      batch_size=8, lr=3e-3, steps=5, warmup=1, weight_decay=0.1, grad_clip=1.0, seed=3, dist=Dist(), compile=False)
    for step in range(1, 6):
        trainer.step(step)
    save(ckpt.CheckpointStore(url), trainer, 5, {})
    return url, trainer.model.eval()


def test_the_manifests_and_the_activator_run_the_same_server_command():
    from aiinfra.manifests.context import Values, render
    from aiinfra.resolve.resolver import load

    env = load(ROOT / "tests" / "fixtures" / "specs" / "gcp.ok.scale-to-zero.yaml")
    manifests = render(env, Values(train_image="train:1", serve_image="serve:1", bucket_urls={"checkpoints": "gs://bucket"}))
    container = next(m for m in manifests if m["kind"] == "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == SERVE_COMMAND and container["args"] == serve_args("gs://bucket/checkpoints/serve-zero-gcp")


def test_first_request_starts_the_server_and_waits_then_idle_scales_to_zero(trained):
    url, model = trained
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "aiinfra.workloads.reference.activator", "--checkpoint", url, "--port", str(port),
                             "--upstream-port", str(free_port()), "--idle-seconds", "2", "--cold-start-timeout", "120"],
                            cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/activator/status", timeout=60)
        status = json.loads(_call("GET", f"{base}/activator/status")[1])
        assert (status["replicas"], status["cold_starts"]) == (0, 0)  # nothing runs until a request comes
        t0 = time.perf_counter()
        code, kind, events = _stream(base, "/v1/completions", {"prompt": "def f(x):", "max_tokens": 8, "temperature": 0, "stream": True})
        cold = time.perf_counter() - t0
        assert code == 200 and kind.startswith("text/event-stream") and events[-1] == "[DONE]"
        expected = generate(model, [b"def f(x):"], [8], [0.0])[0].decode("utf-8", errors="replace")
        assert "".join(e["choices"][0]["text"] for e in events[:-1]) == expected
        status = json.loads(_call("GET", f"{base}/activator/status")[1])
        assert (status["replicas"], status["cold_starts"]) == (1, 1) and 0 < status["last_cold_start_seconds"] < cold
        print(f"cold start to last token: {cold:.2f} s (server ready after {status['last_cold_start_seconds']:.2f} s)")
        assert _call("POST", f"{base}/v1/completions", {"prompt": "x", "max_tokens": 2})[0] == 200  # warm: no new start
        deadline = time.monotonic() + 30
        while json.loads(_call("GET", f"{base}/activator/status")[1])["replicas"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert json.loads(_call("GET", f"{base}/activator/status")[1])["replicas"] == 0  # idle: scaled to zero
        assert _call("POST", f"{base}/v1/completions", {"prompt": "x", "max_tokens": 2})[0] == 200
        assert json.loads(_call("GET", f"{base}/activator/status")[1])["cold_starts"] == 2
        status, text = _call("POST", f"{base}/v1/completions", {"prompt": "x", "bogus": 1})  # the server's own 400 passes through
        assert status == 400 and json.loads(text)["error"]["param"] == "bogus"
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=40)
    assert proc.returncode in (0, -15), out
