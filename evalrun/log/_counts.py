"""How many samples x epochs a run planned, finished, scored...: the one definition.

Every view (the results table, the progress lines, `log show`, `log list` and its JSON)
prints these counts, with these words, so two views never disagree about a run:

- `total`: samples x epochs the run planned;
- `completed`: finished, with a record in the log: `scored` + `errored`;
- `scored`: finished with scores (a sample stopped at a limit is scored);
- `errored`: finished with an error, and no scores (`eval-retry` runs it again);
- `limited`: scored at a limit (tokens, messages or time) it hit: part of `scored`;
- `reused`: copied from the log an `eval-retry` resumed: part of `completed`;
- `cached`: whose last model call was answered from the response cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: the counts, in the order every view prints them
COUNT_NAMES = ("total", "completed", "scored", "errored", "limited", "reused", "cached")


@dataclass
class SampleCounts:
    """The counts of one run (see the module's docstring for what each means)."""

    total: int = 0
    scored: int = 0
    errored: int = 0
    limited: int = 0
    reused: int = 0
    cached: int = 0

    @property
    def completed(self) -> int:
        return self.scored + self.errored

    @property
    def unfinished(self) -> int:
        return max(0, self.total - self.completed)

    def add(
        self, *, errored: bool, limited: bool = False, cached: bool = False, reused: bool = False
    ) -> None:
        """Count one finished sample x epoch."""
        if errored:
            self.errored += 1
        else:
            self.scored += 1
            self.limited += limited
        self.cached += cached
        self.reused += reused

    def add_record(self, record: dict[str, Any], resumed_at: float | None = None) -> None:
        """Count a sample record as the log holds it; one that started before `resumed_at`
        (the header's `started_at` of a retry) was copied from the log it resumed."""
        output = record.get("output")
        started = record.get("started_at")
        self.add(
            errored=record.get("error") is not None,
            limited=record.get("limit") is not None,
            cached=bool(output and output.get("cached")),
            reused=resumed_at is not None and isinstance(started, float) and started < resumed_at,
        )

    @classmethod
    def from_results(cls, results: Any) -> SampleCounts:
        """The counts a finished log's summary recorded (`EvalResults`, or its dict as
        stored, where a version 1 log counted only scored samples as completed)."""
        data = results if isinstance(results, dict) else results.model_dump()
        scored = data.get("scored_samples")
        if scored is None:
            scored = data.get("completed_samples") or 0
        return cls(
            total=data.get("total_samples") or 0,
            scored=scored,
            errored=data.get("errored_samples") or 0,
            limited=data.get("limited_samples") or 0,
            reused=data.get("reused_samples") or 0,
            cached=data.get("cached_samples") or 0,
        )

    def to_results(self) -> dict[str, int]:
        """The keys a log's summary stores them under (`EvalResults`)."""
        return {f"{name}_samples": getattr(self, name) for name in COUNT_NAMES}

    def to_dict(self) -> dict[str, int]:
        """`{"total": 20, "completed": 6, ...}`: the words every view uses, as keys."""
        return {name: getattr(self, name) for name in COUNT_NAMES}

    def describe(self) -> str:
        """`completed 6/20, scored 4, errored 2, limited 1, reused 0, cached 0`."""
        return f"completed {self.completed:,}/{self.total:,}, " + ", ".join(
            f"{name} {getattr(self, name):,}" for name in COUNT_NAMES[2:]
        )
