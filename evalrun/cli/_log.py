"""`evalrun log list | show | dump | samples | sample`: reading logs from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from evalrun.cli._app import app, guarded, stdout_console

log_app = typer.Typer(help="List, show and dump logs; look at their samples.", no_args_is_help=True)
app.add_typer(log_app, name="log")


@log_app.command("list", short_help="List logs, newest first, with their counts.")
@guarded
def log_list(
    folder: Annotated[
        Path | None,
        typer.Argument(metavar="DIR", help="Log folder [default: EVALRUN_LOG_DIR, else ./logs]"),
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            metavar="success|error|cancelled|started",
            help="Only logs with this status.",
        ),
    ] = None,
    errors: Annotated[
        bool,
        typer.Option("--errors", help="Only runs with errored samples (whatever their status)."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per log.")] = False,
) -> None:
    """Logs in a folder, newest first: task, model, status, counts, score, time."""
    import os

    from rich.table import Table

    from evalrun.display._table import COUNT_HEADER
    from evalrun.errors import InputError
    from evalrun.log import find_logs, read_summary

    folder = folder or Path(os.environ.get("EVALRUN_LOG_DIR") or "logs")
    if status is not None and status not in _STATUSES:
        raise InputError(f"--status: `{status}` is not one of {', '.join(_STATUSES)}")
    rows = []
    for path in find_logs(folder):
        try:
            summary = read_summary(path)
        except InputError as exc:
            print(f"skipping {exc}", file=sys.stderr)
            continue
        counts = summary.counts
        if (status and summary.status != status) or (errors and not counts.errored):
            continue
        rows.append(
            {
                "path": str(path),
                "task": summary.header.task,
                "model": summary.header.model,
                "status": summary.status,
                "damaged": summary.damaged,
                **counts.to_dict(),
                "score": _headline(summary),
                "created": summary.header.created,
                "duration": (summary.stats or {}).get("duration"),
            }
        )
    if as_json:
        for row in rows:
            print(json.dumps(row))
        return
    table = Table(header_style="bold")
    for column in ("created", "task", "model", "status", COUNT_HEADER, "errors", "score", "time"):
        numeric = column in (COUNT_HEADER, "errors", "time")
        table.add_column(column, justify="right" if numeric else "left", overflow="fold")
    table.add_column("log", overflow="fold")
    for row in rows:
        headline: Any = row["score"]
        table.add_row(
            str(row["created"]),
            str(row["task"]),
            str(row["model"]),
            str(row["status"]) + (" (damaged)" if row["damaged"] else ""),
            f"{row['completed']}/{row['total']}",
            str(row["errored"]),
            "-" if headline is None else f"{headline[0]} {headline[1]:.3f}",
            "-" if row["duration"] is None else f"{row['duration']:.1f}s",
            Path(str(row["path"])).name,
        )
    stdout_console(200).print(table)


_STATUSES = ("success", "error", "cancelled", "started")


def _headline(summary: object) -> tuple[str, float] | None:
    """The first metric of the first scorer: `(match.accuracy, 0.8)`."""
    results = getattr(summary, "results", None)
    if not results or not results.scores:
        return None
    first = results.scores[0]
    for name, value in first.metrics.items():
        if value is not None:
            return f"{first.scorer}.{name}", value
    return None


@log_app.command("show", short_help="Show a log's summary and results.")
@guarded
def log_show(log: Annotated[Path, typer.Argument(help="A .eval or .json log.")]) -> None:
    """A log's summary and results table (every sample is read: damage is reported)."""
    from evalrun.api import result_from_summary
    from evalrun.display import results_table, threshold_lines
    from evalrun.log import read_summary

    summary = read_summary(log, verify=True)
    header = summary.header
    console = stdout_console()
    console.print(
        f"task:    {header.task} (eval {header.eval_id or header.run_id})", highlight=False
    )
    console.print(f"model:   {header.model}", highlight=False)
    console.print(f"created: {header.created}", highlight=False)
    console.print(f"status:  {summary.status}", highlight=False)
    if header.retry_of:
        console.print(f"retry of: {header.retry_of}", highlight=False)
    if summary.error:
        console.print(f"error:   {summary.error.get('message')}", highlight=False)
    if summary.damage:
        console.print(
            f"{summary.damage.describe()}; evalrun eval-retry {log} runs them again",
            highlight=False,
            soft_wrap=True,
        )
    result = result_from_summary(summary)
    console.print(results_table([result]))
    for line in threshold_lines([result]):
        console.print(line, highlight=False)


