"""`mockllm/...`: an offline, deterministic provider for demos, tests and benchmarks.

Simulated latency wakes calls at the event loop's own resolution (1 ms), one timer per
millisecond rather than one per call (see `_Clock`), so that the mock costs little next
to the engine it is used to measure.

Every random choice (simulated errors, latency jitter) is a hash of the seed, the
request's text, epoch, sample attempt and retry number, so results do not depend on
the order concurrent requests arrive in, and a retried request can succeed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalrun.errors import ArgumentError, InputError, Location, ModelError
from evalrun.model._provider import Provider
from evalrun.model._request import ModelRequest
from evalrun.model._types import (
    ModelOutput,
    ToolCall,
    Usage,
    count_message_tokens,
    count_tokens,
)
from evalrun.strict import suggest

#: the longest simulated call, in seconds (an hour: longer is a typo, not a test)
MAX_LATENCY = 3600.0

_ARGS = {
    "responses",
    "latency",
    "latency_jitter",
    "error_rate",
    "seed",
    "max_connections",
    "prices",
}


class MockLLM(Provider):
    """Token counts (in usage and in estimates alike) are `Provider`'s cheap estimate."""

    #: simulated errors surface as sample errors unless more retries are asked for
    default_max_retries = 0
    #: a simulated error needs no real pause before it is retried
    retry_backoff = 0.01
    #: `-M responses=FILE` resolves against the task file (or the working directory)
    path_args = frozenset({"responses"})

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        for key in args:
            if key not in _ARGS:
                raise ArgumentError(
                    f"mockllm: unknown model argument `{key}`{suggest(key, _ARGS)}", key
                )
        self.name = name
        self._echo = name == "mockllm/echo"
        self._default = f"Default output from {name}"
        self._latency = _number(args, "latency", 0.0, most=MAX_LATENCY)
        self._jitter = _number(args, "latency_jitter", 0.0, most=MAX_LATENCY)
        self._error_rate = _number(args, "error_rate", 0.0, most=1.0)
        self._seed = int(_number(args, "seed", 0, whole=True))
        self.default_max_connections = int(_number(args, "max_connections", 100, whole=True))
        if self.default_max_connections < 1:
            raise ArgumentError(
                "mockllm: model argument `max_connections` must be at least 1", "max_connections"
            )
        self._responses = _load_responses(Path(args["responses"])) if args.get("responses") else []
        self._clock = _Clock()

    def endpoint(self) -> str:
        return self.name

    def cache_identity(self) -> dict[str, Any]:
        return {"provider": "mockllm", "model": self.name, "base_url": None}

    @classmethod
    def prices(cls, name: str, args: dict[str, Any]) -> tuple[float, float] | None:
        """The model's `prices` setting, else free (what the mock reports: cost 0, known)."""
        return super().prices(name, args) or (0.0, 0.0)

    async def generate(self, request: ModelRequest) -> ModelOutput:
        if self._jitter or self._error_rate:
            draw = self._draw(request, request.prompt_text())
            delay = self._latency + self._jitter * (2 * _unit(draw, 1) - 1)
            if delay > 0:
                await self._clock.after(delay)
            if _unit(draw, 0) < self._error_rate:
                raise ModelError(
                    f"{self.name}: simulated transient error (error_rate={self._error_rate:g})",
                    transient=True,
                    status=503,
                )
        elif self._latency:
            await self._clock.after(self._latency)
        completion = self._answer(request)
        if isinstance(completion, _ToolRule):
            return self._call_tools(request, completion)
        stop_reason = "stop"
        config = request.config
        if config.stop_seqs:
            for stop in config.stop_seqs:
                cut = completion.find(stop)
                if cut >= 0:
                    completion = completion[:cut]
        if config.max_tokens is not None and count_tokens(completion) > config.max_tokens:
            completion = completion[: config.max_tokens * 4]
            stop_reason = "max_tokens"
        # free: cost 0, and known
        usage = Usage(count_message_tokens(request.messages), count_tokens(completion), 0, 1)
        return ModelOutput(self.name, completion, stop_reason, usage)

    def _call_tools(self, request: ModelRequest, rule: _ToolRule) -> ModelOutput:
        """The rule's tool calls, numbered on from the calls already in the conversation
        (`call_1`, `call_2`, ...: the same conversation gets the same ids)."""
        made = 0
        for message in request.messages:
            if message.tool_calls:
                made += len(message.tool_calls)
        calls = tuple(
            ToolCall(f"call_{made + number}", name, dict(arguments))
            for number, (name, arguments) in enumerate(rule.calls, start=1)
        )
        usage = Usage(
            count_message_tokens(request.messages), count_tokens(rule.output) + rule.tokens, 0, 1
        )
        return ModelOutput(self.name, rule.output, "tool_calls", usage, tool_calls=calls)

    def _answer(self, request: ModelRequest) -> str | _ToolRule:
        if self._echo:
            for message in reversed(request.messages):
                if message.role == "user":
                    return message.content
            return ""
        if not self._responses:
            return self._default
        prompt = request.prompt_text()
        for pattern, output in self._responses:
            if pattern.search(prompt):
                return output
        return self._default

    def _draw(self, request: ModelRequest, prompt: str) -> bytes:
        key = f"{self._seed}\x00{request.epoch}\x00{request.attempt}\x00{request.retry}\x00{prompt}"
        return hashlib.blake2b(key.encode(), digest_size=16).digest()


