"""Progress reporters: what the user sees while a run goes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from evalrun.engine import EvalResult, NullReporter, Reporter, Unit


class PlainReporter:
    """One line per unit start and finish: for CI logs and other non-terminals."""

    def __init__(self) -> None:
        self._started: dict[int, float] = {}

    def unit_started(self, unit: Unit, log_path: Path) -> None:
        self._started[id(unit)] = time.monotonic()
        print(
            f"start  {unit.task.name} x {unit.model}: {unit.total} sample-epochs -> {log_path}",
            file=sys.stderr,
            flush=True,
        )

    def sample_done(self, unit: Unit, record: dict[str, Any]) -> None:
        pass

    def unit_finished(self, unit: Unit, result: EvalResult) -> None:
        took = time.monotonic() - self._started.pop(id(unit), time.monotonic())
        print(
            f"finish {unit.task.name} x {unit.model}: {result.status}, {result.completed}/{result.total} done, "
            f"{result.errored} errors, {took:.1f}s",
            file=sys.stderr,
            flush=True,
        )


def reporter_for(display: str | None) -> Reporter:
    if display == "none":
        return NullReporter()
    return PlainReporter()
