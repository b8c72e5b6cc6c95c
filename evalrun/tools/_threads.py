"""The threads sync tools run on: daemon threads shared by every sample.

Not `concurrent.futures.ThreadPoolExecutor`: its threads are joined when the interpreter
exits, so one call abandoned at its timeout (Python cannot stop a thread) would keep
`evalrun eval` from exiting until the function returned, however long after the run
ended. Not `anyio.to_thread` either: its capacity limiter and cancel scopes cost about
three times as much per call (tests/bench/agents.py).

32 threads (`EVALRUN_TOOL_THREADS`): enough for sync tools that wait on I/O to overlap,
few enough not to fight the event loop for the GIL (the bench's zero-latency turns/s:
about 11,700 with 8 threads, 9,200 with 32, 8,100 with 64). A tool that waits on the
network is best `async def`, which needs no thread at all.

A call's timeout runs from when a thread starts it, not while it waits for a free one.
A call abandoned at its timeout (or by its sample's time limit) still holds its thread
until the function returns, so another thread is started in its place (up to
`MAX_ABANDONED` at once): hung calls never starve the calls after them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

#: threads when `EVALRUN_TOOL_THREADS` does not say
TOOL_THREADS = 32
#: abandoned calls still running that get a thread in their place, at most
MAX_ABANDONED = 256


class CallTimedOut(Exception):
    """The call ran past its timeout (counted from when a thread started it)."""


class _Call:
    __slots__ = ("abandoned", "finished", "function", "future", "loop", "started", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, function: Callable[[], Any]) -> None:
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()
        self.function = function
        #: `time.monotonic()` when a thread started it
        self.started: float | None = None
        self.finished = False
        self.abandoned = False
        self.timer: asyncio.TimerHandle | None = None


_jobs: queue.SimpleQueue[_Call] = queue.SimpleQueue()
_lock = threading.Lock()
_started = False
#: threads started in place of abandoned calls that are still running
_extra = 0


async def call_in_thread(function: Callable[[], Any], timeout: float | None) -> Any:
    """`function()` on a tool thread: its value, or its exception, or `CallTimedOut` once
    it has run `timeout` seconds. Cancelled (the sample's time limit), the call is
    abandoned: skipped if no thread has started it, else left to finish unseen."""
    _start()
    call = _Call(asyncio.get_running_loop(), function)
    _jobs.put(call)
    if timeout is not None:  # a timer, not a cancel scope: the cheapest per call
        call.timer = call.loop.call_later(timeout, _check, call, timeout)
    try:
        return await call.future
    except asyncio.CancelledError:
        _abandon(call)
        raise
    finally:
        if call.timer is not None:
            call.timer.cancel()


def _check(call: _Call, timeout: float) -> None:
    """The call's timer: time it out if it has run `timeout` seconds, else look again
    when it will have (its wait for a thread does not count)."""
    if call.future.done():
        return
    started, now = call.started, time.monotonic()
    if started is None or started + timeout > now:
        wait = timeout if started is None else started + timeout - now
        call.timer = call.loop.call_later(wait, _check, call, timeout)
        return
    call.future.set_exception(CallTimedOut())
    _abandon(call)


def thread_count() -> int:
    setting = os.environ.get("EVALRUN_TOOL_THREADS", "")
    return int(setting) if setting.isdigit() and int(setting) > 0 else TOOL_THREADS


def _start() -> None:
    global _started
    if _started:
        return
    with _lock:
        if not _started:
            for _ in range(thread_count()):
                _thread()
            _started = True


def _thread() -> None:
    threading.Thread(target=_work, name="evalrun-tool", daemon=True).start()


def _abandon(call: _Call) -> None:
    """Nobody waits for `call` any more: skip it if it has not started; if it is running,
    start a thread in its place (its own ends when the call returns)."""
    global _extra
    call.future.cancel()  # (no-op when timed out: then done already)
    with _lock:
        if call.started is None or call.finished or _extra >= MAX_ABANDONED:
            return
        call.abandoned = True
        _extra += 1
    _thread()


def _work() -> None:
    global _extra
    while True:
        call = _jobs.get()
        with _lock:
            if call.future.done():  # abandoned before it started
                continue
            call.started = time.monotonic()
        error: BaseException | None = None
        value: Any = None
        try:
            value = call.function()
        except StopIteration as exc:  # a future cannot hold one (asyncio refuses it)
            error = RuntimeError(f"StopIteration: {exc}")
        except BaseException as exc:  # handed to the caller, whatever it is
            error = exc
        with _lock:
            call.finished = True
            if call.abandoned:  # a thread took this one's place: this one ends
                _extra -= 1
                return
        with contextlib.suppress(RuntimeError):  # the run's loop closed: nobody waits
            call.loop.call_soon_threadsafe(_settle, call.future, value, error)


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # abandoned, or timed out, meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
