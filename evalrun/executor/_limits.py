"""Connection limits shared by a whole Ray cluster: one actor per set holds each
endpoint's `ConnectionLimit` (slots, and the AIMD backoff on rate limits), and every
worker's models take their slots from it through `SharedLimit`.

A slot is a ticket (`owner:n`) so that a slot taken by a process that then died can
be given back: a unit's retried call `forget`s every ticket of the unit's earlier
attempts before it starts. A request cancelled while it waits for a slot `abandon`s its
ticket; the actor gives the slot back whether it was already granted or not.

A slot granted when no one else waited for the endpoint is leased to its unit for
`LEASE` seconds: the unit's next requests reuse it without asking the actor (a round
trip per request made a latency-bound unit 10-15% longer), and it goes back after
`LINGER` seconds unused, at the lease's end, on a rate limit, or when the unit ends.
Every request in flight still holds a slot of the actor's: the limit holds across the
cluster as before; a unit waiting at the actor waits at most a lease longer.

The actor is also how the driver stops the set (Ctrl-C): workers poll `stopped`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from typing import Any

from evalrun.model._limit import ConnectionLimit

#: requests that may wait for a slot at once, across the cluster (each is a coroutine
#: of the actor; a bounded actor would queue the releases behind them)
MAX_WAITING = 100_000
#: seconds a unit may reuse a slot the actor granted it uncontended
LEASE = 2.0
#: seconds a leased slot stays with its unit unused before it goes back
LINGER = 0.05


class Coordinator:
    """The state a set shares across the cluster (run as a Ray actor: asyncio, so that
    waiting for a slot blocks no other call)."""

    def __init__(self) -> None:
        self._limits: dict[str, ConnectionLimit] = {}
        self._held: dict[str, str] = {}  # ticket -> endpoint
        self._waiting: dict[str, str] = {}
        self._queued: Counter[str] = Counter()  # endpoint -> requests waiting for it
        self._abandoned: set[str] = set()
        self._stop: str | None = None

    def configure(self, endpoint: str, total: int) -> None:
        """The endpoint's limit: the first caller's (as in one process, the first model
        made for an endpoint sets its limit)."""
        if endpoint not in self._limits:
            self._limits[endpoint] = ConnectionLimit(total)

    async def acquire(self, endpoint: str, ticket: str, total: int) -> bool:
        """A slot, once one is free; `total` is the caller's `configure`, in case this call
        overtook it (a caller does not wait for its `configure`). True: no one else waits
        for the endpoint, the caller may keep the slot for its next requests (`LEASE`)."""
        self.configure(endpoint, total)
        limit = self._limits[endpoint]
        self._waiting[ticket] = endpoint
        self._queued[endpoint] += 1
        try:
            await limit.acquire()
        finally:
            del self._waiting[ticket]
            self._queued[endpoint] -= 1
        if ticket in self._abandoned:  # its caller gave up (or died) while it waited
            self._abandoned.discard(ticket)
            limit.release()
        else:
            self._held[ticket] = endpoint
        return self._queued[endpoint] == 0 and limit.in_use <= limit.total

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
    what `ModelPool` uses for every endpoint when units run on Ray (one per unit).

    A request takes a slot this unit leases (see the module's docstring), else waits for
    the actor; releases and the AIMD signals are sent without waiting, successes with
    the next release. Making one does not wait for the actor either (the driver makes
    its models while the actor starts): a call that reads the actor's limit waits for
    the `configure` first. `close` gives the leased slots back (the unit ended)."""

    def __init__(self, coordinator: Any, endpoint: str, total: int, owner: str) -> None:
        import ray

        super().__init__(total)
        self._ray = ray
        self._actor = coordinator
        self._endpoint = endpoint
        self._owner = owner
        self._numbers = itertools.count()
        #: the slots its requests hold: ticket, and until when it may be reused (0: not)
        self._tickets: list[tuple[str, float]] = []
        #: leased slots no request holds: ticket, lease end, the timer that gives it back
        self._idle: dict[str, tuple[float, asyncio.TimerHandle]] = {}
        self._configured: Any = coordinator.configure.remote(endpoint, total)

    def _ready(self) -> None:
        """Wait for this limit's `configure` (once): the actor's calls may run out of order."""
        if self._configured is not None:
            self._ray.get(self._configured)
            self._configured = None

    @property
    def total(self) -> int:
        self._ready()
        return int(self._ray.get(self._actor.total.remote(self._endpoint)))

    @property
    def in_use(self) -> int:
        self._ready()
        return int(self._ray.get(self._actor.in_use.remote(self._endpoint)))

    def resize(self, total: int) -> None:
        self._ready()
        self._ray.get(self._actor.resize.remote(self._endpoint, total))

    def try_acquire(self) -> bool:
        """A leased slot, if one is idle (else the actor's: `acquire`)."""
        now = time.monotonic()
        while self._idle:
            ticket, (until, timer) = self._idle.popitem()
            timer.cancel()
            if until > now:
                self._tickets.append((ticket, until))
                return True
            self._give_back(ticket)
        return False

    def throttle(self, now: float) -> None:
        """A rate limit: the actor halves the limit; this unit keeps no slot (its leased
        ones go back, and those its requests hold go back as they end)."""
        self._actor.throttle.remote(self._endpoint)  # after an acquire: configured
        self._tickets = [(ticket, 0.0) for ticket, _ in self._tickets]
        self.close()

    def recover(self) -> None:
        self._successes += 1  # told with the next release

    async def acquire(self) -> None:
        if self.try_acquire():
            return
        ticket = f"{self._owner}:{next(self._numbers)}"
        try:
            keep = await self._actor.acquire.remote(self._endpoint, ticket, self._ceiling)
        except BaseException:
            self._actor.abandon.remote(ticket)
            raise
        self._tickets.append((ticket, time.monotonic() + LEASE if keep else 0.0))

    def release(self) -> None:
        ticket, until = self._tickets.pop()
        if until > time.monotonic():
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:  # kept for the unit's next request, a moment
                self._idle[ticket] = (until, loop.call_later(LINGER, self._unused, ticket))
                return
        self._give_back(ticket)

    def close(self) -> None:
        """Every leased slot no request holds, back to the actor."""
        while self._idle:
            ticket, (_, timer) = self._idle.popitem()
            timer.cancel()
            self._give_back(ticket)

    def _unused(self, ticket: str) -> None:
        if self._idle.pop(ticket, None) is not None:
            self._give_back(ticket)

    def _give_back(self, ticket: str) -> None:
        successes, self._successes = self._successes, 0
        self._actor.release.remote(ticket, successes)
