"""What every log format provides: a streaming writer and a streaming reader."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

import orjson


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON for log entries. orjson: this runs once per sample, and the
    standard library's encoder was the largest single cost of the sample path."""
    return orjson.dumps(value, default=str)


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

    def drain(self) -> None:
        """Wait for all submitted work; re-raise its error, if any."""
        if self._last is not None:
            self._last.result()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        if self._last is not None and self._last.done():
            self._last.result()


class LogWriter(Protocol):
    """Writes one log. Samples are buffered and reach the disk on `flush()`, which the
    engine calls at least every half second; `close()` writes the outcome."""

    def write_sample(self, sample: dict[str, Any]) -> None: ...
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
    KB shrunk in place, so keeping them pins about 8 KB of fresh heap per line (two page
    faults each, the largest cost of a sample in a burst). A line copied here and dropped
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

    def write_sample(self, sample: dict[str, Any]) -> None:
        self.write_raw(dumps(sample))

    def write_raw(self, line: bytes) -> None:
        """Write a sample line (also: copy one exactly as another log holds it)."""
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
        """Wait for the disk thread, then write what is still buffered and the outcome."""
        self._disk.close()
        rest, self._lines = self._lines, self._new_chunk()
        summary = {"status": status, "results": results, "stats": stats, "error": error}
        self._finish(rest, summary)

    def _write_chunk(self, lines: Lines) -> None:
        raise NotImplementedError

    def _finish(self, rest: Lines, summary: dict[str, Any]) -> None:
        """Write the last lines (`rest` may be empty) and the summary; close the file."""
        raise NotImplementedError


class LogReader(Protocol):
    """Reads one log without holding it in memory. A log cut short reads up to its last
    complete sample, and its `summary()` is None (it never finished)."""

    def header(self) -> dict[str, Any]: ...
    def summary(self) -> dict[str, Any] | None: ...
    def iter_dataset(self) -> Iterator[dict[str, Any]]: ...
    def iter_samples_raw(self) -> Iterator[tuple[bytes, dict[str, Any]]]:
        """Each complete sample as (its exact bytes, parsed), for copying and reading at once."""
        ...

    def count_samples(self) -> int: ...
    def close(self) -> None: ...


def parse_line(line: bytes) -> dict[str, Any] | None:
    """A JSON object from one line, or None when the line is damaged or incomplete."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def parse_lines(lines: Iterable[bytes]) -> Iterator[tuple[bytes, dict[str, Any]]]:
    """Each line that holds a JSON object, with the object; a damaged or cut line is skipped."""
    for line in lines:
        value = parse_line(line)
        if value is not None:
            yield line, value
