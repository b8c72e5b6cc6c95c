"""What every log format provides: a streaming writer and a streaming reader."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

#: compact, UTF-8 JSON for log entries (one encoder, reused: it is on the hot path)
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


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
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