class _Clock:
    """Wake-ups for simulated calls: callers due in the same millisecond share one timer.

    A timer per call costs the event loop more than a future in a shared tick (to create,
    start and fire it, with a thousand in flight: tests/bench/micro.py measures both). A call
    wakes on the first tick at or after its latency by the loop's clock, which is as
    close as the loop's own sleep gets: uvloop keeps time and timers in whole (possibly
    coarse) milliseconds, so there a call may wake up to a couple of milliseconds early.
    """

    def __init__(self) -> None:
        #: tick (ms) -> the loop that times it, and the futures to wake then
        self._due: dict[int, tuple[asyncio.AbstractEventLoop, list[asyncio.Future[None]]]] = {}

    def after(self, seconds: float) -> asyncio.Future[None]:
        """A future done in `seconds` (a plain function: one coroutine less per call)."""
        loop = asyncio.get_running_loop()
        tick = math.ceil((loop.time() + seconds) * 1000)
        due = self._due.get(tick)
        if due is None or due[0] is not loop:  # (a tick left by a finished loop is replaced)
            due = self._due[tick] = (loop, [])
            loop.call_at(tick / 1000, self._wake, tick, due)
        future: asyncio.Future[None] = loop.create_future()
        due[1].append(future)
        return future  # a cancelled caller cancels only its own future

    def _wake(self, tick: int, due: tuple[Any, list[asyncio.Future[None]]]) -> None:
        if self._due.get(tick) is due:
            del self._due[tick]
        for future in due[1]:
            if not future.done():
                future.set_result(None)


def _unit(draw: bytes, index: int) -> float:
    """A number in [0, 1) from 8 bytes of `draw`."""
    return int.from_bytes(draw[index * 8 : index * 8 + 8], "big") / 2**64


def _number(
    args: dict[str, Any],
    key: str,
    default: float,
    *,
    most: float | None = None,
    whole: bool = False,
) -> float:
    """A finite, non-negative number argument, at most `most`, a whole number if `whole`."""
    value = args.get(key, default)
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"mockllm: model argument `{key}` must be a number, not {value!r}", key
        ) from None
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise ArgumentError(
            f"mockllm: model argument `{key}` must be a number from 0, not {value!r}", key
        )
    if most is not None and number > most:
        raise ArgumentError(
            f"mockllm: model argument `{key}` must be at most {most:g}, not {value!r}", key
        )
    if whole and not number.is_integer():
        raise ArgumentError(
            f"mockllm: model argument `{key}` must be a whole number, not {value!r}", key
        )
    return number


@dataclass(frozen=True, slots=True)
class _ToolRule:
    """A responses line's `tool_calls`: (name, arguments) each, and its `output`, if any."""

    calls: tuple[tuple[str, dict[str, Any]], ...]
    output: str
    #: the output tokens the calls count for (their JSON text's estimate)
    tokens: int


_RULE_FORM = (
    'each line must be {"match": REGEX, "output": TEXT} or '
    '{"match": REGEX, "tool_calls": [{"name": TOOL, "arguments": {...}}, ...]}'
)


def _tool_rule(row: dict[str, Any], where: Location) -> _ToolRule:
    calls = row["tool_calls"]
    if not isinstance(calls, list) or not calls:
        raise InputError(f"`tool_calls` must be a non-empty list: {_RULE_FORM}", where)
    parsed: list[tuple[str, dict[str, Any]]] = []
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or not call["name"]:
            raise InputError(f"each tool call needs a `name`: {_RULE_FORM}", where)
        arguments = call.get("arguments", {})
        if not isinstance(arguments, dict):
            raise InputError(
                f"tool call `{call['name']}`: `arguments` must be an object, not {arguments!r}",
                where,
            )
        unknown = set(call) - {"name", "arguments"}
        if unknown:
            raise InputError(
                f"tool call `{call['name']}`: unknown key `{sorted(unknown)[0]}` "
                "(a call has `name` and `arguments`)",
                where,
            )
        parsed.append((call["name"], arguments))
    output = row.get("output")
    text = "" if output is None else str(output)
    return _ToolRule(tuple(parsed), text, count_tokens(json.dumps(calls)))


def _load_responses(path: Path) -> list[tuple[re.Pattern[str], str | _ToolRule]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(
            f"cannot read responses file: {exc.strerror or exc}", Location(path)
        ) from None
    rules: list[tuple[re.Pattern[str], str | _ToolRule]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = Location(path, number)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"invalid JSON: {exc.msg}", Location(path, number, exc.colno)
            ) from None
        if (
            not isinstance(row, dict)
            or not isinstance(row.get("match"), str)
            or ("output" not in row and "tool_calls" not in row)
        ):
            raise InputError(_RULE_FORM, where)
        try:
            pattern = re.compile(row["match"])
        except re.error as exc:
            raise InputError(f"invalid regex {row['match']!r}: {exc}", where) from None
        if "tool_calls" in row:
            rules.append((pattern, _tool_rule(row, where)))
        else:
            rules.append((pattern, str(row["output"])))
    return rules
