"""Progress reporters: what the user sees while a run goes.

The engine calls `sample_done` once per sample, so reporters only bump counters
there; drawing happens on a timer (rich's refresh thread, or a heartbeat thread).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalrun.engine import EvalResult, Unit


@dataclass
class _Progress:
    """Counters of one running unit."""

    label: str
    total: int
    started: float
    done: int = 0
    errors: int = 0
    tokens: int = 0
    status: str = "running"
    finished: float | None = None

    def elapsed(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def eta(self) -> str:
        """`eta 0:01:23` while running, the final status once done."""
        if self.status != "running":
            return self.status
        if not self.done:
            return "eta -"
        return "eta " + _duration(self.elapsed() / self.done * (self.total - self.done))


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class _Counting:
    """Shared bookkeeping: one `_Progress` per unit, updated by the engine's calls."""

    def __init__(self) -> None:
        self.units: dict[int, _Progress] = {}

    def unit_started(self, unit: Unit, log_path: Path) -> None:
        self.units[id(unit)] = _Progress(
            f"{unit.task.name} x {unit.model}", unit.total, time.monotonic()
        )

    def sample_done(self, unit: Unit, record: dict[str, Any]) -> None:
        progress = self.units[id(unit)]
        progress.done += 1
        progress.tokens += record["usage"]["total_tokens"]
        if record["error"] is not None:
            progress.errors += 1

    def unit_finished(self, unit: Unit, result: EvalResult) -> None:
        progress = self.units[id(unit)]
        progress.status = result.status
        progress.done = result.completed + result.errored
        progress.finished = time.monotonic()

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class SilentReporter(_Counting):
    """`--display none`: nothing until the final table."""


class PlainReporter(_Counting):
    """`--display plain`: a line per unit start and finish, and a heartbeat (for CI logs)."""

    def __init__(self, heartbeat: float = 5.0, stream: Any = None) -> None:
        super().__init__()
        self._heartbeat = heartbeat
        self._stream = stream or sys.stderr
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _print(self, text: str) -> None:
        print(text, file=self._stream, flush=True)

    def unit_started(self, unit: Unit, log_path: Path) -> None:
        super().unit_started(unit, log_path)
        label = self.units[id(unit)].label
        self._print(f"start  {label}: {unit.total} sample-epochs -> {log_path}")

    def unit_finished(self, unit: Unit, result: EvalResult) -> None:
        super().unit_finished(unit, result)
        progress = self.units[id(unit)]
        self._print(
            f"finish {progress.label}: {result.status}, {result.completed}/{result.total} done, "
            f"{result.errored} errors, {progress.elapsed():.1f}s"
        )

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat):
            for progress in list(self.units.values()):
                if progress.status == "running":
                    self._print(
                        f"...    {progress.label}: {progress.done}/{progress.total} done, {progress.errors} errors, "
                        f"{progress.tokens} tokens, {progress.elapsed():.0f}s, {progress.eta()}"
                    )

    def __enter__(self) -> PlainReporter:
        self._thread = threading.Thread(target=self._beat, name="evalrun-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1)


class FullReporter(_Counting):
    """`--display full` (the default on a terminal): a live line per running unit."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console
        from rich.live import Live

        self._live = Live(
            get_renderable=self._render,
            console=Console(stderr=True),
            refresh_per_second=4,
            transient=False,
        )

    def _render(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        for progress in list(self.units.values()):
            table.add_row(
                progress.label,
                ProgressBar(total=max(progress.total, 1), completed=progress.done, width=30),
                f"{progress.done}/{progress.total}",
                f"{progress.errors} errors",
                f"{progress.tokens:,} tokens",
                _duration(progress.elapsed()),
                progress.eta(),
            )
        return table

    def __enter__(self) -> FullReporter:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()


def reporter_for(display: str | None) -> _Counting:
    """The reporter for `--display`; by default full on a terminal, plain otherwise."""
    if display is None:
        display = "full" if sys.stderr.isatty() else "plain"
    if display == "none":
        return SilentReporter()
    if display == "plain":
        return PlainReporter()
    return FullReporter()
