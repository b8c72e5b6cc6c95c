"""`WorkerPool`: the sample workers of one unit, as plain asyncio tasks.

An anyio task-group spawn costs about 15-20 µs, a plain asyncio task about 2 µs
(measured by tests/bench/micro.py). With a thousand samples in flight, the difference
delays the last first sample by ~15 ms: a measurable share of a run whose model calls
take 0.2 s (tests/bench/engine.py measures such runs' efficiency). Cancellation
(fail_on_error, Ctrl-C) cancels the tasks; anyio cancel scopes inside them (time limits)
work as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class WorkerPool:
    def __init__(self) -> None:
        self._tasks: list[asyncio.Task[None]] = []
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        for task in self._tasks:
            task.cancel()

    async def run(self, count: int, worker: Callable[[], Awaitable[None]]) -> None:
        """Run `count` copies of `worker` until all return; re-raise the first failure.

        Each worker starts as soon as it is created, so the first model call goes out
        at once instead of after a thousand task creations (~2 ms, measured by
        tests/bench/micro.py): every sample waiting on a slot that call frees starts
        that much sooner.
        """
        loop = asyncio.get_running_loop()
        self._tasks = []
        try:
            for _ in range(count):
                if self.cancelled:
                    break
                self._tasks.append(loop.create_task(worker()))  # type: ignore[arg-type]
                await asyncio.sleep(0)  # let it run up to its first await
            outcomes = await asyncio.gather(*self._tasks, return_exceptions=True)
        except asyncio.CancelledError:
            self.cancel()
            raise
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome
