"""The run loop: units (task x model) under `max_tasks`, samples under `max_samples`.

Each unit streams its finished samples to its log as they complete, applies
`fail_on_error` as errors arrive (stopping promptly when it trips), and at the end
reduces epochs, computes metrics and closes the log with its status.
"""

from __future__ import annotations

import re
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import anyio

from evalrun.config import RunConfig
from evalrun.engine._policy import ErrorPolicy
from evalrun.engine._results import ScoreBook, check_thresholds
from evalrun.engine._sample import run_sample
from evalrun.engine._unit import Unit, redact
from evalrun.log import JsonLogWriter
from evalrun.model import ModelPool, Usage

VERSION = "0.1.0"


@dataclass
class EvalResult:
    """What one task x model run ended with (the log holds the rest)."""

    task: str
    model: str
    status: str
    log_path: Path
    total: int
    completed: int = 0
    errored: int = 0
    scores: list[dict[str, Any]] = field(default_factory=list)
    thresholds: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


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
    units: list[Unit], run: RunConfig, pool: ModelPool, reporter: Reporter
) -> list[EvalResult]:
    results: list[EvalResult | None] = [None] * len(units)
    slots = anyio.Semaphore(run.max_tasks)

    async def one(index: int, unit: Unit) -> None:
        async with slots:
            results[index] = await run_unit(unit, run, pool, reporter)

    async with anyio.create_task_group() as group:
        for index, unit in enumerate(units):
            group.start_soon(one, index, unit)
    return [r for r in results if r is not None]


def log_path_for(unit: Unit, run: RunConfig, run_id: str, created: datetime) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{unit.task.name}_{unit.model}").strip("-")
    return run.log_path() / f"{created:%Y-%m-%dT%H-%M-%S}_{slug}_{run_id[:8]}.{run.log_format}"


def header_for(unit: Unit, run: RunConfig, run_id: str, created: datetime) -> dict[str, Any]:
    task = unit.task
    return {
        "run_id": run_id,
        "created": created.isoformat(timespec="seconds"),
        "evalrun_version": VERSION,
        "task": task.name,
        "task_file": str(task.file) if task.file else None,
        "base_dir": str(task.base_dir),
        "task_spec": task.spec.model_dump(mode="json", exclude_none=True),
        "model": unit.model,
        "model_args": redact(unit.model_args),
        "run_config": run.model_dump(mode="json", exclude_none=True),
        "samples": len(unit.samples),
        "epochs": unit.epochs,
        "job": run.job,
        "tags": [*task.spec.tags, *run.tags],
        "metadata": {**task.spec.metadata, **run.metadata},
    }


async def run_unit(unit: Unit, run: RunConfig, pool: ModelPool, reporter: Reporter) -> EvalResult:
    task = unit.task
    model = pool.get(unit.model, unit.model_args)
    run_id = uuid.uuid4().hex
    created = datetime.now(UTC)
    path = log_path_for(unit, run, run_id, created)
    writer = JsonLogWriter(
        path, header_for(unit, run, run_id, created), (s.to_dict() for s in unit.samples)
    )
    reporter.unit_started(unit, path)
    started = time.monotonic()
    result = EvalResult(task.name, unit.model, "started", path, unit.total)
    policy = ErrorPolicy(task.spec.fail_on_error, unit.total)
    book = ScoreBook(task)
    usage = Usage()
    # (sample, epoch, attempt, errors of earlier attempts), epoch-major so that an
    # interrupted run has covered as many samples as possible
    queue: deque[tuple[Any, int, int, list[dict[str, Any]]]] = deque(
        (sample, epoch, 1, []) for epoch in range(1, unit.epochs + 1) for sample in unit.samples
    )
    failure: str | None = None

    async def worker(group: anyio.abc.TaskGroup) -> None:
        nonlocal failure
        while queue and failure is None:
            sample, epoch, attempt, earlier = queue.popleft()
            record, scores = await run_sample(task, model, pool, sample, epoch, attempt)
            error = record["error"]
            if error is not None and attempt <= run.retry_on_error:
                queue.append((sample, epoch, attempt + 1, [*earlier, error]))  # to the back
                continue
            if earlier:
                record["errors"] = earlier
            writer.write_sample(record)
            _add_usage(usage, record["usage"])
            if error is None:
                result.completed += 1
                book.add(sample.id, epoch, scores or {})
            else:
                result.errored += 1
                if policy.record_error() and failure is None:
                    failure = f"fail_on_error: {policy.describe()}; last error (sample `{sample.id}`, epoch {epoch}): {error['message']}"
                    group.cancel_scope.cancel()
            reporter.sample_done(unit, record)

    max_samples = run.max_samples or pool.max_connections(model)
    run_error: dict[str, Any] | None = None
    try:
        async with anyio.create_task_group() as group:
            for _ in range(min(max_samples, unit.total)):
                group.start_soon(worker, group)
    except Exception as exc:  # a bug or I/O failure outside any sample: keep the log readable
        failure = f"{type(exc).__name__}: {exc}"
        run_error = {"message": failure, "traceback": "".join(traceback.format_exception(exc))}
    if failure is not None:
        result.status, result.error = "error", failure
        run_error = run_error or {"message": failure, "traceback": None}
    else:
        result.status = "success"
    result.scores = book.results()
    result.thresholds = check_thresholds(task, result.scores)
    result.usage = usage.to_dict()
    result.duration = time.monotonic() - started
    results = {
        "total_samples": unit.total,
        "completed_samples": result.completed,
        "errored_samples": result.errored,
        "scores": result.scores,
        "thresholds": result.thresholds,
    }
    stats = {
        "started_at": created.isoformat(timespec="seconds"),
        "completed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration": round(result.duration, 3),
        "usage": result.usage,
    }
    writer.close(result.status, results, stats, run_error)
    reporter.unit_finished(unit, result)
    return result


def _add_usage(total: Usage, record: dict[str, int]) -> None:
    total.input_tokens += record["input_tokens"]
    total.output_tokens += record["output_tokens"]
    total.reasoning_tokens += record["reasoning_tokens"]
    total.calls += record["calls"]
