"""`Tool`: a function a model may call, and `ToolResult`: what one call gave back.

A tool call comes from a model, so everything about it may be wrong: the arguments may not
be JSON, may miss a required one or have the wrong type; the function may raise, hang or
return a megabyte. None of that is the sample's error: the model made a mistake, or the tool
failed, and the model should read what happened and try again. So `Tool.call` never raises
for any of these: it returns a `ToolResult` marked as an error, with a message the model can
act on (which argument, what is wrong; the exception's type and message, no traceback).
Whether a tool error fails the sample instead is the agent loop's choice, not the tool's.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from evalrun.tools._schema import function_schema
from evalrun.tools._threads import CallTimedOut, call_in_thread

#: seconds a call may take before it is abandoned with an error result
DEFAULT_TIMEOUT = 60.0
#: characters of output the model is given; the rest is cut, and the cut is said
DEFAULT_MAX_OUTPUT = 16_000


class ToolError(Exception):
    """Raised by a tool to tell the model something went wrong: the model reads the message
    alone (other exceptions are shown as `TypeName: message`)."""


@dataclass(frozen=True)
class Submission:
    """What a tool returns to end the trajectory with `answer` (the built-in `submit`
    does). The call's result then carries `submitted`."""

    answer: str


@dataclass(frozen=True)
class ToolResult:
    """One call's outcome.

    - `output`: the text the model reads (an error's message when the call failed).
    - `error`: None on success, else what went wrong (the same text as `output`).
    - `seconds`: wall time of the call, validation included.
    - `submitted`: the answer, when the call ends the trajectory (`submit`).
    """

    output: str
    error: str | None = None
    seconds: float = 0.0
    submitted: str | None = None

    @property
    def is_error(self) -> bool:
        return self.error is not None


@dataclass(frozen=True)
class Tool:
    """A function offered to a model. Made by `tool(function)` (or from a task file's
    `tools:`); `schema()` is what the model is shown, `call()` runs one call."""

    name: str
    description: str
    #: JSON schema (an `object`) of the arguments
    parameters: dict[str, Any]
    function: Callable[..., Any] = field(repr=False)
    #: validates a call's arguments; produced `parameters`
    arguments: type[BaseModel] = field(repr=False)
    timeout: float | None = DEFAULT_TIMEOUT
    max_output: int = DEFAULT_MAX_OUTPUT
    #: parameters the function takes only by position, in order
    positional: tuple[str, ...] = ()
    #: called in the event loop, without a thread or a timeout: only for functions that
    #: return at once whatever the arguments (the built-ins; never user code)
    inline: bool = False

    def schema(self) -> dict[str, Any]:
        """OpenAI's function-calling description: `{"name", "description", "parameters"}`."""
        return {"name": self.name, "description": self.description, "parameters": self.parameters}

    async def call(self, arguments: dict[str, Any] | str | None) -> ToolResult:
        """Validate `arguments` (a dict, or the JSON text a model sent), run the function
        (a sync one in a worker thread, so that it can time out), and return its output as
        text, capped at `max_output` characters. Never raises for the model's or the
        function's mistakes: those are error results.

        A sync function past its timeout is abandoned, not killed (Python cannot stop a
        thread): the call returns at once, and the thread runs on to its end unseen. An
        `inline` tool (the built-ins: quick, bounded, pure) is called in the event loop."""
        start = time.perf_counter()

        def failed(message: str) -> ToolResult:
            return ToolResult(message, message, time.perf_counter() - start)

        parsed = _parse_arguments(arguments)
        if isinstance(parsed, str):
            return failed(parsed)
        try:
            validated = self.arguments.model_validate(parsed)
        except ValidationError as exc:
            return failed(_explain(self.name, exc))
        values = {name: getattr(validated, name) for name in type(validated).model_fields}
        args = [values.pop(name) for name in self.positional]
        call = functools.partial(self.function, *args, **values)
        timed_out = f"`{self.name}` timed out after {self.timeout or 0:g} s"
        scope: asyncio.Timeout | None = None
        try:
            if self.inline:
                value = call()
            elif inspect.iscoroutinefunction(self.function):
                async with asyncio.timeout(self.timeout) as scope:
                    value = await call()
            else:  # on evalrun's tool threads (`_threads.py`), timed from their start
                value = await call_in_thread(call, self.timeout)
                if inspect.isawaitable(value):  # a callable object with an async __call__
                    async with asyncio.timeout(self.timeout) as scope:
                        value = await value
        except CallTimedOut:
            return failed(timed_out)
        except TimeoutError as exc:
            if scope is not None and scope.expired():
                return failed(timed_out)
            return failed(_described(exc))  # the function's own (a socket's, say)
        except ToolError as exc:
            return failed(str(exc) or type(exc).__name__)
        except (Exception, SystemExit) as exc:
            return failed(_described(exc))
        seconds = time.perf_counter() - start
        if isinstance(value, Submission):
            return ToolResult("Answer submitted.", None, seconds, value.answer)
        try:
            text = _text(value)
        except Exception as exc:
            return failed(f"`{self.name}` returned a value that is not text nor JSON: {exc}")
        return ToolResult(cap(text, self.max_output), None, seconds)


def tool(
    function: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_output: int = DEFAULT_MAX_OUTPUT,
    inline: bool = False,
) -> Tool:
    """`function` as a tool: its schema from its signature, type hints and docstring
    (raises `ToolSchemaError` when it cannot be described). `inline`: see `Tool.inline`."""
    schema = function_schema(function, name=name, description=description)
    return Tool(
        schema.name,
        schema.description,
        schema.parameters,
        function,
        schema.arguments,
        timeout,
        max_output,
        schema.positional,
        inline,
    )


def cap(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a line saying how much was cut."""
    if len(text) <= limit:
        return text
    cut = len(text) - limit
    return f"{text[:limit]}\n[output truncated: {cut:,} of {len(text):,} characters cut]"


def _parse_arguments(arguments: dict[str, Any] | str | None) -> dict[str, Any] | str:
    """The arguments as a dict, or what is wrong with them (a str)."""
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        if not arguments.strip():  # some providers send "" for a call without arguments
            return {}
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            return f"invalid arguments: not valid JSON ({exc})"
    if not isinstance(arguments, dict):
        return f"invalid arguments: expected a JSON object, got {type(arguments).__name__}"
    return arguments


def _explain(name: str, exc: ValidationError) -> str:
    """Every problem with a call's arguments, one per argument: `x`: what is wrong."""
    problems = []
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"])
        if error["type"] == "missing":
            problems.append(f"missing required argument `{where}`")
        elif error["type"] == "extra_forbidden":
            problems.append(f"unknown argument `{where}`")
        else:
            got = json.dumps(error.get("input"), default=str)
            if len(got) > 80:
                got = got[:77] + "..."
            problems.append(f"argument `{where}`: {error['msg']} (got {got})")
    return f"invalid arguments for `{name}`: " + "; ".join(problems)


def _described(exc: BaseException) -> str:
    """An exception as the model reads it: its type, and its message when it has one."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _text(value: Any) -> str:
    """A return value as the model reads it: a str as is, anything else as JSON."""
    if isinstance(value, str):
        return value
    from pydantic_core import to_json

    return to_json(value, fallback=str).decode()
