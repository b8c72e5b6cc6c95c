"""Read a dataset (inline, .jsonl, .json, .csv) into samples, with precise errors.

Rows are mapped onto `Sample` fields by the task's `dataset.fields`.  A column the
mapping names but a row lacks, or a row that cannot be parsed, is reported as
`file:row: message` before any model is called.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalrun.dataset._sample import Sample
from evalrun.errors import InputError, Location

FORMATS = ("jsonl", "json", "csv")


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which column feeds which sample field. `explicit` names the ones the user set."""

    input: str = "input"
    target: str = "target"
    id: str = "id"
    choices: str | list[str] = "choices"
    metadata: tuple[str, ...] = ()
    explicit: frozenset[str] = frozenset()


Row = tuple[Location, dict[str, Any]]


def read_rows(path: Path, fmt: str | None = None) -> Iterator[Row]:
    """Yield (location, row) for each record of a dataset file.

    Text must be UTF-8; a byte-order mark (what spreadsheet programs write) is accepted,
    and a byte that is not UTF-8 is reported at its row and column.
    """
    if fmt is None:
        fmt = path.suffix.lstrip(".").lower()
        if not fmt:
            raise InputError(
                "cannot tell the dataset's format: its name has no extension "
                f"(set dataset.format to one of: {', '.join(FORMATS)})",
                Location(path),
            )
    if fmt not in FORMATS:
        raise InputError(
            f"unsupported dataset format `.{fmt}` (use one of: {', '.join(FORMATS)})",
            Location(path),
        )
    try:
        handle = path.open(encoding="utf-8-sig", newline="")  # (-sig: a leading BOM is dropped)
    except FileNotFoundError:
        raise InputError("dataset file not found", Location(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read dataset: {exc.strerror or exc}", Location(path)) from None
    with handle:
        try:
            if fmt == "jsonl":
                yield from _jsonl_rows(path, handle)
            elif fmt == "json":
                yield from _json_rows(path, handle.read())
            else:
                yield from _csv_rows(path, handle)
        except UnicodeDecodeError:  # rows are lines, but in a JSON array they are not
            raise _not_utf8(path, "line" if fmt == "json" else "row") from None


def _not_utf8(path: Path, label: str) -> InputError:
    """Where a dataset stops being UTF-8 text, found again on this error path only (the
    reading itself decodes in C: a line at a time in Python would cost every row)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return InputError(
                    f"{label} {number}: not UTF-8 text (byte 0x{raw[exc.start]:02x})",
                    Location.of_byte(path, raw, exc.start, first_line=number),
                )
    return InputError("dataset is not UTF-8 text", Location(path))


def _jsonl_rows(path: Path, lines: Iterable[str]) -> Iterator[Row]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = Location(path, number)
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"row {number}: invalid JSON: {exc.msg}", Location(path, number, exc.colno)
            ) from None
        except RecursionError:
            raise InputError(f"row {number}: JSON nested too deeply", where) from None
        if not isinstance(row, dict):
            raise InputError(
                f"row {number}: expected a JSON object, got {type(row).__name__}", where
            )
        yield where, row


def _json_rows(path: Path, text: str) -> Iterator[Row]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"invalid JSON: {exc.msg}", Location(path, exc.lineno, exc.colno)
        ) from None
    except RecursionError:
        raise InputError("JSON nested too deeply", Location(path)) from None
    if isinstance(document, dict) and isinstance(document.get("samples"), list):
        document = document["samples"]
    if not isinstance(document, list):
        raise InputError(
            'a JSON dataset must be a list of objects (or {"samples": [...]})', Location(path)
        )
    for number, row in enumerate(document, start=1):
        if not isinstance(row, dict):
            raise InputError(
                f"row {number}: expected a JSON object, got {type(row).__name__}", Location(path)
            )
        yield Location(path), row  # a JSON array keeps no line per row: errors say `row N`


def _csv_rows(path: Path, lines: Iterable[str]) -> Iterator[Row]:
    """Rows of a CSV file; a row with more or fewer values than the header is an error
    (`csv.DictReader` fills a short row's columns with None, an empty field is "")."""
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    repeated = next((name for i, name in enumerate(header) if name in header[:i]), None)
    if repeated is not None:
        raise InputError(f"the header names column `{repeated}` twice", Location(path, 1))
    for row in reader:
        where = Location(path, reader.line_num)
        if None in row:
            raise InputError(f"row {reader.line_num}: more values than header columns", where)
        if None in row.values():
            given = sum(1 for value in row.values() if value is not None)
            raise InputError(
                f"row {reader.line_num}: {given} values for {len(header)} header columns", where
            )
        yield where, row


def rows_to_samples(rows: Iterator[Row] | list[Row], fields: FieldMap) -> list[Sample]:
    """Map rows to samples; ids default to the 1-based row number and must be unique."""
    samples: list[Sample] = []
    seen: dict[str, Location] = {}
    for index, (where, row) in enumerate(rows, start=1):
        label = _row_label(where, index)
        sample = _to_sample(row, fields, index, where, label)
        key = str(sample.id)
        if key in seen:
            raise InputError(f"{label}: duplicate sample id `{key}` (first at {seen[key]})", where)
        seen[key] = where
        samples.append(sample)
    return samples


def _row_label(where: Location, index: int) -> str:
    return f"row {where.line if where.line is not None and where.col is None else index}"


def _to_sample(
    row: dict[str, Any], fields: FieldMap, index: int, where: Location, label: str
) -> Sample:
    def column(name: str, field: str, required: bool) -> Any:
        if name in row:
            return row[name]
        if required or field in fields.explicit:
            known = ", ".join(f"`{k}`" for k in row) or "none"
            hint = "" if field in fields.explicit else f" (map one with dataset.fields.{field})"
            raise InputError(
                f"{label}: no column `{name}` for {field}{hint}; columns: {known}", where
            )
        return None

    raw_input = column(fields.input, "input", True)
    if isinstance(raw_input, dict | list) or raw_input is None:
        raise InputError(f"{label}: input must be text, not {type(raw_input).__name__}", where)
    raw_id = column(fields.id, "id", False)
    if raw_id in (None, ""):
        raw_id = index
    elif not isinstance(raw_id, str | int) or isinstance(raw_id, bool):
        raise InputError(f"{label}: id must be a string or an integer", where)
    target = _target(column(fields.target, "target", False), label, where)
    choices = _choices(row, fields, label, where, column)
    metadata: dict[str, Any] = {}
    if isinstance(row.get("metadata"), dict):
        metadata.update(row["metadata"])
    for name in fields.metadata:
        metadata[name] = column(name, "metadata", True)
    return Sample(raw_id, str(raw_input), target, choices, metadata)


def _target(value: Any, label: str, where: Location) -> str | list[str]:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        try:
            decoded = json.loads(value)
        except json.JSONDecodeError:
            return value
        if isinstance(decoded, list):
            value = decoded
    if isinstance(value, list):
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
            raise InputError(f"{label}: target list must hold plain values", where)
        return [str(v) for v in value]
    if isinstance(value, dict):
        raise InputError(f"{label}: target must be text or a list of texts", where)
    return str(value)


def _choices(
    row: dict[str, Any], fields: FieldMap, label: str, where: Location, column: Any
) -> list[str] | None:
    if isinstance(fields.choices, list):
        return [str(column(name, "choices", True)) for name in fields.choices]
    value = column(fields.choices, "choices", False)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise InputError(
                f"{label}: choices must be a list (in CSV, a JSON array)", where
            ) from None
    if not isinstance(value, list) or not value:
        raise InputError(f"{label}: choices must be a non-empty list", where)
    return [str(v) for v in value]


def shuffled(samples: list[Sample], seed: int) -> list[Sample]:
    out = list(samples)
    random.Random(seed).shuffle(out)
    return out


def select(
    samples: list[Sample], limit: tuple[int, int] | None, sample_ids: list[str] | None
) -> list[Sample]:
    """Apply `--limit N` / `--limit A-B` (1-based, inclusive) and `--sample-id`."""
    if sample_ids:
        by_id = {str(s.id): s for s in samples}
        missing = [i for i in sample_ids if i not in by_id]
        if missing:
            raise InputError(
                f"--sample-id: no sample with id {', '.join(f'`{m}`' for m in missing)}"
            )
        wanted = set(sample_ids)
        samples = [s for s in samples if str(s.id) in wanted]
    if limit is not None:
        start, end = limit
        samples = samples[start - 1 : end]
    return samples
