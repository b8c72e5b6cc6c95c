"""Result rows and summaries of logs: what `evalrun results` prints and exports, and what
`evalrun.results(log)` returns.

One row per sample record: an interview x iteration of a survey (`agent.<trait>`,
`scenario.<key>`, `model.name`, `iteration`, `answer.<q>`, `comment.<q>`, `prompt.<q>`,
`status.<q>`, `tokens`, `cost`), or a sample x epoch of a task (`id`, `epoch`,
`model.name`, `score.<scorer>`, `answer`, `error`). The package is `rows`, not
`results`, so that `evalrun.results` stays the function once it has been imported.
Nothing here imports rich; the terminal renderer imports it when it prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from evalrun.rows._export import cell, write_csv, write_jsonl
from evalrun.rows._filter import compile_where, row_env, select_columns
from evalrun.rows._rows import QuestionInfo, Table
from evalrun.rows._summary import Summary, summarise

LogPaths = Path | str | Sequence[Path | str]
RowFilter = Callable[[Mapping[str, Any]], bool]


def open_table(log: LogPaths) -> Table:
    """The rows of one log, a folder of logs, or several (of one kind)."""
    paths = [log] if isinstance(log, Path | str) else list(log)
    return Table(paths)


def row_filter(table: Table, where: str | None, *, option: str = "--where") -> RowFilter | None:
    """`where` compiled for the table's rows (None keeps every row)."""
    if not where:
        return None
    return compile_where(where, [q.name for q in table.questions], option=option)


def filtered(table: Table, keep: RowFilter | None) -> Iterator[dict[str, Any]]:
    """The table's rows that `keep` keeps, each with every column (None where a record
    has no value)."""
    columns = table.columns()
    for row in table:
        full = {column: row.get(column) for column in columns}
        if keep is None or keep(full):
            yield full


def results(
    log: LogPaths,
    *,
    where: str | None = None,
    select: str | Sequence[str] | None = None,
    as_frame: bool = False,
) -> Any:
    """The rows of a log (a path, a folder of logs, or several paths) as a list of dicts,
    one per sample record, or as a pandas DataFrame with `as_frame` (pandas is an
    optional extra: `pip install pandas`).

    `where` keeps the rows an expression holds for (the survey rules' language:
    `agent.age > 30 and favourite == 'red'`); `select` picks columns by name or glob
    (`"answer.*,agent.persona"`, or a list of them). A bad expression, an unknown column
    or a missing log is an `InputError`.
    """
    if as_frame:
        import importlib.util

        if importlib.util.find_spec("pandas") is None:
            from evalrun.errors import InputError

            raise InputError("as_frame needs pandas: pip install pandas")
    table = open_table(log)
    keep = row_filter(table, where, option="where")
    columns = table.columns()
    chosen = select_columns(select, columns, option="select") if select else columns
    rows = [{column: row[column] for column in chosen} for row in filtered(table, keep)]
    if as_frame:
        import pandas

        return pandas.DataFrame.from_records(rows, columns=chosen)
    return rows


__all__ = [
    "QuestionInfo",
    "Summary",
    "Table",
    "cell",
    "compile_where",
    "filtered",
    "open_table",
    "results",
    "row_env",
    "row_filter",
    "select_columns",
    "summarise",
    "write_csv",
    "write_jsonl",
]
