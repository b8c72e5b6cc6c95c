"""Opening logs by format, and the reading API the commands use."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalrun.errors import InputError, Location
from evalrun.log._base import Damage, DatasetDigest, LogReader, LogWriter
from evalrun.log._counts import SampleCounts
from evalrun.log._eval import EvalLogReader, EvalLogWriter
from evalrun.log._json import JsonLogReader, JsonLogWriter
from evalrun.log._schema import EvalHeader, EvalLog, EvalResults, EvalSample

FORMATS = ("eval", "json")


def prepare_log_dir(folder: Path) -> None:
    """Check, before any unit starts, that logs can be written to `folder`."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(
            "cannot write logs here: this is a file, not a folder", Location(folder)
        ) from None
    except NotADirectoryError:
        raise InputError(
            "cannot write logs here: part of this path is a file, not a folder", Location(folder)
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot create the log folder: {exc.strerror or exc}", Location(folder)
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError("cannot write logs here: the folder is not writable", Location(folder))


def open_writer(path: Path, header: dict[str, Any], dataset: Iterable[dict[str, Any]]) -> LogWriter:
    """A writer for `path` (`.json` or `.eval`).

    A log that cannot be started (a folder we cannot write to, a full disk, a file size
    limit) is an `InputError`, and the partial file is removed: it holds no sample.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".json":
            return JsonLogWriter(path, header, dataset)
        return EvalLogWriter(path, header, dataset)
    except OSError as exc:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
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
    #: sample records that could be read (see `read_summary`)
    samples_done: int
    results: EvalResults | None
    stats: dict[str, Any] | None
    error: dict[str, Any] | None
    #: what could not be read (empty when the log is whole)
    damage: Damage = field(default_factory=Damage)
    #: total, completed, scored, errored, limited, reused, cached: as the summary
    #: recorded them, or (for a log that never finished) counted from its records
    counts: SampleCounts = field(default_factory=SampleCounts)

    @property
    def total(self) -> int:
        return self.header.samples * self.header.epochs

    @property
    def damaged(self) -> bool:
        return bool(self.damage)


def read_summary(path: Path | str, *, verify: bool = False) -> LogSummary:
    """A log's header, outcome and sample count, with what could not be read in `damage`.

    Without `verify`, sample records are counted in the parts that pass their checks
    (each `.eval` chunk's CRC; each complete `.json` line), not parsed: fast enough to
    list many logs. With it, every sample is validated against the schema and every
    dataset row is checked against the header's count and digest.
    """
    reader = open_log(path)
    try:
        header = validate_part(EvalHeader, reader.header(), path)
        summary = reader.summary()
        results = (
            validate_part(EvalResults, summary["results"], path)
            if summary and summary.get("results")
            else None
        )
        if verify:
            done = sum(1 for _ in reader.iter_samples())
            check_dataset(reader, header)
        else:
            done = reader.count_samples()
        reader.damage.settle(samples=done, results=summary.get("results") if summary else None)
        counts = (
            SampleCounts.from_results(results)
            if results is not None
            else reader.tally(header.samples * header.epochs, header.started_at)
        )
        return LogSummary(
            Path(path),
            header,
            summary["status"] if summary else "started",
            done,
            results,
            summary.get("stats") if summary else None,
            summary.get("error") if summary else None,
            reader.damage,
            counts,
        )
    finally:
        reader.close()


def check_dataset(
    reader: LogReader, header: EvalHeader, *, keep: bool = False
) -> list[dict[str, Any]] | None:
    """Whether the log's dataset is whole: the header's row count, and its digest when
    the header has one. Returns the rows (with `keep`) when it is, else None, with what
    is missing recorded in `reader.damage`."""
    rows: list[dict[str, Any]] = []
    digest = DatasetDigest()
    for line, row in reader.iter_dataset_raw():
        digest.add(line)
        if keep:
            rows.append(row)
    reader.damage.missing_rows = max(0, header.samples - digest.rows)
    if digest.rows != header.samples:
        return None
    if header.dataset_digest and digest.hexdigest() != header.dataset_digest:
        reader.damage.add("dataset")
        return None
    return rows


def iter_samples(path: Path | str) -> Iterator[EvalSample]:
    """The samples of a log, one at a time, each once and validated (memory does not
    grow with the log; damaged records are skipped: `read_summary(verify=True)` counts them)."""
    reader = open_log(path)
    try:
        for _, sample in reader.iter_samples():
            yield sample
    finally:
        reader.close()


def read_log(path: Path | str) -> EvalLog:
    """The whole log in memory, validated. A log cut short is read up to its last sample;
    a damaged one is read except for its damaged parts, which `damage` describes."""
    reader = open_log(path)
    try:
        header = dict(reader.header())
        summary = reader.summary() or {"status": "started"}
        version = header.pop("version", 0)
        samples = [sample for _, sample in reader.iter_samples()]
        dataset = list(reader.iter_dataset())
        log = validate_part(EvalLog, {"version": version, "header": header, **summary}, path)
        log.dataset, log.samples = dataset, samples
        reader.damage.settle(
            samples=len(samples),
            results=summary.get("results"),
            rows=len(dataset),
            expected_rows=log.header.samples,
        )
        log.damage = reader.damage.to_dict() if reader.damage else None
        return log
    finally:
        reader.close()


def resume_chain(path: Path) -> Iterator[tuple[Path, LogReader]]:
    """The log to resume, then, while a log never finished, the log it continued.

    eval-retry copies the samples it reuses into its new log before it runs anything,
    but a retry killed before that copy reached the disk holds fewer of them than it
    stands for: the log it continued still has them. A finished log holds them all.
    """
    seen: set[Path] = set()
    current: Path | None = path
    while current is not None and current.resolve() not in seen:
        seen.add(current.resolve())
        reader = open_log(current)
        try:
            finished = reader.summary() is not None
            earlier = reader.header().get("retry_of")
            yield current, reader
        finally:
            reader.close()
        current = Path(earlier) if earlier and not finished and Path(earlier).is_file() else None


def validate_part(model: Any, data: Any, path: Path | str) -> Any:
    """A part of a log (its header, its results) checked against the schema; an
    `InputError` at the log naming the first wrong field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"not a valid evalrun log: {where}: {first['msg']}", Location(path)
        ) from None


def find_logs(folder: Path) -> list[Path]:
    """Log files in a folder (not recursive), newest first by name (names start with a
    timestamp). Hidden files are not logs: an eval-set's manifest, the job index."""
    if not folder.is_dir():
        raise InputError("log folder not found", Location(folder))
    paths = [
        p
        for p in folder.iterdir()
        if p.suffix in (".eval", ".json") and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(paths, key=lambda p: p.name, reverse=True)
