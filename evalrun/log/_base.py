"""What every log format provides: a streaming writer and a streaming reader."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson
from pydantic import ValidationError

from evalrun.log._counts import SampleCounts
from evalrun.log._schema import EvalSample
from evalrun.secrets import KEYS, scrub_bytes


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON for log entries, with every registered API key masked.

    orjson: this runs once per sample, and the standard library's encoder was the largest
    single cost of the sample path. What orjson refuses (integers past 64 bits, keys that
    are not text) falls back to non-text keys, then to the standard library; what neither
    can encode raises `TypeError` or `ValueError`.
    """
    try:
        data = orjson.dumps(value, default=str)
    except orjson.JSONEncodeError:
        try:
            data = orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:
            data = json.dumps(
                value, default=str, ensure_ascii=False, allow_nan=False, separators=(",", ":")
            ).encode()
    return scrub_bytes(data) if KEYS else data


class DiskThread:
    """One thread that does a writer's compression, writes and fsyncs, in order.

    zlib and fsync release the GIL, so this work overlaps with the event loop instead
    of stalling every sample in flight while a chunk is compressed.
    """

    #: chunks handed over but not yet on disk; past this, `submit` waits (bounded memory
    #: when the engine produces samples faster than they can be compressed)
    MAX_PENDING = 2

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._last: Future[None] | None = None
        self._slots = threading.BoundedSemaphore(self.MAX_PENDING)

    def submit(self, work: Callable[..., None], *args: Any) -> None:
        self._raise_if_failed()
        self._slots.acquire()
        self._last = self._executor.submit(work, *args)
        self._last.add_done_callback(lambda _: self._slots.release())

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._raise_if_failed()

    def stop(self) -> None:
        """Stop taking work (the writer gave up); what was submitted still finishes."""
        self._executor.shutdown(wait=True)

    def _raise_if_failed(self) -> None:
        if self._last is not None and self._last.done():
            self._last.result()


class LogWriter(Protocol):
    """Writes one log. Samples are buffered and reach the disk on `flush()`, which the
    engine calls at least every half second; `close()` writes the outcome."""

    def write_raw(self, line: bytes) -> None: ...
    def flush(self) -> None: ...
    def close(
        self,
        status: str,
        results: dict[str, Any] | None,
        stats: dict[str, Any],
        error: dict[str, Any] | None,
    ) -> None: ...


class Lines:
    """Encoded lines, copied into one growing buffer as they come.

    Why not a list of the encoded lines: orjson returns each in an allocation of several
    KB shrunk in place, so keeping them pins about 3 KB of fresh heap per line (two page
    faults each, the largest cost of a sample in a burst; tests/bench/micro.py). A line copied here and dropped
    at once leaves its allocation to the next line, and memory stays the size of the text.
    """

    __slots__ = ("count", "data", "end", "start")

    def __init__(self, start: bytes = b"", end: bytes = b"\n") -> None:
        self.data = bytearray()
        self.count = 0
        #: what goes before and after each line, by format
        self.start = start
        self.end = end

    def add(self, line: bytes) -> None:
        data = self.data
        data += self.start
        data += line
        data += self.end
        self.count += 1


#: dataset rows per chunk of a log's dataset section
DATASET_CHUNK = 10_000


@dataclass
class EncodedDataset:
    """A dataset encoded for a log, before the log is opened: the header records its row
    count and digest, so a reader can tell a complete dataset from a cut or damaged one."""

    chunks: list[Lines]
    rows: int
    digest: str


class DatasetDigest:
    """The digest of a dataset as a log holds it: sha256 over its rows' lines, each ended
    by a newline (whatever separates them in the file)."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self.rows = 0

    def add(self, line: bytes) -> None:
        self._sha.update(line)
        self._sha.update(b"\n")
        self.rows += 1

    def add_lines(self, lines: Lines) -> None:
        """A chunk of newline-ended lines at once (one hash call, not two per row)."""
        self._sha.update(lines.data)
        self.rows += lines.count

    def hexdigest(self) -> str:
        return self._sha.hexdigest()


def dataset_digest(rows: Iterable[dict[str, Any]]) -> str:
    """The digest a log's header records for these dataset rows."""
    return encode_dataset(rows).digest


