"""The server's OpenAI API over real HTTP: models, chat, streaming as server-sent events, OpenAI's
error shape for every bad request (400, never 500) and the token-latency metrics."""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from test_serve import _call, _raw, _samples, loaded, server  # noqa: F401  (fixtures: a server of this module's own)

from aiinfra.workloads.reference.batching import generate
from aiinfra.workloads.reference.openai_api import ChatRequest, Message

pytestmark = pytest.mark.slow
ERROR_KEYS = {"message", "type", "param", "code"}


def _stream(base: str, path: str, body: dict) -> tuple[int, str, list]:
    """(status, content type, events): each `data:` payload parsed, [DONE] kept as the string."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    resp = conn.getresponse()
    events, raw = [], resp.read().decode()
    conn.close()
    for block in raw.split("\n\n"):
        if block.startswith("data: "):
            data = block.removeprefix("data: ")
            events.append(data if data == "[DONE]" else json.loads(data))
    return resp.status, resp.getheader("Content-Type", ""), events


def _expected(model, prompt: str, n: int) -> str:
    return generate(model, [prompt.encode()], [n], [0.0])[0].decode("utf-8", errors="replace")


def test_models_lists_the_served_model(loaded):  # noqa: F811
    base, _ = loaded
    status, body = _call("GET", f"{base}/v1/models")
    listed = json.loads(body)
    assert status == 200 and listed["object"] == "list"
    assert [(m["id"], m["object"], m["owned_by"]) for m in listed["data"]] == [("aiinfra-reference", "model", "aiinfra")]


def test_chat_completion_answers_from_the_messages_prompt(loaded):  # noqa: F811
    base, model = loaded
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "def f(x):"}]
    status, body = _call("POST", f"{base}/v1/chat/completions",
                         {"model": "aiinfra-reference", "messages": messages, "max_completion_tokens": 6, "temperature": 0})
    assert status == 200, body
    reply = json.loads(body)
    assert reply["object"] == "chat.completion" and reply["id"].startswith("chatcmpl-")
    assert reply["choices"][0]["message"]["role"] == "assistant"
    prompt = ChatRequest(messages=[Message(**m) for m in messages]).text()
    assert prompt == "system: be brief\nuser: def f(x):\nassistant:"
    assert reply["choices"][0]["message"]["content"] == _expected(model, prompt, 6)
    assert reply["usage"]["completion_tokens"] == 6


def test_eight_concurrent_streams_are_sse_chunks_then_done_and_match_one_prompt_at_a_time(loaded):  # noqa: F811
    base, model = loaded
    prompts = [f"class C{i}:\n    def " for i in range(8)]
    gate = threading.Barrier(8)

    def ask(i: int):
        gate.wait()
        return _stream(base, "/v1/completions", {"prompt": prompts[i], "max_tokens": 12, "temperature": 0, "stream": True})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    for i, (status, kind, events) in enumerate(answers):
        assert status == 200 and kind.startswith("text/event-stream"), (status, kind)
        assert events[-1] == "[DONE]" and len(events) >= 3, events  # several chunks, not one body
        chunks = events[:-1]
        assert {c["object"] for c in chunks} == {"text_completion"} and len({c["id"] for c in chunks}) == 1
        assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "length"
        assert "".join(c["choices"][0]["text"] for c in chunks) == _expected(model, prompts[i], 12)


def test_chat_stream_starts_with_the_role_and_ends_with_usage_when_asked(loaded):  # noqa: F811
    base, model = loaded
    body = {"messages": [{"role": "user", "content": "import "}], "max_tokens": 8, "temperature": 0, "stream": True,
            "stream_options": {"include_usage": True}}
    status, _, events = _stream(base, "/v1/chat/completions", body)
    assert status == 200 and events[-1] == "[DONE]"
    chunks, usage = events[:-2], events[-2]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == _expected(model, "user: import \nassistant:", 8)
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 8


@pytest.mark.parametrize(("path", "body", "param", "says"), [
    ("/v1/completions", {"prompt": "x", "max_tokens": 4, "top_k": 5}, "top_k", "unknown field 'top_k'"),
    ("/v1/completions", {"prompt": "x", "max_tokens": "4"}, "max_tokens", "valid integer"),
    ("/v1/completions", {"prompt": "x", "max_tokens": 4.0}, "max_tokens", "valid integer"),
    ("/v1/completions", {"prompt": "x", "stream": "yes"}, "stream", "'stream' must be true or false"),
    ("/v1/completions", {"prompt": ["x"]}, "prompt", "'prompt' must be a string"),
    ("/v1/completions", {"prompt": "x", "n": 2}, "n", "'n' must be 1"),
    ("/v1/completions", {"prompt": "x", "stream_options": {"usage": True}}, "stream_options.usage", "unknown field"),
    ("/v1/chat/completions", {"messages": []}, "messages", "non-empty list"),
    ("/v1/chat/completions", {"messages": [{"role": "robot", "content": "x"}]}, "messages.0.role", "'messages' must be"),
    ("/v1/chat/completions", {"messages": "hello"}, "messages", "'messages' must be"),
    ("/v1/chat/completions", {"prompt": "x"}, "prompt", "unknown field 'prompt'"),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}], "max_completion_tokens": 10_000},
     "max_completion_tokens", "must be an integer from 1 to"),
])
def test_unknown_or_wrong_typed_fields_get_400_in_openais_shape(loaded, path, body, param, says):  # noqa: F811
    base, _ = loaded
    status, text = _call("POST", f"{base}{path}", body)
    assert status == 400, text
    err = json.loads(text)["error"]
    assert set(err) == ERROR_KEYS and err["type"] == "invalid_request_error", err
    assert err["param"] == param and says in err["message"], err


def test_another_model_is_404_and_framework_errors_keep_the_shape(loaded):  # noqa: F811
    base, _ = loaded
    status, text = _call("POST", f"{base}/v1/completions", {"model": "gpt-4o", "prompt": "x"})
    assert status == 404 and json.loads(text)["error"]["code"] == "model_not_found"
    for method, path, expected in (("GET", "/v1/nothing", 404), ("GET", "/v1/chat/completions", 405)):
        status, text = _call(method, f"{base}{path}")
        assert status == expected and set(json.loads(text)["error"]) == ERROR_KEYS, text
    status, text = _raw("POST", f"{base}/v1/chat/completions", b'{"messages": [{"role": "user", "content": "x"}], "temperature": NaN}')
    assert status == 400 and "finite number" in json.loads(text)["error"]["message"]


def test_time_to_first_token_and_inter_token_latency_are_histograms(loaded):  # noqa: F811
    base, _ = loaded
    before = _samples(base)
    assert _call("POST", f"{base}/v1/completions", {"prompt": "x", "max_tokens": 5, "temperature": 0})[0] == 200
    deadline = time.monotonic() + 10
    while True:
        after = _samples(base)
        delta = {k: after[k] - before.get(k, 0) for k in ("aiinfra_serve_time_to_first_token_seconds_count", "aiinfra_serve_inter_token_seconds_count")}
        if delta["aiinfra_serve_time_to_first_token_seconds_count"] or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert delta == {"aiinfra_serve_time_to_first_token_seconds_count": 1, "aiinfra_serve_inter_token_seconds_count": 4}
    assert 0 < after["aiinfra_serve_time_to_first_token_seconds_sum"] - before.get("aiinfra_serve_time_to_first_token_seconds_sum", 0) < 30
    assert after["aiinfra_serve_queue_depth"] == 0


def test_a_failing_stream_ends_with_an_error_event_and_done(loaded):  # noqa: F811
    from test_serve import POISON

    base, _ = loaded
    status, _, events = _stream(base, "/v1/completions", {"prompt": POISON, "max_tokens": 4, "stream": True})
    assert status == 200 and events[-1] == "[DONE]"
    assert events[-2] == {"error": {"message": "generation failed: RuntimeError", "type": "server_error", "param": None, "code": None}}


def test_a_client_that_leaves_mid_stream_frees_its_row(loaded):  # noqa: F811
    import socket

    base, model = loaded
    host, port = base.removeprefix("http://").split(":")
    body = json.dumps({"prompt": "while True:", "max_tokens": 60, "temperature": 0, "stream": True}).encode()
    with socket.create_connection((host, int(port)), timeout=30) as conn:
        conn.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        got = b""
        while b"data: " not in got:  # the stream has begun; then the client goes away
            chunk = conn.recv(4096)
            assert chunk, got
            got += chunk
    deadline = time.monotonic() + 20
    while _samples(base)["aiinfra_serve_running"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _samples(base)["aiinfra_serve_running"] == 0
    status, text = _call("POST", f"{base}/v1/completions", {"prompt": "x", "max_tokens": 3, "temperature": 0})
    assert status == 200 and json.loads(text)["choices"][0]["text"] == _expected(model, "x", 3)
