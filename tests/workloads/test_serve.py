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
from workloadhelpers import ROOT, child_env, free_port, run_module, wait_http

from aiinfra.workloads.reference import checkpoint as ckpt
from aiinfra.workloads.reference.batching import generate
from aiinfra.workloads.reference.data import as_tensor, read_corpus
from aiinfra.workloads.reference.model import preset
from aiinfra.workloads.reference.train import Dist, Trainer, save

pytestmark = pytest.mark.slow
POISON = "poison: generating this prompt raises"  # the server's fault injection (--fail-prompt)


def _call(method: str, url: str, body: dict | None = None) -> tuple[int, str]:
    return _raw(method, url, json.dumps(body).encode() if body is not None else None)


def _raw(method: str, url: str, data: bytes | None, content_type: str = "application/json") -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": content_type})
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
                             "--port", str(port), "--max-batch-size", "32", "--max-wait-ms", "200", "--poll-seconds", "0.3",
                             "--fail-prompt", POISON],
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
    reasons = set()
    while True:  # the first load attempt runs in the background
        status, body = _call("GET", f"{base}/readyz")
        reasons.add(json.loads(body)["reason"].split(" at ")[0].split(" from ")[0])
        if "no checkpoint" in body or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert status == 503 and "no checkpoint" in json.loads(body)["reason"]
    assert reasons <= {"loading the newest checkpoint", "no checkpoint"}, reasons  # never "None"
    req = urllib.request.Request(f"{base}/v1/completions", data=b'{"prompt": "x", "max_tokens": 4}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == 503 and refused.value.headers["Retry-After"] == "1"
    err = json.loads(refused.value.read())["error"]
    assert err["code"] == "model_not_loaded" and err["message"].startswith("model not loaded: no checkpoint at "), err


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


def _samples(base: str) -> dict[str, float]:
    text = _call("GET", f"{base}/metrics")[1]
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and not line.startswith("#")}


def _concurrently(base: str, bodies: list[bytes]) -> list[tuple[int, str]]:
    gate = threading.Barrier(len(bodies))

    def ask(body: bytes):
        gate.wait()
        return _raw("POST", f"{base}/v1/completions", body)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(ask, bodies))


@pytest.mark.parametrize(("bad", "status"), [
    (b'{"prompt": "x", "max_tokens": 8, "temperature": NaN}', 400),  # before: the batch's multinomial raised for all of them
    (b'{"prompt": "x", "max_tokens": 8, "temperature": 1e999}', 400),  # JSON's way to write infinity
    (json.dumps({"prompt": POISON, "max_tokens": 8}).encode(), 500),  # passes validation, then its batch fails
], ids=["nan-temperature", "infinite-temperature", "generation-fails"])
def test_one_bad_request_among_24_concurrent_valid_ones_fails_alone(loaded, bad, status):
    base, model = loaded
    retries = _samples(base).get("aiinfra_serve_batch_retries_total", 0)
    valid = [json.dumps({"prompt": f"def f{i}(x):\n", "max_tokens": 8, "temperature": 0}).encode() for i in range(24)]
    answers = _concurrently(base, [*valid[:12], bad, *valid[12:]])
    bad_status, bad_body = answers.pop(12)
    assert bad_status == status and "error" in json.loads(bad_body), bad_body
    assert [s for s, _ in answers] == [200] * 24, answers
    for i, (_, body) in enumerate(answers):
        expected = generate(model, [f"def f{i}(x):\n".encode()], [8], [0.0])[0]
        assert json.loads(body)["choices"][0]["text"] == expected.decode("utf-8", errors="replace")
    if status == 500:  # it was batched with valid ones, the batch failed, and one-by-one saved them
        assert json.loads(bad_body)["error"] == {"message": "generation failed: RuntimeError", "type": "server_error", "param": None, "code": None}
        assert _samples(base)["aiinfra_serve_batch_retries_total"] == retries + 1


