"""Connection limits shared by a whole Ray cluster: one actor per set holds each
endpoint's `ConnectionLimit` (slots, and the AIMD backoff on rate limits), and every
worker's models take their slots from it through `SharedLimit`.

A slot is a ticket (`owner:n`) so that a slot taken by a process that then died can
be given back: a unit's retried Ray task `forget`s every ticket of the unit's earlier
attempts before it starts. A request cancelled while it waits for a slot `abandon`s its
ticket; the actor gives the slot back whether it was already granted or not.

The actor is also how the driver stops the set (Ctrl-C): workers poll `stopped`.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from evalrun.model._limit import ConnectionLimit

#: requests that may wait for a slot at once, across the cluster (each is a coroutine
#: of the actor; a bounded actor would queue the releases behind them)
MAX_WAITING = 100_000


class Coordinator:
    """The state a set shares across the cluster (run as a Ray actor: asyncio, so that
    waiting for a slot blocks no other call)."""

    def __init__(self) -> None:
        self._limits: dict[str, ConnectionLimit] = {}
        self._held: dict[str, str] = {}  # ticket -> endpoint
        self._waiting: dict[str, str] = {}
        self._abandoned: set[str] = set()
        self._stop: str | None = None

    def configure(self, endpoint: str, total: int) -> None:
        """The endpoint's limit: the first caller's (as in one process, the first model
        made for an endpoint sets its limit)."""
        if endpoint not in self._limits:
            self._limits[endpoint] = ConnectionLimit(total)

    async def acquire(self, endpoint: str, ticket: str) -> None:
        limit = self._limits[endpoint]
        self._waiting[ticket] = endpoint
        try:
            await limit.acquire()
        finally:
            del self._waiting[ticket]
        if ticket in self._abandoned:  # its caller gave up (or died) while it waited
            self._abandoned.discard(ticket)
            limit.release()
        else:
            self._held[ticket] = endpoint

    def release(self, ticket: str, successes: int = 0) -> None:
        """Give a slot back, with the calls that succeeded since the caller's last release
        (each one `recover`s: one message per request instead of two)."""
        endpoint = self._held.pop(ticket, None)
        if endpoint is not None:
            limit = self._limits[endpoint]
            limit.release()
            for _ in range(successes):
                limit.recover()

    def abandon(self, ticket: str) -> None:
        """The caller stopped waiting: give the slot back now, or when it is granted."""
        if ticket in self._held:
            self.release(ticket)
        else:
            self._abandoned.add(ticket)

    def forget(self, owner: str) -> None:
        """Every slot of `owner`'s tickets (held or awaited) back: a process that held
        them died, and its unit is about to run again."""
        prefix = owner + "/"
        for ticket in [t for t in self._held if t.startswith(prefix)]:
            self.release(ticket)
        self._abandoned.update(t for t in self._waiting if t.startswith(prefix))

    def throttle(self, endpoint: str) -> None:
        self._limits[endpoint].throttle(time.monotonic())

    def recover(self, endpoint: str) -> None:
        self._limits[endpoint].recover()

    def resize(self, endpoint: str, total: int) -> None:
        self._limits[endpoint].resize(total)

    def total(self, endpoint: str) -> int:
        return self._limits[endpoint].total

    def in_use(self, endpoint: str) -> int:
        return self._limits[endpoint].in_use

    def stop(self, reason: str) -> None:
        self._stop = self._stop or reason

    def stopped(self) -> str | None:
        return self._stop


class SharedLimit(ConnectionLimit):
    """A `ConnectionLimit` whose slots and backoff live in the set's `Coordinator` actor:
    what `ModelPool` uses for every endpoint when units run on Ray.

    Every request waits for the actor (no free slot is taken locally: the slot is the
    cluster's); releases and the AIMD signals are sent without waiting, a success with
    the next release."""

    def __init__(self, coordinator: Any, endpoint: str, total: int, owner: str) -> None:
        import ray

        super().__init__(total)
        self._ray = ray
        self._actor = coordinator
        self._endpoint = endpoint
        self._owner = owner
        self._numbers = itertools.count()
        self._tickets: list[str] = []
        ray.get(coordinator.configure.remote(endpoint, total))

    @property
    def total(self) -> int:
        return int(self._ray.get(self._actor.total.remote(self._endpoint)))

    @property
    def in_use(self) -> int:
        return int(self._ray.get(self._actor.in_use.remote(self._endpoint)))

    def resize(self, total: int) -> None:
        self._ray.get(self._actor.resize.remote(self._endpoint, total))

    def try_acquire(self) -> bool:
        return False  # a slot is the cluster's: always ask the actor

    def throttle(self, now: float) -> None:
        self._actor.throttle.remote(self._endpoint)

    def recover(self) -> None:
        self._successes += 1  # told with the next release

    async def acquire(self) -> None:
        ticket = f"{self._owner}:{next(self._numbers)}"
        try:
            await self._actor.acquire.remote(self._endpoint, ticket)
        except BaseException:
            self._actor.abandon.remote(ticket)
            raise
        self._tickets.append(ticket)

    def release(self) -> None:
        successes, self._successes = self._successes, 0
        self._actor.release.remote(self._tickets.pop(), successes)
