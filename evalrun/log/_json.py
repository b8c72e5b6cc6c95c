"""The JSON log format (`--log-format json`): one JSON object, one sample per line.

    {"version": 1,
    "header": {...},
    "dataset": [
    {...}, ...
    ],
    "samples": [
    {...}, ...
    ],
    "status": "success",
    "results": {...},
    "stats": {...},
    "error": null}

It is plain JSON when complete. Because each sample is a line of its own, a log cut
short by a crash is read line by line up to its last complete sample.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from evalrun.errors import InputError, Location
from evalrun.log._base import BufferedWriter, Lines, LogReader, dumps, encode_dataset, parse_line
from evalrun.log._schema import LOG_VERSION

_SUMMARY_KEYS = ("status", "results", "stats", "error")


class JsonLogWriter(BufferedWriter):
    LINE_START = b",\n"  # the samples are one JSON array, a sample a line
    LINE_END = b""

    def __init__(
        self, path: Path, header: dict[str, Any], dataset: Iterable[dict[str, Any]]
    ) -> None:
        super().__init__()
        self.path = path
        encoded = encode_dataset(dataset)
        header = {**header, "samples": encoded.rows, "dataset_digest": encoded.digest}
        self._file: IO[bytes] = path.open("wb")
        write = self._file.write
        try:
            write(b'{"version": %d,\n"header": %s,\n"dataset": [' % (LOG_VERSION, dumps(header)))
            for i, rows in enumerate(c for c in encoded.chunks if c.count):
                # rows are newline-ended JSON (never a raw newline inside): add the commas
                write((b"\n" if i == 0 else b",\n") + rows.data[:-1].replace(b"\n", b",\n"))
            write(b'\n],\n"samples": [')
            self._first = True
            self._sync()
        except OSError:
            self._abandon()
            raise

    def _write_chunk(self, lines: Lines) -> None:
        self._append(lines)
        self._sync()

    def _append(self, lines: Lines) -> None:
        if self._first:  # no comma before the array's first sample
            self._file.write(b"\n")
            self._file.write(memoryview(lines.data)[len(self.LINE_START) :])
            self._first = False
        else:
            self._file.write(lines.data)

    def _finish(self, rest: Lines, summary: dict[str, Any]) -> None:
        if rest.count:
            self._append(rest)
        tail = b",\n".join(b'"%s": %s' % (k.encode(), dumps(v)) for k, v in summary.items())
        self._file.write(b"\n],\n" + tail + b"}\n")
        self._sync()
        self._file.close()

    def _abandon(self) -> None:
        self._disk.stop()
        with contextlib.suppress(OSError):
            self._file.close()  # (its buffer is lost: the disk would not take it)

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())


class JsonLogReader(LogReader):
    def __init__(self, path: Path) -> None:
        super().__init__(path)
        try:
            self._file = path.open("rb")
        except OSError as exc:
            raise InputError(f"cannot read log: {exc.strerror or exc}", Location(path)) from None
        first = self._file.readline()
        second = self._file.readline()
        if not first.startswith(b'{"version":') or not second.startswith(b'"header": '):
            self._file.close()
            raise InputError("not an evalrun log (or damaged beyond recovery)", Location(path))
        header = parse_line(second[len(b'"header": ') :].rstrip().rstrip(b","))
        if header is None:
            self._file.close()
            raise InputError("log is damaged: its header is incomplete", Location(path))
        self._version = int(first.split(b":", 1)[1].strip().rstrip(b","))
        self._header = header

    def header(self) -> dict[str, Any]:
        return {"version": self._version, **self._header}

    def summary(self) -> dict[str, Any] | None:
        size = os.path.getsize(self.path)
        self._file.seek(max(0, size - 1_000_000))
        tail = self._file.read()
        marker = tail.rfind(b'\n],\n"status": ')
        if marker < 0:
            return None
        try:
            data = json.loads(b"{" + tail[marker + 4 :])
        except ValueError:
            self.damage.add("summary")
            return None
        return {k: data.get(k) for k in _SUMMARY_KEYS}

    def _section(self, name: str) -> Iterator[bytes]:
        """The lines of the array `name`; a last line cut short (no newline) was never
        written whole, so it is no line at all rather than damage."""
        opening = f'"{name}": ['.encode()
        self._file.seek(0)
        inside = False
        for line in self._file:
            if not inside:
                inside = line.rstrip(b"\n") == opening
                continue
            if line.startswith(b"]") or not line.endswith(b"\n"):
                return
            yield line[:-1].rstrip(b",")
        if not inside and self.summary() is not None:  # finished, yet the array is gone
            self.damage.add(f"{name} section")

    def dataset_lines(self) -> Iterator[bytes]:
        return self._section("dataset")

    def sample_lines(self) -> Iterator[bytes]:
        return self._section("samples")

    def count_samples(self) -> int:
        return sum(1 for _ in self.sample_lines())

    def close(self) -> None:
        self._file.close()
