"""`RunControl`: stopping a run from outside (Ctrl-C, SIGTERM) without losing work.

Each unit attaches the cancel scope of its sample workers; `cancel()` ends them all,
and each unit then closes its log with status `cancelled`, keeping every sample
that finished.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field

import anyio


@dataclass
class RunControl:
    cancelled: bool = False
    reason: str = ""
    _scopes: set[anyio.CancelScope] = field(default_factory=set)

    def attach(self, scope: anyio.CancelScope) -> None:
        self._scopes.add(scope)
        if self.cancelled:
            scope.cancel()

    def detach(self, scope: anyio.CancelScope) -> None:
        self._scopes.discard(scope)

    def cancel(self, reason: str) -> None:
        self.cancelled = True
        self.reason = self.reason or reason
        for scope in list(self._scopes):
            scope.cancel()

    async def watch_signals(self) -> None:
        """Cancel the run on SIGINT or SIGTERM (run this in a task while units run)."""
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                self.cancel(f"interrupted by {signal.Signals(signum).name}")
