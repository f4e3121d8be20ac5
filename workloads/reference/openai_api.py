"""OpenAI's request bodies and error shape for the reference server: what a request may hold, and the
400 it gets otherwise (strict types, no unknown fields), so an OpenAI client works and a bad request
never reaches a batch."""

from __future__ import annotations

import codecs
import json
import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

# Said instead of pydantic's words where a field has a rule a client should read.
HINTS = {
    "prompt": "'prompt' must be a string",
    "messages": "'messages' must be a non-empty list of {\"role\": \"system\"|\"user\"|\"assistant\", \"content\": str}",
    "temperature": "'temperature' must be a finite number >= 0 (0 is greedy)",
    "stream": "'stream' must be true or false",
    "n": "'n' must be 1: this server returns one choice per request",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class StreamOptions(_Strict):
    include_usage: StrictBool = False


class _Common(_Strict):
    model: StrictStr | None = None
    max_tokens: StrictInt | None = Field(default=None, ge=1)
    temperature: float = Field(default=1.0, ge=0)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    n: Literal[1] = 1
    user: StrictStr | None = None

    def budget(self) -> int:
        return self.max_tokens or 16


class CompletionRequest(_Common):
    prompt: StrictStr

    def text(self) -> str:
        return self.prompt


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: StrictStr
    name: StrictStr | None = None


class ChatRequest(_Common):
    messages: list[Message] = Field(min_length=1)
    max_completion_tokens: StrictInt | None = Field(default=None, ge=1)

    def budget(self) -> int:
        return self.max_completion_tokens or self.max_tokens or 16

    def text(self) -> str:
        """The byte-level model has no chat template: each message is a `role: content` line, and the
        prompt ends where the assistant's reply starts."""
        return "".join(f"{m.role}: {m.content}\n" for m in self.messages) + "assistant:"


def error(message: str, kind: str = "invalid_request_error", param: str | None = None, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def parse(kind: type[_Common], body: Any) -> _Common | dict[str, Any]:
    """The request, or OpenAI's error body naming the first field at fault."""
    try:
        return kind.model_validate(body)
    except ValidationError as err:
        first = min(err.errors(), key=lambda e: e["type"] != "extra_forbidden")  # a misspelt field explains a missing one
        loc = ".".join(str(part) for part in first["loc"])
        if first["type"] == "model_type":
            need = "'prompt'" if kind is CompletionRequest else "'messages'"
            return error(f"body must be a JSON object with {need}", code="invalid_type")
        if first["type"] == "extra_forbidden":
            known = ", ".join(sorted(kind.model_fields))
            return error(f"unknown field {loc!r}; this endpoint accepts: {known}", param=loc, code="unknown_field")
        top = str(first["loc"][0]) if first["loc"] else ""
        message = HINTS.get(top) or f"{loc!r}: {first['msg'].lower()}"
        return error(message, param=loc or None, code=first["type"])


def bad_json(raw: bytes) -> tuple[Any, dict[str, Any] | None]:
    """The parsed body, or the error for a body that is not UTF-8 JSON (RFC 8259: whatever the charset header says)."""
    try:
        return json.loads(raw.decode("utf-8")), None
    except UnicodeDecodeError:
        return None, error("body must be UTF-8 encoded JSON", code="invalid_json")
    except RecursionError:
        return None, error("body nests too deeply", code="invalid_json")
    except ValueError:
        return None, error("body must be JSON", code="invalid_json")


class Reply:
    """One response's id, timestamps and object names, for the whole body or its stream chunks."""

    def __init__(self, chat: bool, model: str):
        self.chat, self.model = chat, model
        self.id = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex}"
        self.created = int(time.time())

    def _wrap(self, obj: str, choices: list[dict], usage: dict | None) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "object": obj, "created": self.created, "model": self.model, "choices": choices}
        if usage is not None:
            out["usage"] = usage
        return out

    def whole(self, text: str, usage: dict) -> dict[str, Any]:
        if self.chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "length"}
            return self._wrap("chat.completion", [choice], usage)
        return self._wrap("text_completion", [{"index": 0, "text": text, "finish_reason": "length"}], usage)

    def chunk(self, text: str, finish: str | None = None, first: bool = False) -> dict[str, Any]:
        if self.chat:
            delta: dict[str, str] = {"role": "assistant", "content": text} if first else ({"content": text} if text else {})
            return self._wrap("chat.completion.chunk", [{"index": 0, "delta": delta, "finish_reason": finish}], None)
        return self._wrap("text_completion", [{"index": 0, "text": text, "finish_reason": finish}], None)

    def usage_chunk(self, usage: dict) -> dict[str, Any]:
        return self._wrap("chat.completion.chunk" if self.chat else "text_completion", [], usage)


def sse(obj: dict[str, Any] | str) -> bytes:
    """One server-sent event: `data: <json>` (or `data: [DONE]`) and a blank line."""
    return f"data: {obj if isinstance(obj, str) else json.dumps(obj)}\n\n".encode()


def utf8_decoder():
    """Bytes to text as tokens arrive: a character split across byte tokens waits for its last byte."""
    return codecs.getincrementaldecoder("utf-8")(errors="replace")
