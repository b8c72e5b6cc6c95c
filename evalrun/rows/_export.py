"""Rows out as CSV or JSONL, one row at a time (any number of rows, constant memory).

CSV cells: text as is, numbers as JSON writes them, `true`/`false`, an empty cell for no
value, and lists and mappings (a checkbox's options, a budget) as compact JSON, so that a
cell reads back the same in any tool. JSONL keeps every value as it is.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import IO, Any

import orjson


def cell(value: Any) -> str:
    """A value as a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return orjson.dumps(value, default=str).decode()


def write_csv(rows: Iterable[Mapping[str, Any]], columns: list[str], out: IO[str]) -> int:
    """Write a header and one line per row (only `columns`, in order); the rows written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
        count += 1
    return count


def write_jsonl(rows: Iterable[Mapping[str, Any]], columns: list[str], out: IO[str]) -> int:
    """Write one JSON object per line with exactly `columns` (null for no value); the rows
    written."""
    count = 0
    for row in rows:
        record = {column: row.get(column) for column in columns}
        out.write(orjson.dumps(record, default=str).decode())
        out.write("\n")
        count += 1
    return count