def encode_dataset(rows: Iterable[dict[str, Any]]) -> EncodedDataset:
    """Rows as newline-ended log lines in chunks of `DATASET_CHUNK`, with their digest."""
    chunks = [Lines()]
    for row in rows:
        if chunks[-1].count == DATASET_CHUNK:
            chunks.append(Lines())
        chunks[-1].add(dumps(row))
    digest = DatasetDigest()
    for chunk in chunks:
        digest.add_lines(chunk)
    return EncodedDataset(chunks, digest.rows, digest.hexdigest())


class BufferedWriter:
    """What both formats share: sample lines are buffered, then handed to the disk thread
    as one chunk on `flush()` (or sooner, past `MAX_CHUNK_BYTES`, to bound memory)."""

    #: large enough that a chunk is rarely compressed mid-burst, small enough for memory
    MAX_CHUNK_BYTES = 2_000_000
    #: what goes before and after each sample line in this format
    LINE_START = b""
    LINE_END = b"\n"

    def __init__(self) -> None:
        self._lines = self._new_chunk()
        self._disk = DiskThread("evalrun-log")

    def _new_chunk(self) -> Lines:
        return Lines(self.LINE_START, self.LINE_END)

    def write_raw(self, line: bytes) -> None:
        """Write a sample as its encoded line (`dumps`, or exactly as another log holds it)."""
        lines = self._lines
        lines.add(line)
        if len(lines.data) >= self.MAX_CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._lines.count:
            self._disk.submit(self._write_chunk, self._lines)
            self._lines = self._new_chunk()

    def close(
        self,
        status: str,
        results: dict[str, Any] | None,
        stats: dict[str, Any],
        error: dict[str, Any] | None,
    ) -> None:
        """Wait for the disk thread, then write what is still buffered and the outcome.

        When the disk fails (full, a file size limit), the file is closed as it stands,
        keeping what reached it, and the error is raised.
        """
        try:
            self._disk.close()
            rest, self._lines = self._lines, self._new_chunk()
            summary = {"status": status, "results": results, "stats": stats, "error": error}
            self._finish(rest, summary)
        except OSError:
            self._abandon()
            raise

    def _abandon(self) -> None:
        """Close the file without writing more: nothing buffered is flushed on exit."""
        raise NotImplementedError

    def _write_chunk(self, lines: Lines) -> None:
        raise NotImplementedError

    def _finish(self, rest: Lines, summary: dict[str, Any]) -> None:
        """Write the last lines (`rest` may be empty) and the summary; close the file."""
        raise NotImplementedError


@dataclass
class Damage:
    """What a reader found unreadable: filled in while reading, whole after `settle`."""

    #: damaged parts (`samples/000003.jsonl`, `samples line 58`) and the sample records
    #: each held, when known
    parts: dict[str, int | None] = field(default_factory=dict)
    #: sample records lost (counted in damaged parts, or missing against the summary)
    lost: int = 0
    #: dataset rows the header promises that the log does not hold
    missing_rows: int = 0
    #: records of an (id, epoch) already read, ignored
    duplicates: int = 0

    def add(self, part: str, samples: int | None = None) -> None:
        if part not in self.parts:
            self.parts[part] = samples
            self.lost += samples or 0

    def settle(
        self,
        *,
        samples: int,
        results: dict[str, Any] | None,
        rows: int | None = None,
        expected_rows: int = 0,
    ) -> None:
        """Complete the tally after reading: sample records against the count in the
        summary's `results` (a finished log says how many it holds), and dataset rows,
        when read, against the header's."""
        if rows is not None:
            self.missing_rows = max(0, expected_rows - rows)
        expected = SampleCounts.from_results(results).completed if results else 0
        gap = expected - samples
        if gap > self.lost:
            if not self.parts:
                self.parts["samples"] = gap
            self.lost = gap

    def __bool__(self) -> bool:
        return bool(self.parts or self.missing_rows)

    def describe(self) -> str:
        """`damaged: 500 sample records unreadable (samples/000003.jsonl)`."""
        what = []
        if self.parts:
            what.append(
                f"{self.lost} sample records unreadable" if self.lost else "parts unreadable"
            )
        if self.missing_rows:
            what.append(f"{self.missing_rows} dataset rows missing")
        names = list(self.parts)
        where = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return "damaged: " + "; ".join(what) + (f" ({where})" if where else "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "parts": list(self.parts),
            "samples": self.lost,
            "missing_rows": self.missing_rows,
            "duplicates": self.duplicates,
        }


