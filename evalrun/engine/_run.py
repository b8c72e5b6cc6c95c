"""The run loop: units (task x model) under `max_tasks`, samples under `max_samples`.

Each unit streams finished samples to its log (flushed at least every half second),
applies `fail_on_error` as errors arrive (stopping promptly when it trips), stops
cleanly when the run is cancelled, and at the end reduces epochs, computes metrics
and closes the log with its status. A unit that resumes a log copies that log's
finished samples first and runs only the rest.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import anyio

from evalrun.engine._control import RunControl
from evalrun.engine._policy import ErrorPolicy
from evalrun.engine._queue import SampleQueue
from evalrun.engine._results import ScoreBook, check_thresholds
from evalrun.engine._sample import encode_record, error_record, run_sample
from evalrun.engine._unit import Unit
from evalrun.engine._workers import WorkerPool
from evalrun.errors import InputError, unwrap
from evalrun.log import LogWriter, SampleCounts, open_writer, prepare_log_dir, resume_chain
from evalrun.log._index import JobIndex
from evalrun.model import ModelPool, Usage, enter_scope
from evalrun.scorer import Score
from evalrun.secrets import scrub

FLUSH_INTERVAL = 0.5


def _threshold_text(check: dict[str, Any]) -> str:
    if check.get("status") == "not checked":
        return f"threshold {check['metric']} >= {check['threshold']:g} not checked"
    value = "no value" if check["value"] is None else f"{check['value']:.4g}"
    return f"threshold {check['metric']} {value} < {check['threshold']:g}"


@dataclass
class EvalResult:
    """What one task x model run ended with (the log holds the rest)."""

    task: str
    model: str
    status: str
    log_path: Path
    #: total, completed, scored, errored, limited, reused, cached (see `log.SampleCounts`)
    counts: SampleCounts
    scores: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0
    error: str | None = None
    #: not run by this command: an eval-set found it complete and successful already
    skipped: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def failure(self) -> str | None:
        """Why this run fails a CI gate (None when it passes): it did not end in success,
        did not run every sample, or a threshold was missed or not checked. The one rule
        behind every exit status (see the README's CI contract)."""
        if self.status != "success":
            return f"{self.status}: {self.error}" if self.error else self.status
        if self.counts.unfinished:
            return f"incomplete: {self.counts.describe()}"
        missed = [t for t in self.thresholds if not t["passed"]]
        if missed:
            return "; ".join(_threshold_text(t) for t in missed)
        return None

    @property
    def total(self) -> int:
        return self.counts.total

    @property
    def completed(self) -> int:
        return self.counts.completed

    @property
    def errored(self) -> int:
        return self.counts.errored


#: what decides a unit's retry: (the unit that resumes it, seconds to wait first), or None
Again = Callable[[Unit, "EvalResult"], tuple[Unit, float] | None]


class Reporter(Protocol):
    """What the engine tells a display. Calls must be cheap: they are per sample."""

    def unit_started(self, unit: Unit, log_path: Path) -> None: ...
    def sample_done(self, unit: Unit, record: dict[str, Any]) -> None: ...
    def unit_finished(self, unit: Unit, result: EvalResult) -> None: ...


class NullReporter:
    def unit_started(self, unit: Unit, log_path: Path) -> None:
        pass

    def sample_done(self, unit: Unit, record: dict[str, Any]) -> None:
        pass

    def unit_finished(self, unit: Unit, result: EvalResult) -> None:
        pass


async def run_units(
    units: list[Unit],
    pool: ModelPool,
    reporter: Reporter,
    control: RunControl | None = None,
    *,
    max_tasks: int = 1,
    handle_signals: bool = False,
    again: Again | None = None,
) -> list[EvalResult]:
    """Run units, `max_tasks` at a time, each under its own run config, sharing `pool`
    (one connection limit per endpoint across all of them).

    `again(unit, result)` may give a unit's retry and the seconds to wait before it (an
    eval-set retries a failed unit as soon as it fails, not after the whole set); the
    retry's result replaces the unit's.

    A unit that cannot start (its log cannot be written) stops the run: the others are
    cancelled, so they close their logs as such, and its `InputError` is raised then.
    """
    control = control or RunControl()
    for folder in dict.fromkeys(unit.config.log_path() for unit in units):
        prepare_log_dir(folder)
    results: list[EvalResult | None] = [None] * len(units)
    cannot_start: list[InputError] = []
    slots = anyio.Semaphore(max_tasks)

    async def one(index: int, unit: Unit) -> None:
        while True:
            async with slots:
                if cannot_start:
                    return
                try:
                    result = results[index] = await run_unit(unit, pool, reporter, control)
                except InputError as error:
                    cannot_start.append(error)
                    control.cancel(f"another unit could not start: {error}")
                    return
            follow = again(unit, result) if again is not None and not control.cancelled else None
            if follow is None:
                return
            unit, wait = follow  # its retry, at once (its slot free while it waits)
            with anyio.move_on_after(wait):
                while not control.cancelled:
                    await anyio.sleep(0.05)
            if control.cancelled:
                return

    with _collect_on_a_timer():
        async with anyio.create_task_group() as outer:
            if handle_signals:
                outer.start_soon(control.watch_signals)
            async with anyio.create_task_group() as group:
                for index, unit in enumerate(units):
                    group.start_soon(one, index, unit)
            outer.cancel_scope.cancel()  # stop watching signals
    if cannot_start:
        raise cannot_start[0]
    return [r for r in results if r is not None]


@contextmanager
def _collect_on_a_timer() -> Iterator[None]:
    """Switch automatic garbage collection off while a run goes; units collect the young
    generations on their flush timer instead.

    With a thousand samples in flight, Python's automatic collections (every 700
    allocations) walk all their live frames again and again: they took about 5% of the
    engine's time (tests/bench/micro.py). Samples free their objects by reference
    counting; the timed collection bounds whatever cycles remain (exceptions and their
    tracebacks).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _UnitRun:
    """The mutable state of one unit while it runs; `finish()` records a finished sample
    (log, tallies, fail_on_error, display) at once, so a trip stops the run promptly."""

    def __init__(
        self,
        unit: Unit,
        writer: LogWriter,
        result: EvalResult,
        reporter: Reporter,
        stop: Callable[[], None],
    ) -> None:
        self.unit = unit
        self.writer = writer
        self.result = result
        self.book = ScoreBook(unit.task)
        self.usage = Usage()
        self.policy = ErrorPolicy(unit.task.spec.fail_on_error, unit.total)
        self.failure: str | None = None
        self._reporter = reporter if not isinstance(reporter, NullReporter) else None
        self._stop = stop

    def finish(
        self, sample: Any, epoch: int, record: dict[str, Any], scores: dict[str, Score] | None
    ) -> None:
        line, whole = encode_record(record)
        if not whole:
            scores = None  # logged as an error instead: eval-retry runs it again
        self.writer.write_raw(line)
        self.result.counts.add_record(record)  # (its error is set when scores is None)
        self.record(sample.id, epoch, record["usage"], scores)
        error = record["error"]
        if error is not None and error.get("fatal") and self.failure is None:
            # no sample can succeed: stop now, whatever fail_on_error says
            self.failure = error["message"]
            self._stop()
        elif error is not None and self.policy.record_error() and self.failure is None:
            self.failure = (
                f"fail_on_error: {self.policy.describe()}; last error "
                f"(sample `{sample.id}`, epoch {epoch}): {error['message']}"
            )
            self._stop()
        if self._reporter is not None:
            self._reporter.sample_done(self.unit, record)

    def record(
        self, sample_id: Any, epoch: int, usage: dict[str, Any], scores: dict[str, Score] | None
    ) -> None:
        """Usage and scores of a finished sample (its counts are the caller's)."""
        self.usage.add_dict(usage)
        if scores is not None:
            self.book.add(sample_id, epoch, scores)


def _resume(unit: Unit, state: _UnitRun) -> dict[tuple[str, int], int]:
    """Copy the finished samples of the log being resumed (and, where that log never
    finished, of the log it continued); return the attempts made of the others.

    The copies are flushed before any sample runs, so a retry killed from then on
    holds them itself.
    """
    attempts: dict[tuple[str, int], int] = {}
    if unit.previous is None:
        return attempts
    planned = {(str(s.id), e) for s in unit.samples for e in range(1, unit.epochs + 1)}
    for _, reader in resume_chain(unit.previous):
        for raw, sample in reader.iter_samples():
            key = (str(sample.id), sample.epoch)
            if key not in planned or attempts.get(key) == 0:
                continue
            if sample.error is None:
                state.writer.write_raw(raw)
                scores = {
                    name: Score(s.value, s.answer, s.explanation, s.metadata)
                    for name, s in sample.scores.items()
                }
                state.record(sample.id, key[1], sample.usage.model_dump(), scores)
                state.result.counts.add(
                    errored=False,
                    limited=sample.limit is not None,
                    cached=sample.output is not None and sample.output.cached,
                    reused=True,
                )
                attempts[key] = 0  # done: 0 means "reused"
            else:
                attempts[key] = max(attempts.get(key, 1), sample.attempt)
    state.writer.flush()
    return attempts


async def run_unit(
    unit: Unit, pool: ModelPool, reporter: Reporter, control: RunControl
) -> EvalResult:
    """Run one unit to its end and close its log; an `InputError` only when its log cannot
    be started (before any sample ran). Everything after that ends in the log's status."""
    task, run = unit.task, unit.config
    replay = unit.replay
    model = replay.model if replay else pool.get(unit.provider_model, unit.model_args)
    run_id = uuid.uuid4().hex
    created = datetime.now(UTC)
    path = unit.log_path(run_id, created)
    header = unit.header(run_id, created)
    writer = open_writer(path, header, (s.to_dict() for s in unit.samples))
    index = JobIndex.for_dir(run.log_path())  # (its calls never raise: the log is the truth)
    index.run_started(path, header)
    reporter.unit_started(unit, path)
    started = time.monotonic()
    pool_of_workers = WorkerPool()
    state = _UnitRun(
        unit,
        writer,
        EvalResult(task.name, unit.model, "started", path, SampleCounts(total=unit.total)),
        reporter,
        pool_of_workers.cancel,
    )
    result = state.result
    run_error: dict[str, Any] | None = None
    done = replay.carry(unit.samples, unit.epochs, state) if replay else _resume(unit, state)
    queue = SampleQueue(unit.samples, unit.epochs, done)

    async def worker() -> None:
        scope = enter_scope()
        while state.failure is None:
            item = queue.pop()
            if item is None:
                return
            sample, epoch, attempt, earlier = item
            record, scores = await run_sample(task, model, pool, sample, epoch, attempt, scope)
            error = record["error"]
            if error is not None and len(earlier) < run.retry_on_error:
                queue.retry(item, error)
                continue
            if earlier:
                record["errors"] = list(earlier)
            state.finish(sample, epoch, record, scores)
            del record, scores  # not held while the next sample runs

    async def flush_regularly() -> None:
        while True:
            await anyio.sleep(FLUSH_INTERVAL)
            writer.flush()
            gc.collect(1)

    try:
        async with anyio.create_task_group() as outer:
            outer.start_soon(flush_regularly)
            control.attach(pool_of_workers.cancel)
            in_flight = min(run.max_samples or pool.max_connections(model), queue.pending)
            await pool_of_workers.run(in_flight, worker)
            control.detach(pool_of_workers.cancel)
            outer.cancel_scope.cancel()
    except Exception as raised:  # outside any sample: the disk under the log, or a bug
        run_error = _run_error(unwrap(raised))
        state.failure = run_error["message"]
    unfinished = result.counts.unfinished
    if state.failure is not None:
        result.status, result.error = "error", state.failure
        run_error = run_error or {"message": state.failure, "traceback": None}
    elif control.cancelled and unfinished > 0:
        result.status, result.error = (
            "cancelled",
            f"{control.reason}; {unfinished:,} samples×epochs not run",
        )
        run_error = {"message": result.error, "traceback": None}
    else:
        result.status = "success"
    try:
        result.scores = state.book.results()
        complete = result.status == "success" and result.counts.unfinished == 0
        result.thresholds = check_thresholds(task, result.scores, run.fail_under, complete)
    except Exception as exc:  # a user metric or reducer failed: the samples are safe in the log
        run_error = _run_error(exc, "computing results failed: ")
        result.status, result.error = "error", run_error["message"]
    result.usage = state.usage.to_dict()
    result.duration = time.monotonic() - started
    results = {
        **result.counts.to_results(),
        "scores": result.scores,
        "thresholds": result.thresholds,
    }
    stats = {
        "started_at": created.isoformat(timespec="seconds"),
        "completed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration": round(result.duration, 3),
        "usage": result.usage,
        "cost": state.usage.known_cost,
    }
    try:
        writer.close(result.status, results, stats, run_error)
    except OSError as exc:  # the disk failed us: say so; the samples flushed so far remain
        result.status = "error"
        # the same words as a failed flush: where the disk gave out is a matter of timing
        result.error = result.error or _run_error(exc)["message"]
    summary = {"status": result.status, "results": results, "stats": stats, "error": run_error}
    index.run_finished(path, header, summary)
    reporter.unit_finished(unit, result)
    return result


def _run_error(exc: BaseException, prefix: str = "") -> dict[str, Any]:
    """An error outside any sample as the log's summary records it (scrubbed of keys)."""
    if isinstance(exc, OSError):  # the disk under the log: the one line says so
        message = f"writing the log failed: {exc.strerror or exc}"
        return {"message": scrub(prefix + message), "traceback": None}
    record = error_record(exc)
    return {"message": prefix + record["message"], "traceback": record["traceback"]}
