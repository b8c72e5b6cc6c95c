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


def _fit(text: str, width: int) -> str:
    """`text`, cut to `width` characters with an ellipsis when it is longer."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


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
        progress.done = result.completed
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
        self._print(f"start  {label}: {unit.total:,} samples×epochs -> {log_path}")

    def unit_finished(self, unit: Unit, result: EvalResult) -> None:
        super().unit_finished(unit, result)
        progress = self.units[id(unit)]
        self._print(
            f"finish {progress.label}: {result.status}, {result.counts.describe()}, "
            f"{progress.elapsed():.1f}s"
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

    def __init__(self, console: Any = None) -> None:
        super().__init__()
        from rich.console import Console
        from rich.live import Live

        self._console = console or Console(stderr=True)
        self._live = Live(
            get_renderable=self._render,
            console=self._console,
            refresh_per_second=4,
            transient=False,
        )

    def _render(self) -> Any:
        """One line per unit, fitted to the terminal's width so that it never wraps: tokens
        and then the ETA are left out first, then the bar; a long label is cut last."""
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        width = self._console.width - 1  # a line as wide as the terminal may wrap in some
        lines = []
        for progress in list(self.units.values()):
            cells = {
                "done": f"{progress.done:,}/{progress.total:,}",
                "errors": f"{progress.errors} errors",
                "tokens": f"{progress.tokens:,} tokens",
                "elapsed": _duration(progress.elapsed()),
                "eta": progress.eta(),
            }
            label = progress.label
            optional = ["tokens", "eta"]

            def room() -> int:
                return width - len(label) - sum(len(c) + 1 for c in cells.values()) - 1  # noqa: B023

            while room() < 10 and optional:
                del cells[optional.pop(0)]
            line = Table.grid(padding=(0, 1))
            if room() >= 10:
                bar = ProgressBar(
                    total=max(progress.total, 1), completed=progress.done, width=min(30, room())
                )
                line.add_row(label, bar, *cells.values())
            else:  # no room for a bar: the label gets what is left
                label = _fit(label, max(room() + len(label), 1))
                line.add_row(label, *cells.values())
            lines.append(line)
        return Group(*lines)

    def __enter__(self) -> FullReporter:
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.stop()


def reporter_for(display: str | None, heartbeat: float = 5.0) -> _Counting:
    """The reporter for `--display`; by default full when both standard output and
    standard error are terminals, plain otherwise (CI, a pipe, a file: whose progress
    lines come every `heartbeat` seconds)."""
    if display is None:
        display = "full" if sys.stdout.isatty() and sys.stderr.isatty() else "plain"
    if display == "none":
        return SilentReporter()
    if display == "plain":
        return PlainReporter(heartbeat)
    return FullReporter()
