"""The threads sync tools run on: a few daemon threads shared by every sample.

Not `concurrent.futures.ThreadPoolExecutor`: its threads are joined when the interpreter
exits, so one call abandoned at its timeout (Python cannot stop a thread) would keep
`evalrun eval` from exiting until the function returned, however long after the run
ended. Not `anyio.to_thread` either: its capacity limiter and cancel scopes cost about
three times as much per call (tests/bench/agents.py).

32 threads (`EVALRUN_TOOL_THREADS`): enough for sync tools that wait on I/O to overlap,
few enough not to fight the event loop for the GIL (the bench's zero-latency turns/s:
about 11,700 with 8 threads, 9,200 with 32, 8,100 with 64). A tool that waits on the
network is best `async def`, which needs no thread at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

#: threads when `EVALRUN_TOOL_THREADS` does not say
TOOL_THREADS = 32

_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]
_jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
_started = False
_start_lock = threading.Lock()


def run_in_thread(function: Callable[[], Any]) -> asyncio.Future[Any]:
    """A future of `function()` run on a tool thread. Cancelling the future abandons the
    call: a call not yet started is skipped, a running one finishes unseen."""
    _start()
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    _jobs.put((loop, future, function))
    return future


def thread_count() -> int:
    setting = os.environ.get("EVALRUN_TOOL_THREADS", "")
    return int(setting) if setting.isdigit() and int(setting) > 0 else TOOL_THREADS


def _start() -> None:
    global _started
    if _started:
        return
    with _start_lock:
        if not _started:
            for number in range(thread_count()):
                name = f"evalrun-tool-{number}"
                threading.Thread(target=_work, name=name, daemon=True).start()
            _started = True


def _work() -> None:
    while True:
        loop, future, function = _jobs.get()
        if future.cancelled():  # abandoned before it started
            continue
        try:
            value = function()
        except BaseException as exc:  # handed to the caller, whatever it is
            _settle(loop, future, None, exc)
        else:
            _settle(loop, future, value, None)


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    value: Any,
    error: BaseException | None,
) -> None:
    def settle() -> None:
        if future.cancelled():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    with contextlib.suppress(RuntimeError):  # the run's loop closed: nobody waits any more
        loop.call_soon_threadsafe(settle)