def test_malformed_bodies_get_4xx_never_500(loaded):
    base, _ = loaded
    cases = {
        "invalid UTF-8": (b'{"prompt": "\xff\xfe caf\xe9"}', "application/json", 400, "UTF-8"),
        "lone surrogate": (b'{"prompt": "\\ud800"}', "application/json", 400, "valid Unicode"),
        "deep nesting": (b'{"prompt": "x", "extra": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "application/json", 400, "nests too deeply"),
        "deep nesting, unclosed": (b"[" * 500_000, "application/json", 400, "nests too deeply"),
        "-Infinity": (b'{"prompt": "x", "temperature": -Infinity}', "application/json", 400, "finite number"),
        "integer beyond float": (b'{"prompt": "x", "temperature": 1' + b"0" * 400 + b"}", "application/json", 400, "finite number"),
        "boolean temperature": (b'{"prompt": "x", "temperature": true}', "application/json", 400, "finite number"),
        "not an object": (b'["x"]', "application/json", 400, "'prompt'"),
        "empty": (b"", "application/json", 400, "JSON"),
        "too long a number": (b'{"prompt": "x", "max_tokens": 1' + b"0" * 5000 + b"}", "application/json", 400, "JSON"),
        "unknown charset": (b'{"prompt": "x", "max_tokens": 2}', "application/json; charset=no-such-codec", 200, "text_completion"),
        "over 1 MiB": (b'{"prompt": "' + b"x" * (2 << 20) + b'"}', "application/json", 413, ""),
    }
    for name, (body, content_type, status, says) in cases.items():
        got, text = _raw("POST", f"{base}/v1/completions", body, content_type)
        assert (got, says in text) == (status, True), (name, got, text[:300])


def test_every_response_is_counted_errors_included(loaded):
    import socket

    base, _ = loaded
    before = _samples(base)
    _call("POST", f"{base}/v1/completions", {"prompt": "x", "max_tokens": 2})  # 200
    _raw("POST", f"{base}/v1/completions", b'{"prompt": "x", "temperature": NaN}')  # 400
    _raw("POST", f"{base}/v1/completions", b"\xff")  # 400
    _call("POST", f"{base}/v1/completions", {"prompt": POISON, "max_tokens": 2})  # 500
    _raw("POST", f"{base}/v1/completions", b"x" * (2 << 20))  # 413, raised by aiohttp
    _call("GET", f"{base}/v1/completions")  # 405, from the router
    _call("GET", f"{base}/no/such/path")  # 404
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:  # not HTTP at all: aiohttp's own 400
        conn.sendall(b"NOT HTTP\x00\r\n\r\n")
        assert conn.recv(100).split(b"\r\n")[0] in (b"HTTP/1.0 400 Bad Request", b"HTTP/1.1 400 Bad Request")
    expected = {'aiinfra_serve_requests_total{status="200"}': 1, 'aiinfra_serve_requests_total{status="400"}': 2,
                'aiinfra_serve_requests_total{status="500"}': 1, 'aiinfra_serve_requests_total{status="413"}': 1,
                'aiinfra_serve_requests_total{status="405"}': 1,
                'aiinfra_serve_http_responses_total{path="/v1/completions",status="400"}': 2,
                'aiinfra_serve_http_responses_total{path="other",status="404"}': 1,
                'aiinfra_serve_http_responses_total{path="/metrics",status="200"}': 1,  # the first scrape
                "aiinfra_serve_request_seconds_count": 6}
    deadline = time.monotonic() + 10
    while True:  # a response is counted as it is sent; give the last ones a moment
        after = _samples(base)
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in expected}
        total = sum(v for k, v in after.items() if k.startswith("aiinfra_serve_http_responses_total")) - \
            sum(v for k, v in before.items() if k.startswith("aiinfra_serve_http_responses_total"))
        if (delta, total) == (expected, 9) or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert delta == expected, delta
    assert total == 9  # 8 requests and the first scrape: the malformed one included


@pytest.mark.parametrize(("port", "says"), [("70000", "70000 is out of range: a port is from 1 to 65535"), ("0", "0 is out of range"),
                                            ("http", "'http' is not a port number (an integer from 1 to 65535)")])
def test_a_bad_port_exits_2_before_the_model_loads(tmp_path, port, says):
    proc = run_module(["-m", "aiinfra.workloads.reference.serve", "--checkpoint", tmp_path.as_uri(), "--port", port], check=False, timeout=60)
    assert proc.returncode == 2 and f"argument --port: {says}" in proc.stderr, proc.stderr
    assert proc.stdout == ""


def test_a_port_in_use_exits_2_before_the_model_loads(tmp_path):
    import socket

    from typer.testing import CliRunner

    from aiinfra.cli.main import app

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        proc = run_module(["-m", "aiinfra.workloads.reference.serve", "--checkpoint", tmp_path.as_uri(), "--host", "127.0.0.1",
                           "--port", str(port), "--poll-seconds", "0.1"], check=False, timeout=60)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert proc.stderr == (f"error: cannot listen on 127.0.0.1:{port}: Address already in use: another process listens there; "
                               f"stop it or pass another --port\n")
        assert proc.stdout == ""  # no "Running on", no "not ready: no checkpoint": nothing started
        cli = CliRunner().invoke(app, ["workload", "serve", "--local", "--checkpoint", tmp_path.as_uri(), "--port", str(port)])
        assert cli.exit_code == 2 and "Address already in use" in cli.output, cli.output
    cli = CliRunner().invoke(app, ["workload", "serve", "--local", "--checkpoint", tmp_path.as_uri(), "--port", "70000"])
    assert cli.exit_code == 2 and "--port" in cli.output and "65535" in cli.output, cli.output
