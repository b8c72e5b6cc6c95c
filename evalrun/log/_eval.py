"""The `.eval` log format (the default): a zip of JSON entries, written as the run goes.

    header.json            {"version": 1, "header": {...}}          first
    dataset/000001.jsonl   the samples as loaded, 10,000 a chunk
    samples/000001.jsonl   finished samples, one chunk per flush (its zip comment: n=COUNT)
    summary.json           {"status", "results", "stats", "error"}  last, on close

After every flush the central directory is written after the last entry, so the
file is a valid zip at every checkpoint. If the process dies while writing, the
reader falls back to scanning local entries from the start, checking each one's
CRC and size: every entry completed before the crash is read, a half-written one
never is.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from evalrun.errors import InputError, Location
from evalrun.log._base import BufferedWriter, Lines, dumps, parse_line, parse_lines
from evalrun.log._schema import LOG_VERSION

DATASET_CHUNK = 10_000


class EvalLogWriter(BufferedWriter):
    def __init__(
        self, path: Path, header: dict[str, Any], dataset: Iterable[dict[str, Any]]
    ) -> None:
        super().__init__()
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._chunks = 0
        self._zip.writestr("header.json", dumps({"version": LOG_VERSION, "header": header}))
        rows = Lines()
        part = 0
        for row in dataset:
            rows.add(dumps(row))
            if rows.count == DATASET_CHUNK:
                part += 1
                self._zip.writestr(f"dataset/{part:06d}.jsonl", rows.data)
                rows = Lines()
        if rows.count or part == 0:
            self._zip.writestr(f"dataset/{part + 1:06d}.jsonl", rows.data)
        self._checkpoint()

    def _write_chunk(self, lines: Lines, checkpoint: bool = True) -> None:
        self._chunks += 1
        info = zipfile.ZipInfo(f"samples/{self._chunks:06d}.jsonl", date_time=(2000, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.comment = f"n={lines.count}".encode()
        # level 1: three times faster than the default for ~18% more bytes
        self._zip.writestr(info, lines.data, compresslevel=1)
        if checkpoint:
            self._checkpoint()

    def _finish(self, rest: Lines, summary: dict[str, Any]) -> None:
        if rest.count:  # the last chunk, the summary and the directory: one write, one fsync
            self._write_chunk(rest, checkpoint=False)
        self._zip.writestr("summary.json", dumps(summary))
        self._checkpoint()
        # written and synced: nothing is left for ZipFile.close() to do
        fp, self._zip.fp = self._zip.fp, None
        assert fp is not None
        fp.close()

    def _checkpoint(self) -> None:
        """Write the central directory after the last entry, so the zip is valid now.

        The next entry overwrites it (zipfile writes entries at `start_dir`). This uses
        zipfile's `_write_end_record`, the same call `ZipFile.close()` makes.
        """
        zf = self._zip
        assert zf.fp is not None
        zf.fp.seek(zf.start_dir)
        zf._write_end_record()  # type: ignore[attr-defined]
        zf.fp.flush()
        os.fsync(zf.fp.fileno())


class EvalLogReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, bytes] | None = None  # filled only when recovering
        try:
            self._zip: zipfile.ZipFile | None = zipfile.ZipFile(path)
            names = set(self._zip.namelist())
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            self._zip, names = None, set()
        if self._zip is None or "header.json" not in names:
            self._entries = _scan_entries(path)
        header = parse_line(self._read("header.json") or b"")
        if not header or not isinstance(header.get("header"), dict):
            raise InputError("log is damaged: its header is missing or incomplete", Location(path))
        self._header = {"version": header.get("version", 0), **header["header"]}

    def _names(self) -> list[str]:
        if self._entries is not None:
            return list(self._entries)
        assert self._zip is not None
        return self._zip.namelist()

    def _read(self, name: str) -> bytes | None:
        if self._entries is not None:
            return self._entries.get(name)
        assert self._zip is not None
        try:
            return self._zip.read(name)
        except KeyError:
            return None
        except (zipfile.BadZipFile, zlib.error, OSError):
            return None

    def header(self) -> dict[str, Any]:
        return self._header

    def summary(self) -> dict[str, Any] | None:
        data = self._read("summary.json")
        return parse_line(data) if data else None

    def _lines(self, prefix: str) -> Iterator[bytes]:
        for name in sorted(n for n in self._names() if n.startswith(prefix)):
            data = self._read(name)
            if data:
                yield from data.splitlines()

    def iter_dataset(self) -> Iterator[dict[str, Any]]:
        return (row for _, row in parse_lines(self._lines("dataset/")))

    def iter_samples_raw(self) -> Iterator[tuple[bytes, dict[str, Any]]]:
        return parse_lines(self._lines("samples/"))

    def count_samples(self) -> int:
        if self._zip is not None:
            total = 0
            for info in self._zip.infolist():
                if info.filename.startswith("samples/"):
                    comment = info.comment.decode(errors="replace")
                    if not comment.startswith("n="):
                        return sum(1 for _ in self.iter_samples_raw())
                    total += int(comment[2:])
            return total
        return sum(1 for _ in self.iter_samples_raw())

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


_LOCAL = struct.Struct("<4sHHHHHIIIHH")


def _scan_entries(path: Path) -> dict[str, bytes]:
    """Every complete entry of a zip whose end is missing or damaged, in order."""
    entries: dict[str, bytes] = {}
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read log: {exc.strerror or exc}", Location(path)) from None
    offset = 0
    while offset + _LOCAL.size <= len(data):
        fields = _LOCAL.unpack_from(data, offset)
        signature, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = fields
        if signature != b"PK\x03\x04" or flags & 0x08:
            break
        start = offset + _LOCAL.size
        name = data[start : start + name_len].decode("utf-8", errors="replace")
        body = start + name_len + extra_len
        raw = data[body : body + csize]
        if len(raw) != csize:
            break
        try:
            content = zlib.decompress(raw, -15) if method == zipfile.ZIP_DEFLATED else raw
        except zlib.error:
            break
        if len(content) != usize or zlib.crc32(content) != crc:
            break
        entries[name] = content
        offset = body + csize
    return entries
