"""`evalrun jobs list | show | reindex`: runs grouped into jobs, from the log dir's index.

Fast by design: the commands read the SQLite index (`evalrun.log._index`) without the
log schema, and print plain text that fits 80 columns (each job a short block of lines,
every field labelled), or JSON.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evalrun.cli._app import app, guarded

if TYPE_CHECKING:
    from evalrun.jobs import Job, Run

jobs_app = typer.Typer(
    help="List and show jobs (runs grouped by --job, an eval-set, or an eval invocation).",
    no_args_is_help=True,
)
app.add_typer(jobs_app, name="jobs")

_DIR_HELP = "Log folder [default: EVALRUN_LOG_DIR, else ./logs]"


@jobs_app.command("list", short_help="List jobs, newest first, with their runs' totals.")
@guarded
def jobs_list(
    folder: Annotated[Path | None, typer.Argument(metavar="LOG_DIR", help=_DIR_HELP)] = None,
    status: Annotated[
        str | None,
        typer.Option(metavar="running|success|error|cancelled", help="Only jobs with this status."),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            metavar="WORDS", help="Only jobs with this text in name, description or metadata."
        ),
    ] = None,
    model: Annotated[
        str | None, typer.Option(metavar="MODEL", help="Only jobs with a run of a model like this.")
    ] = None,
    task: Annotated[
        str | None, typer.Option(metavar="TASK", help="Only jobs with a run of a task like this.")
    ] = None,
    page_size: Annotated[int, typer.Option(metavar="N", help="Jobs per page.")] = 20,
    page: Annotated[int, typer.Option(metavar="N", help="Which page (from 1).")] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON document: the page's jobs and the total.")
    ] = False,
) -> None:
    """Jobs in a log dir, newest first: id, name, status, samples done/total, errors, cost,
    created, models, tasks, description and latest error."""
    import json

    from evalrun import jobs

    found = jobs.list(
        folder,
        status=status,
        search=search,
        model=model,
        task=task,
        page=page,
        page_size=page_size,
    )
    if as_json:
        document = {
            "jobs": [job.to_dict() for job in found],
            "total": found.total,
            "page": found.page,
            "page_size": found.page_size,
            "pages": found.pages,
        }
        print(json.dumps(document, ensure_ascii=False))
        return
    width = shutil.get_terminal_size((80, 24)).columns
    lines: list[str] = []
    for job in found:
        lines.extend(_job_lines(job, width))
    if not found:
        lines.append("no jobs" + (" match" if (status or search or model or task) else ""))
    noun = "job" if found.total == 1 else "jobs"
    footer = f"page {found.page} of {found.pages} ({found.total:,} {noun})"
    if found.page < found.pages:
        footer += f"; --page {found.page + 1} for more"
    lines.append(footer)
    sys.stdout.write("\n".join(lines) + "\n")


@jobs_app.command("show", short_help="Show a job's runs: scores, thresholds, status, logs.")
@guarded
def jobs_show(
    job_id: Annotated[str, typer.Argument(metavar="ID", help="A job's id (or its name).")],
    folder: Annotated[Path | None, typer.Option("--log-dir", metavar="DIR", help=_DIR_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The job and its runs as JSON.")] = False,
) -> None:
    """A job and each of its runs: task, model, status, samples, scores, thresholds, error
    and log path."""
    import json

    from evalrun import jobs

    job = jobs.load(job_id, folder)
    if as_json:
        print(json.dumps(job.to_dict(runs=True), ensure_ascii=False))
        return
    width = shutil.get_terminal_size((80, 24)).columns
    lines = [
        f"job:      {job.id}  {job.name}",
        f"status:   {job.status}",
        f"created:  {_when(job.created)} (updated {_when(job.updated)})",
        f"samples:  {job.samples_done:,}/{job.samples_total:,}, errors {job.errors:,}, "
        f"cost {_cost(job.cost)}, runs {job.run_count}",
    ]
    if job.description:
        lines.append(f"about:    {job.description}")
    if job.metadata:
        lines.append(f"metadata: {json.dumps(job.metadata, ensure_ascii=False)}")
    lines.append("")
    for run in job.runs:
        lines.extend(_run_lines(run))
    sys.stdout.write("\n".join(_cut(line, width) for line in lines) + "\n")


@jobs_app.command("reindex", short_help="Rebuild the job index from the logs.")
@guarded
def jobs_reindex(
    folder: Annotated[Path | None, typer.Argument(metavar="LOG_DIR", help=_DIR_HELP)] = None,
) -> None:
    """Rebuild the log dir's job index (`.evalrun-index.sqlite`) from its logs alone."""
    from evalrun import jobs

    folder = folder or jobs.default_log_dir()
    count, skipped = jobs.reindex(folder)
    for reason in skipped:
        print(f"skipping {reason}", file=sys.stderr)
    found = jobs.list(folder, page_size=1)
    print(f"indexed {count:,} runs in {found.total:,} jobs ({folder})")


def _job_lines(job: Job, width: int) -> list[str]:
    pad = " " * 10
    lines = [
        f"{job.id}  {job.status:<9} {job.name}",
        f"{pad}samples {job.samples_done:,}/{job.samples_total:,} · errors {job.errors:,} · "
        f"cost {_cost(job.cost)} · created {_when(job.created)}",
        f"{pad}models {', '.join(job.models)} · tasks {', '.join(job.tasks)}",
    ]
    if job.description:
        lines.append(pad + job.description)
    if job.latest_error:
        lines.append(f"{pad}latest error: {job.latest_error}")
    return [_cut(line, width) for line in lines]


def _run_lines(run: Run) -> list[str]:
    superseded = "" if run.latest else " (superseded by a retry)"
    lines = [
        f"{run.task} × {run.model}: {run.status}{superseded}, "
        f"samples {run.completed:,}/{run.total:,}, errors {run.errored:,}, cost {_cost(run.cost)}"
    ]
    for score in run.scores:
        metrics = ", ".join(
            f"{name} {'-' if value is None else f'{value:.3f}'}"
            for name, value in (score.get("metrics") or {}).items()
        )
        reducer = score.get("reducer")
        name = score.get("scorer", "?") + (f" ({reducer})" if reducer not in (None, "mean") else "")
        lines.append(f"  {name}: {metrics}")
    for check in run.thresholds:
        value: Any = check.get("value")
        shown = "no value" if value is None else f"{value:.4g}"
        verdict = check.get("status") or ("pass" if check.get("passed") else "fail")
        lines.append(
            f"  threshold {check['metric']} >= {check['threshold']:g}: {verdict} ({shown})"
        )
    if run.error:
        lines.append(f"  error: {run.error}")
    lines.append(f"  log: {run.path}")
    return lines


def _cost(cost: float | None) -> str:
    if cost is None:
        return "-"
    return f"${cost:,.2f}" if cost >= 1 else f"${cost:.4f}"


def _when(iso: str) -> str:
    """`2026-11-26 04:38` (UTC, as the logs record it)."""
    return iso[:16].replace("T", " ")


def _cut(line: str, width: int) -> str:
    line = " ".join(line.split("\n"))
    return line if len(line) <= width else line[: max(1, width - 1)] + "…"
