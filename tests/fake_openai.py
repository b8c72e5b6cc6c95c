"""A small OpenAI-compatible chat server for tests and benchmarks, with injected faults.

It answers `POST /v1/chat/completions` on 127.0.0.1 with the last user message echoed
back (or the sum, for "What is A + B?"), and can fail a seeded share of calls the way
real providers do: 429 with Retry-After, 500, answers slower than the client's timeout,
malformed JSON, and dropped connections. Whether a call fails is a hash of the prompt and
how many times that prompt was asked, so a retried call can succeed and a run is
reproducible. It counts calls (and the most in flight at once), and checks the API key
when given one. With `echo_auth` it behaves like a careless proxy: the `Authorization`
header it received comes back in the first error of every prompt (a 500, then retried),
in a 400 for prompts that ask to be refused, and in every completion. With `replies` (a
list of assistant messages) it answers its next calls with those, in order: tool calls.

Run standalone: python tests/fake_openai.py [port]
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "slow", "malformed", "drop")
_SUM = re.compile(r"What is (-?\d+) \+ (-?\d+)\?")


@dataclass
class Behaviour:
    fault_rate: float = 0.0
    faults: tuple[str, ...] = FAULTS
    slow_seconds: float = 3.0
    retry_after: str = "1"
    api_key: str | None = None
    context_limit: int | None = None  # prompts longer than this many characters get a 400
    latency: float = 0.0
    seed: int = 0
    echo_auth: bool = False
    #: scripted answers, used in order, one a call, before the default answers resume: each
    #: an assistant message (`{"content": ..., "tool_calls": [...]}`, OpenAI's form; a
    #: reply with `tool_calls` finishes with `tool_calls`). Off (None) by default.
    replies: list[dict[str, Any]] | None = None


@dataclass
class Stats:
    calls: int = 0
    #: every Authorization header received
    auth: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    #: the messages of every request, in the order received
    requests: list[list[dict[str, Any]]] = field(default_factory=list)
    #: the whole body of every request (tools offered, settings), in the order received
    bodies: list[dict[str, Any]] = field(default_factory=list)
    #: requests being answered now, and the most there ever were at once
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Server(ThreadingHTTPServer):
    request_queue_size = 512  # the default backlog of 5 drops connections at concurrency 100
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a run that ended, a timeout) is no error; anything else
        is printed, as the standard server does, to whatever standard error is then (a run
        in the test's own process captures it, so keep it for real trouble)."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAI:
    """`with FakeOpenAI(fault_rate=0.3) as server: server.base_url ...`"""

    def __init__(self, port: int = 0, **behaviour: Any) -> None:
        self.behaviour = Behaviour(**behaviour)
        if self.behaviour.replies is not None:  # (used up as calls come: the caller's stays)
            self.behaviour.replies = list(self.behaviour.replies)
        self.stats = Stats()
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _Server(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def fault_for(self, prompt: str) -> str | None:
        behaviour = self.behaviour
        with self.stats.lock:
            self.stats.calls += 1
            self.stats.attempts[prompt] += 1
            attempt = self.stats.attempts[prompt]
        if not behaviour.fault_rate:
            return None
        digest = hashlib.sha256(f"{behaviour.seed}|{attempt}|{prompt}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= behaviour.fault_rate:
            return None
        fault = behaviour.faults[digest[8] % len(behaviour.faults)]
        with self.stats.lock:
            self.stats.faults[fault] += 1
        return fault


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOpenAI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(
        self, status: int, message: str, kind: str, code: str | None = None, **headers: str
    ) -> None:
        body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
        self._send(status, json.dumps(body).encode(), headers)

    def do_POST(self) -> None:
        stats = self.owner.stats
        with stats.lock:
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            self._answer()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout): fine
            self.close_connection = True
        finally:
            with stats.lock:
                stats.in_flight -= 1

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        behaviour = self.owner.behaviour
        messages = request.get("messages", [])
        prompt = "\n".join(str(m.get("content", "")) for m in messages)
        auth = self.headers.get("Authorization", "")
        with self.owner.stats.lock:
            self.owner.stats.auth[auth] += 1
            self.owner.stats.requests.append(messages)
            self.owner.stats.bodies.append(request)
        if (
            behaviour.api_key is not None
            and self.headers.get("Authorization") != f"Bearer {behaviour.api_key}"
        ):
            self.owner.fault_for(prompt)
            given = self.headers.get("Authorization", "").removeprefix("Bearer ")
            # unlike OpenAI, echo the key in full: evalrun must scrub it from everything it writes
            return self._error(
                401,
                f"Incorrect API key provided: {given}.",
                "invalid_request_error",
                "invalid_api_key",
            )
        if behaviour.context_limit is not None and len(prompt) > behaviour.context_limit:
            self.owner.fault_for(prompt)
            return self._error(
                400,
                f"This model's maximum context length is {behaviour.context_limit} tokens. "
                f"However, your messages resulted in {len(prompt)} tokens.",
                "invalid_request_error",
                "context_length_exceeded",
            )
        fault = self.owner.fault_for(prompt)
        if behaviour.echo_auth:
            if "refuse" in prompt:
                return self._error(
                    400, f"Refused (authorization: {auth}).", "invalid_request_error"
                )
            if self.owner.stats.attempts[prompt] == 1:
                return self._error(500, f"Upstream failed (authorization: {auth}).", "server_error")
        if behaviour.latency:
            time.sleep(behaviour.latency)
        if fault == "429":
            return self._error(429, "Rate limit reached.", "rate_limit_exceeded", "rate_limit_exceeded",
                               **{"Retry-After": behaviour.retry_after})  # fmt: skip
        if fault == "500":
            return self._error(500, "The server had an error.", "server_error")
        if fault == "slow":
            time.sleep(behaviour.slow_seconds)
        if fault == "malformed":
            body = b'{"id": "x", "choices": [{"message": {"content": '
            return self._send(200, body)
        if fault == "drop":
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        last_user = next(
            (m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), ""
        )
        found = _SUM.search(str(last_user))
        answer = str(int(found.group(1)) + int(found.group(2))) if found else str(last_user)
        if behaviour.echo_auth:
            answer = f"{answer} (authorization: {auth})"
        max_tokens = request.get("max_tokens")
        finish = "stop"
        if max_tokens is not None and len(answer) // 4 > max_tokens:
            answer, finish = answer[: max_tokens * 4], "length"
        message: dict[str, Any] = {"role": "assistant", "content": answer}
        with self.owner.stats.lock:
            scripted = behaviour.replies.pop(0) if behaviour.replies else None
        if scripted is not None:
            message = {"role": "assistant", "content": None, **scripted}
            answer = str(message.get("content") or "") + json.dumps(message.get("tool_calls"))
            finish = "tool_calls" if message.get("tool_calls") else "stop"
        body = {
            "id": f"chatcmpl-{self.owner.stats.calls}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "fake"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": max(1, len(prompt) // 4),
                "completion_tokens": max(1, len(answer) // 4),
                "total_tokens": max(1, len(prompt) // 4) + max(1, len(answer) // 4),
            },
        }
        return self._send(200, json.dumps(body).encode())


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    with FakeOpenAI(port) as fake:
        print(f"listening on {fake.base_url}", flush=True)
        threading.Event().wait()