class LogReader:
    """Reads one log without holding it in memory.

    Each format gives raw access: `header`, `summary`, `dataset_lines`, `sample_lines`
    and `count_samples`. This base turns lines into dataset rows and validated samples,
    and keeps the tally of what it could not read in `damage`: a damaged part is skipped
    and reported, never read as valid, and intact parts after it are still read. A log
    cut short reads up to its last complete sample; its summary is None (never finished).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.damage = Damage()

    def header(self) -> dict[str, Any]:
        raise NotImplementedError

    def summary(self) -> dict[str, Any] | None:
        raise NotImplementedError

    def dataset_lines(self) -> Iterator[bytes]:
        raise NotImplementedError

    def sample_lines(self) -> Iterator[bytes]:
        raise NotImplementedError

    def sample_lines_after(self, count: int) -> Iterator[bytes]:
        """The sample lines after the first `count` (what a reader that read `count`
        lines of a log still being written has not seen yet)."""
        return itertools.islice(self.sample_lines(), count, None)

    def count_samples(self) -> int:
        """Sample records in the parts of the log that pass their checks, without parsing
        them: a damaged part is recorded in `damage` (fast: for listing many logs)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def tally(self, total: int, resumed_at: float | None = None) -> SampleCounts:
        """The counts of the readable sample records, each (id, epoch) once, parsed but not
        validated: what a log that never finished (no summary, no results) holds."""
        counts = SampleCounts(total=total)
        seen: set[tuple[str, int]] = set()
        for line in self.sample_lines():
            record = parse_line(line)
            if record is None:
                continue
            key = (str(record.get("id")), record.get("epoch", 0))
            if key not in seen:
                seen.add(key)
                counts.add_record(record, resumed_at)
        return counts

    def iter_dataset_raw(self) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Each dataset row as (its exact bytes, parsed); a damaged row is counted, not read."""
        for number, line in enumerate(self.dataset_lines(), start=1):
            row = parse_line(line)
            if row is None:
                self.damage.add(f"dataset line {number}")
                continue
            yield line, row

    def iter_dataset(self) -> Iterator[dict[str, Any]]:
        return (row for _, row in self.iter_dataset_raw())

    def iter_samples(self) -> Iterator[tuple[bytes, EvalSample]]:
        """Each readable sample once, as (its exact bytes, validated against the schema).

        A line that is not JSON or fails the schema is damage (one sample lost); a second
        record of the same (id, epoch) is ignored and counted in `damage.duplicates`.
        """
        seen: set[tuple[str, int]] = set()
        for number, line in enumerate(self.sample_lines(), start=1):
            try:
                sample = EvalSample.model_validate_json(line)
            except ValidationError:
                self.damage.add(f"samples line {number}", 1)
                continue
            key = (str(sample.id), sample.epoch)
            if key in seen:
                self.damage.duplicates += 1
                continue
            seen.add(key)
            yield line, sample


def parse_line(line: bytes) -> dict[str, Any] | None:
    """A JSON object from one line, or None when the line is damaged or incomplete."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
