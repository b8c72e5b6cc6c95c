"""`evalrun results LOG...`: a log's rows, summarised in the terminal or exported."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from evalrun.cli._app import app, guarded, stdout_console

FORMATS = ("table", "csv", "jsonl")


@app.command("results", short_help="Summarise or export a log's rows (surveys and tasks).")
@guarded
def results_command(
    logs: Annotated[
        list[Path],
        typer.Argument(metavar="LOG", help="Logs, or folders of logs.", show_default=False),
    ],
    by: Annotated[
        str | None,
        typer.Option(
            metavar="KEY,...",
            help="Group the summary by columns: agent.<trait>, scenario.<key>, model, ...  "
            "[default: model, when there are several]",
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", metavar="table|csv|jsonl", help="Summary, or the rows."),
    ] = "table",
    output: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Write here.  [default: standard output]"),
    ] = None,
    select: Annotated[
        str | None,
        typer.Option(
            metavar="COLS",
            help="Columns, by name or glob: answer.*,agent.persona (the table: their questions).",
        ),
    ] = None,
    where: Annotated[
        str | None,
        typer.Option(
            metavar="EXPR", help="Keep the rows it holds for: \"agent.age > 30 and q == 'Yes'\"."
        ),
    ] = None,
) -> None:
    """A survey's per-question summary (option counts and shares, mean / median / std of
    numbers, invalid and skipped answers) or a task's per-scorer means, by model when
    there are several; or the rows, one per interview (sample x epoch), as CSV or JSONL."""
    from evalrun.errors import InputError, Location
    from evalrun.rows import filtered, open_table, row_filter, select_columns

    if fmt not in FORMATS:
        raise InputError(f"--format: `{fmt}` is not one of {', '.join(FORMATS)}")
    table = open_table(logs)
    for old, new in table.superseded:
        print(f"skipping {old}: {new} (its eval-retry) holds its samples", file=sys.stderr)
    keep = row_filter(table, where)
    columns = table.columns()
    chosen = select_columns(select, columns) if select else columns
    groups = _groups(by, columns, several_models=len(table.models) > 1)
    with ExitStack() as stack:
        out: IO[str] = sys.stdout
        if output is not None:
            try:
                out = stack.enter_context(output.open("w", encoding="utf-8", newline=""))
            except OSError as exc:
                raise InputError(f"cannot write: {exc.strerror or exc}", Location(output)) from None
        rows = filtered(table, keep)
        if fmt == "csv":
            from evalrun.rows import write_csv

            write_csv(rows, chosen, out)
        elif fmt == "jsonl":
            from evalrun.rows import write_jsonl

            write_jsonl(rows, chosen, out)
        else:
            _summary(table, rows, chosen if select else None, groups, out if output else None)
    for path, damage in table.damaged.items():
        print(f"{path}: {damage}; these records are left out", file=sys.stderr)


def _groups(by: str | None, columns: list[str], *, several_models: bool) -> list[str] | None:
    """The columns `--by` names (`model` stands for `model.name`), checked."""
    from evalrun.errors import InputError
    from evalrun.strict import suggest

    if by is None:
        return ["model.name"] if several_models else None
    keys = [key.strip() for key in by.split(",") if key.strip()]
    if not keys:
        raise InputError("--by: no column named")
    chosen = []
    for key in keys:
        column = "model.name" if key == "model" else key
        if column not in columns:
            raise InputError(f"--by: unknown column `{key}`{suggest(key, [*columns, 'model'])}")
        chosen.append(column)
    return chosen


def _summary(
    table: Any, rows: Any, chosen: list[str] | None, by: list[str] | None, out: IO[str] | None
) -> None:
    from evalrun.errors import InputError
    from evalrun.rows import summarise
    from evalrun.rows._render import print_summary, summary_lines

    columns = table.columns()
    questions = list(table.questions)
    scorers = [c.removeprefix("score.") for c in columns if c.startswith("score.")]
    if chosen is not None:
        questions = [q for q in questions if f"answer.{q.name}" in chosen]
        scorers = [s for s in scorers if f"score.{s}" in chosen]
        if not (questions if table.kind == "survey" else scorers):
            what = "answer.<question>" if table.kind == "survey" else "score.<scorer>"
            raise InputError(f"--select: the summary needs a {what} column; none is selected")
    summary = summarise(
        rows, kind=table.kind, tasks=table.tasks, questions=questions, scorers=scorers, by=by
    )
    if by == ["model.name"] and summary.by:
        summary.by = ["model"]
    if out is not None:
        out.write("\n".join(summary_lines(summary, 80)) + "\n")
    else:
        print_summary(summary, stdout_console(80))
