"""`RunControl`: stopping a run from outside (Ctrl-C, SIGTERM) without losing work.

Each unit attaches the canceller of its sample workers; `cancel()` ends them all,
and each unit then closes its log with status `cancelled`, keeping every sample
that finished.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio


@dataclass
class RunControl:
    cancelled: bool = False
    reason: str = ""
    _cancellers: list[Callable[[], None]] = field(default_factory=list)

    def attach(self, cancel: Callable[[], None]) -> None:
        self._cancellers.append(cancel)
        if self.cancelled:
            cancel()

    def detach(self, cancel: Callable[[], None]) -> None:
        if cancel in self._cancellers:
            self._cancellers.remove(cancel)

    def cancel(self, reason: str) -> None:
        self.cancelled = True
        self.reason = self.reason or reason
        for cancel in list(self._cancellers):
            cancel()

    async def watch_signals(self) -> None:
        """Cancel the run on SIGINT or SIGTERM (run this in a task while units run)."""
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                self.cancel(f"interrupted by {signal.Signals(signum).name}")
