"""Jobs: runs grouped as an experiment, an agent version or a nightly sweep, read from
the job index of a log dir (`evalrun.log._index`).

    from evalrun import jobs
    for job in jobs.list("logs", status="error"):
        print(job.id, job.name, job.samples_done, job.samples_total)
    job = jobs.load("3fa2c1d0", log_dir="logs")
    for run in job.runs:
        print(run.task, run.model, run.status, run.scores)
        log = run.log()                   # the whole log (evalrun.log.EvalLog)
        for sample in run.samples():      # or its samples, one at a time
            ...

A run's job is its `--job` (an eval-set's name), or one job per `eval` invocation. The
index is kept up to date by the engine and rebuilt from the logs when it is missing
(`reindex`, `evalrun jobs reindex`).
"""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalrun.errors import InputError, Location
from evalrun.log._index import JOB_STATUSES, JobIndex

if TYPE_CHECKING:
    from evalrun.log import EvalLog, EvalSample, LogSummary

#: jobs per page unless told (`--page-size`)
PAGE_SIZE = 20


def default_log_dir() -> Path:
    """Where `eval` writes logs unless told: EVALRUN_LOG_DIR, else ./logs."""
    return Path(os.environ.get("EVALRUN_LOG_DIR") or "logs")


@dataclass
class Run:
    """One run (task x model) of a job, as the index records it; its log holds the rest."""

    path: Path
    task: str
    model: str
    status: str
    eval_id: str
    run_id: str
    #: samples x epochs planned, finished (scored + errored), errored
    total: int
    completed: int
    errored: int
    #: US dollars over the calls whose price is known (None: unknown, or still running)
    cost: float | None
    error: str | None
    scores: builtins.list[dict[str, Any]]
    thresholds: builtins.list[dict[str, Any]]
    created: str
    updated: str
    #: False when a later eval-retry of the same evaluation superseded this run
    latest: bool = True

    def log(self) -> EvalLog:
        """The whole log, validated (`evalrun.log.read_log`)."""
        from evalrun.log import read_log

        return read_log(self.path)

    def samples(self) -> Iterator[EvalSample]:
        """The log's samples, one at a time (`evalrun.log.iter_samples`)."""
        from evalrun.log import iter_samples

        return iter_samples(self.path)

    def summary(self) -> LogSummary:
        """The log's header, status and counts without its samples (`read_summary`)."""
        from evalrun.log import read_summary

        return read_summary(self.path)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


@dataclass
class Job:
    """A job and its runs' aggregates: status (`running`, `error`, `cancelled`, `success`),
    samples done / total and errors (over each evaluation's latest run), cost (every run's)."""

    id: str
    name: str
    description: str
    status: str
    metadata: dict[str, Any]
    models: builtins.list[str]
    tasks: builtins.list[str]
    #: how many runs (eval-retries included)
    run_count: int
    samples_done: int
    samples_total: int
    errors: int
    cost: float | None
    latest_error: str | None
    created: str
    updated: str
    log_dir: Path
    _runs: builtins.list[Run] | None = field(default=None, repr=False)

    @property
    def runs(self) -> builtins.list[Run]:
        """The job's runs, in the order they started (read from the index when first used)."""
        if self._runs is None:
            index = JobIndex.for_dir(self.log_dir)
            self._runs = [_run(self.log_dir, row) for row in index.runs(self.id)]
        return self._runs

    def to_dict(self, *, runs: bool = False) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if not k.startswith("_")}
        data["log_dir"] = str(self.log_dir)
        if runs:
            data["runs"] = [run.to_dict() for run in self.runs]
        return data


class JobPage(builtins.list[Job]):
    """A page of jobs, with how many match in all (`total`) and the page's place."""

    def __init__(self, jobs: builtins.list[Job], total: int, page: int, page_size: int) -> None:
        super().__init__(jobs)
        self.total = total
        self.page = page
        self.page_size = page_size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def list(
    log_dir: str | Path | None = None,
    *,
    status: str | None = None,
    search: str | None = None,
    model: str | None = None,
    task: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> JobPage:
    """A page of the jobs in `log_dir`, newest first.

    `status`: running (or started), success, error or cancelled; `search`: text in the
    name, description or metadata; `model`, `task`: text in a run's model or task name.
    """
    if status == "started":
        status = "running"
    if status is not None and status not in JOB_STATUSES:
        raise InputError(f"--status: `{status}` is not one of {', '.join(JOB_STATUSES)}")
    if page < 1:
        raise InputError(f"--page: {page} is not a page (pages start at 1)")
    if page_size < 1:
        raise InputError(f"--page-size: {page_size} must be at least 1")
    folder = Path(log_dir) if log_dir is not None else default_log_dir()
    rows, total = JobIndex.for_dir(folder).jobs(
        status=status, search=search, model=model, task=task, page=page, page_size=page_size
    )
    return JobPage([_job(folder, row) for row in rows], total, page, page_size)


def load(id: str, log_dir: str | Path | None = None) -> Job:
    """A job with its runs, by its id (or the start of it) or its name."""
    folder = Path(log_dir) if log_dir is not None else default_log_dir()
    index = JobIndex.for_dir(folder)
    row = index.job(str(id))
    if row is None:
        raise InputError(f"no job `{id}` in {folder} (evalrun jobs list shows them)")
    job = _job(folder, row)
    job.runs  # noqa: B018 (loaded now: the job as it stands)
    return job


def reindex(log_dir: str | Path | None = None) -> tuple[int, builtins.list[str]]:
    """Rebuild the job index of `log_dir` from its logs: (runs indexed, logs skipped and why)."""
    folder = Path(log_dir) if log_dir is not None else default_log_dir()
    if not folder.is_dir():
        raise InputError("log folder not found", Location(folder))
    return JobIndex.for_dir(folder).reindex()


def _job(folder: Path, row: dict[str, Any]) -> Job:
    return Job(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        status=row["status"],
        metadata=row["metadata"],
        models=row["models"],
        tasks=row["tasks"],
        run_count=row["runs"],
        samples_done=row["samples_done"] or 0,
        samples_total=row["samples_total"] or 0,
        errors=row["errors"] or 0,
        cost=row["cost"],
        latest_error=row["latest_error"],
        created=row["created"],
        updated=row["updated"],
        log_dir=folder,
    )


def _run(folder: Path, row: dict[str, Any]) -> Run:
    return Run(
        path=folder / row["path"],
        task=row["task"],
        model=row["model"],
        status=row["status"],
        eval_id=row["eval_id"],
        run_id=row["run_id"],
        total=row["total"],
        completed=row["completed"],
        errored=row["errored"],
        cost=row["cost"],
        error=row["error"],
        scores=row["scores"],
        thresholds=row["thresholds"],
        created=row["created"],
        updated=row["updated"],
        latest=row["latest"],
    )
