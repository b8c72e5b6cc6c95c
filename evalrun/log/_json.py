"""The JSON log writer: streams samples to disk as they finish.

Each sample is written on its own line and the file is flushed at least every
`flush_interval` seconds, so a crash loses at most that much work, and a reader can
recover everything up to the last complete line.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from evalrun.log._schema import LOG_VERSION

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


class JsonLogWriter:
    def __init__(
        self,
        path: Path,
        header: dict[str, Any],
        dataset: Iterable[dict[str, Any]],
        *,
        flush_interval: float = 0.5,
    ) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self._flush_interval = flush_interval
        self._first = True
        self._last_flush = time.monotonic()
        write = self._file.write
        write(f'{{"version": {LOG_VERSION},\n"header": {_dumps(header)},\n"dataset": [')
        first = True
        for row in dataset:
            write(("\n" if first else ",\n") + _dumps(row))
            first = False
        write('\n],\n"samples": [')
        self._sync()

    def write_sample(self, sample: dict[str, Any]) -> None:
        self._file.write(("\n" if self._first else ",\n") + _dumps(sample))
        self._first = False
        if time.monotonic() - self._last_flush >= self._flush_interval:
            self._sync()

    def flush(self) -> None:
        self._sync()

    def close(
        self,
        status: str,
        results: dict[str, Any] | None,
        stats: dict[str, Any],
        error: dict[str, Any] | None,
    ) -> None:
        self._file.write(
            f'\n],\n"status": {_dumps(status)},\n"results": {_dumps(results)},\n'
            f'"stats": {_dumps(stats)},\n"error": {_dumps(error)}}}\n'
        )
        self._sync()
        self._file.close()

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._last_flush = time.monotonic()
