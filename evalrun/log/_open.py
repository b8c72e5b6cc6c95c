"""Opening logs by format, and the reading API the commands use."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalrun.errors import InputError, Location
from evalrun.log._base import LogReader, LogWriter
from evalrun.log._eval import EvalLogReader, EvalLogWriter
from evalrun.log._json import JsonLogReader, JsonLogWriter
from evalrun.log._schema import EvalHeader, EvalLog, EvalResults, EvalSample

FORMATS = ("eval", "json")


def open_writer(path: Path, header: dict[str, Any], dataset: Iterable[dict[str, Any]]) -> LogWriter:
    """A writer for `path` (`.json` or `.eval`); a folder we cannot write to is an InputError."""
    try:
        if path.suffix == ".json":
            return JsonLogWriter(path, header, dataset)
        return EvalLogWriter(path, header, dataset)
    except OSError as exc:
        raise InputError(f"cannot write log: {exc.strerror or exc}", Location(path)) from None


def open_log(path: Path | str) -> LogReader:
    """A reader for a `.eval` or `.json` log; an `InputError` if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise InputError("log file not found", Location(path))
    with path.open("rb") as handle:
        start = handle.read(4)
    if start == b"PK\x03\x04":
        return EvalLogReader(path)
    if start.startswith(b"{"):
        return JsonLogReader(path)
    raise InputError("not an evalrun log (neither a .eval zip nor a JSON log)", Location(path))


@dataclass
class LogSummary:
    """A log's header and outcome, read without loading its samples."""

    path: Path
    header: EvalHeader
    status: str
    samples_done: int
    results: EvalResults | None
    stats: dict[str, Any] | None
    error: dict[str, Any] | None

    @property
    def total(self) -> int:
        return self.header.samples * self.header.epochs


def read_summary(path: Path | str) -> LogSummary:
    reader = open_log(path)
    try:
        header = _validate(EvalHeader, reader.header(), path)
        summary = reader.summary()
        results = summary.get("results") if summary else None
        if results is not None:
            done = int(results.get("completed_samples", 0)) + int(results.get("errored_samples", 0))
        else:
            done = reader.count_samples()
        return LogSummary(
            Path(path),
            header,
            summary["status"] if summary else "started",
            done,
            _validate(EvalResults, results, path) if results else None,
            summary.get("stats") if summary else None,
            summary.get("error") if summary else None,
        )
    finally:
        reader.close()


def iter_samples(path: Path | str) -> Iterator[EvalSample]:
    """The samples of a log, one at a time (memory does not grow with the log)."""
    reader = open_log(path)
    try:
        for _, sample in reader.iter_samples_raw():
            yield _validate(EvalSample, sample, path)
    finally:
        reader.close()


def read_log(path: Path | str) -> EvalLog:
    """The whole log in memory, validated. A log cut short is read up to its last sample."""
    reader = open_log(path)
    try:
        header = reader.header()
        summary = reader.summary() or {"status": "started"}
        data = {
            "version": header.pop("version", 0),
            "header": header,
            "dataset": list(reader.iter_dataset()),
            "samples": [sample for _, sample in reader.iter_samples_raw()],
            **summary,
        }
    finally:
        reader.close()
    return _validate(EvalLog, data, path)


def _validate(model: Any, data: Any, path: Path | str) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"not a valid evalrun log: {where}: {first['msg']}", Location(path)
        ) from None


def find_logs(folder: Path) -> list[Path]:
    """Log files in a folder (not recursive), newest first by name (names start with a timestamp)."""
    if not folder.is_dir():
        raise InputError("log folder not found", Location(folder))
    paths = [p for p in folder.iterdir() if p.suffix in (".eval", ".json") and p.is_file()]
    return sorted(paths, key=lambda p: p.name, reverse=True)