@log_app.command("dump", short_help="Dump a log as one JSON document.")
@guarded
def log_dump(
    log: Annotated[Path, typer.Argument(help="A .eval or .json log.")],
    header_only: Annotated[
        bool, typer.Option("--header-only", help="Header and summary, no samples.")
    ] = False,
) -> None:
    """The log as one JSON document on standard output (streamed: any size).

    Only readable samples are written, each (id, epoch) once; a damaged log gets a
    `damage` key and a warning on standard error.
    """
    from evalrun.log import open_log

    reader = open_log(log)
    out = sys.stdout
    try:
        header = dict(reader.header())
        version = header.pop("version", 0)
        summary = reader.summary() or {"status": "started"}
        out.write(f'{{"version": {version}, "header": {json.dumps(header)}')
        if not header_only:
            out.write(',\n"dataset": [')
            rows = samples = 0
            for rows, row in enumerate(reader.iter_dataset(), start=1):
                out.write(("\n" if rows == 1 else ",\n") + json.dumps(row))
            out.write('\n],\n"samples": [')
            for samples, (raw, _) in enumerate(reader.iter_samples(), start=1):
                out.write(("\n" if samples == 1 else ",\n") + raw.decode("utf-8"))
            out.write("\n]")
            reader.damage.settle(
                samples=samples,
                results=summary.get("results"),
                rows=rows,
                expected_rows=int(header.get("samples") or 0),
            )
        for key, value in summary.items():
            out.write(f',\n"{key}": {json.dumps(value)}')
        damage = reader.damage
        if damage:
            out.write(f',\n"damage": {json.dumps(damage.to_dict())}')
        out.write("}\n")
    finally:
        reader.close()
    if damage:
        print(f"{log}: {damage.describe()}", file=sys.stderr)
    if damage.duplicates:
        print(f"{log}: {damage.duplicates} repeated sample records left out", file=sys.stderr)


@log_app.command("samples", short_help="A table of a log's samples: scores, answer, error, tokens.")
@guarded
def log_samples(
    log: Annotated[Path, typer.Argument(help="A .eval or .json log.")],
    failed: Annotated[
        bool, typer.Option("--failed", help="Only samples with a score not correct, or errored.")
    ] = False,
    errors: Annotated[bool, typer.Option("--errors", help="Only errored samples.")] = False,
    where: Annotated[
        str | None,
        typer.Option(
            metavar="EXPR",
            help="Keep the samples it holds for: \"score.match == 'I' and metadata.topic == "
            "'small'\" (id, epoch, metadata.*, score.*, answer, error, limit, tokens, time, "
            "cached, reused; an agent's turns, tool_errors, end).",
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            metavar="KEY",
            help="id, epoch, tokens, time, turns or score.NAME; -KEY for descending.",
        ),
    ] = None,
    limit: Annotated[int, typer.Option(metavar="N", help="Show at most N samples (0: all).")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per sample.")] = False,
) -> None:
    """A log's samples, one row per sample x epoch: id, epoch, each scorer's value, the
    answer (shortened), the error's kind, tokens, time, and whether it was cached, reused
    by eval-retry or stopped at a limit. The log is streamed: any size."""
    from evalrun.cli._samples import samples_table, write_json_row
    from evalrun.rows._samples import RowQuery, select_rows

    out = sys.stdout
    selection = select_rows(
        log,
        RowQuery.build(failed=failed, errors=errors, where=where, sort=sort),
        limit=limit,
        emit=(lambda row: write_json_row(row, out)) if as_json else None,
    )
    if not as_json:
        console = stdout_console(80)
        if selection.rows:
            console.print(samples_table(selection))
        shown = len(selection.rows)
        what = "samples" if not (failed or errors or where) else "matching samples"
        if shown < selection.matched:
            note = f"{shown} of {selection.matched:,} {what} shown; --limit 0 shows all"
        else:
            note = f"{selection.matched:,} {what}"
        console.print(note, highlight=False)
    if selection.damage:
        print(f"{log}: {selection.damage}; these records are left out", file=sys.stderr)


@log_app.command(
    "sample", short_help="One sample whole: transcript, an agent's steps, scores, errors."
)
@guarded
def log_sample(
    log: Annotated[Path, typer.Argument(help="A .eval or .json log.")],
    sample_id: Annotated[str, typer.Argument(metavar="ID", help="The sample's id.")],
    epoch: Annotated[
        int | None, typer.Option(metavar="N", help="Only this epoch.  [default: every epoch]")
    ] = None,
) -> None:
    """One sample whole: input, target, the messages as a transcript, the answer, every
    score with its explanation (a grader's prompt and reply), the error with its traceback,
    earlier attempts' errors, the model calls' retries, the limit hit, a survey's answers,
    an agent's trajectory step by step (each model turn and tool call), usage and time.
    Every epoch of it, unless `--epoch` picks one."""
    from evalrun.cli._samples import sample_lines
    from evalrun.rows._find import find_sample

    samples, resumed_at = find_sample(log, sample_id, epoch)
    out = sys.stdout
    for number, sample in enumerate(samples):
        if number:
            out.write("\n" + "═" * 44 + "\n\n")
        for line in sample_lines(sample, resumed_at):
            out.write(line + "\n")
