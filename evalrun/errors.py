"""Exceptions that cross layers.

Three families matter to the command line: `InputError` (the user's file or option is
wrong: exit status 2, one line, no traceback), `SetupError` (the environment lacks
something, such as an API key: exit status 1, one line) and everything else.  Errors inside a
sample are data, not control flow: they are caught by the engine and recorded in the
log (see `evalrun.engine`), so only the kinds the engine must tell apart live here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a user's file, 1-based, as editors and compilers print it."""

    path: Path | str
    line: int | None = None
    col: int | None = None

    @classmethod
    def of_byte(cls, path: Path | str, data: bytes, offset: int, first_line: int = 1) -> Location:
        """Where byte `offset` of `data` (a file's bytes, or its line `first_line` on) is:
        its line and its column in characters, as an editor counts them."""
        start = data.rfind(b"\n", 0, offset) + 1
        column = len(data[start:offset].decode("utf-8", errors="replace")) + 1
        return cls(path, first_line + data.count(b"\n", 0, offset), column)

    def __str__(self) -> str:
        parts = [str(self.path)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


class EvalrunError(Exception):
    """Base class of every error evalrun raises on purpose."""


class InputError(EvalrunError):
    """The user's input is wrong. Printed as `path:line:col: message`, exit status 2."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ArgumentError(InputError):
    """A model argument is wrong. It names the argument, so that whoever knows where the
    argument was written (a task file's `model_args`) can point at it."""

    def __init__(self, message: str, argument: str) -> None:
        self.argument = argument
        super().__init__(message)


class SetupError(EvalrunError):
    """The environment cannot run this (an API key is not set). Printed as one line,
    exit status 1: the input is fine, but nothing can run until the user fixes it."""


class ModelError(EvalrunError):
    """A model call failed.

    `transient` errors (429, 5xx, timeouts, dropped connections, malformed answers) may
    succeed when tried again, after `retry_after` seconds if the provider said so.
    `fatal` errors (bad key, unknown model) fail the whole run: no sample can succeed.
    Others (a prompt past the context window) fail only their sample.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        status: int | None = None,
        retry_after: float | None = None,
        fatal: bool = False,
        rate_limited: bool = False,
    ) -> None:
        self.transient = transient
        self.status = status
        self.retry_after = retry_after
        self.fatal = fatal
        self.rate_limited = rate_limited
        #: the failed attempts before this one gave up (filled in by the retry loop)
        self.retry_log: list[dict[str, object]] = []
        super().__init__(message)


def unwrap(error: BaseException) -> BaseException:
    """The error an exception group stands for: its first evalrun error, else its first.

    Task groups wrap whatever their tasks raise in an `ExceptionGroup`; the command line
    and Python callers want the error itself (one line for an `InputError`, not a
    hundred lines of nested group traceback).
    """
    leaves = list(_leaves(error))
    return next((e for e in leaves if isinstance(e, EvalrunError)), leaves[0])


def _leaves(error: BaseException) -> Iterator[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from _leaves(inner)
    else:
        yield error


class LimitExceededError(EvalrunError):
    """A sample went past one of its limits (`time`, `tokens` or `messages`)."""

    def __init__(self, kind: str, limit: float, used: float) -> None:
        self.kind = kind
        self.limit = limit
        self.used = used
        super().__init__(f"{kind} limit exceeded ({used:g} > {limit:g})")
