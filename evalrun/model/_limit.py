"""`ConnectionLimit`: how many requests may be in flight to one endpoint.

anyio's CapacityLimiter yields to the event loop on every acquire, even when a slot
is free; at thousands of requests a second that round trip is a large share of the
engine's own time (tests/bench/micro.py times both with a free slot: the round trip
costs tens of times more). This limiter takes a free slot without yielding, queues waiters
in order otherwise, and can be resized while running (to back off on rate limits).
"""

from __future__ import annotations

from collections import deque

import anyio


class ConnectionLimit:
    def __init__(self, total: int) -> None:
        if total < 1:
            raise ValueError("a connection limit must be at least 1")
        self._total = total
        self._ceiling = total
        self._used = 0
        self._successes = 0
        self._last_throttle = 0.0
        self._waiters: deque[anyio.Event] = deque()

    @property
    def total(self) -> int:
        return self._total

    @property
    def in_use(self) -> int:
        return self._used

    def resize(self, total: int) -> None:
        """Change the limit; more room wakes waiters, less takes effect as slots free up."""
        self._total = max(1, total)
        self._wake()

    def try_acquire(self) -> bool:
        """Take a free slot now if there is one (no await: the hot path)."""
        if self._used < self._total and not self._waiters:
            self._used += 1
            return True
        return False

    def throttle(self, now: float) -> None:
        """A rate limit was hit: halve the limit (at most once a second, never below 1)."""
        if now - self._last_throttle >= 1.0 and self._total > 1:
            self._last_throttle = now
            self._total = max(1, self._total // 2)
            self._successes = 0

    def recover(self) -> None:
        """A call succeeded: after as many successes as the limit, allow one more (up to the
        configured ceiling). Together with `throttle`: additive increase, multiplicative decrease."""
        if self._total < self._ceiling:
            self._successes += 1
            if self._successes >= self._total:
                self._successes = 0
                self.resize(self._total + 1)

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        event = anyio.Event()
        self._waiters.append(event)
        try:
            await event.wait()
        except BaseException:
            if event.is_set():  # the slot was handed over as we were cancelled: give it back
                self.release()
            else:
                self._waiters.remove(event)
            raise

    def release(self) -> None:
        self._used -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._used < self._total:
            self._used += 1
            self._waiters.popleft().set()
