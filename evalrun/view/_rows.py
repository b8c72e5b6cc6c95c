"""The viewer's sample rows: every row of a log kept in memory, so that a page of a
100,000-sample log is a slice of a list rather than a read of the log.

A log's rows are read once, on its first page, in one pass over its raw records
(`evalrun.rows._samples`), then grown: each request first compares the file's size and
modification time with what was read, and reads only the lines written since (a log
being written shows new samples on the next request, without a restart). A query (a
filter and a sort) is answered once per state of the log and kept, so the next page of
the same query is a slice. A few logs are kept, the least recently used dropped.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from evalrun.rows._samples import Row, RowQuery, read_rows

#: logs whose rows are kept in memory (~100 MB for 100,000 samples)
KEPT_LOGS = 4
#: queries kept per log
KEPT_QUERIES = 16


class LogRows:
    """Every sample row of one log, in the log's order, each (id, epoch) once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[Row] = []
        #: scorer names, in the order first seen
        self.scorers: dict[str, None] = {}
        #: the log's status as its summary says (`started` while it has none)
        self.status = "started"
        #: lines that could not be read, by number
        self.damaged: list[int] = []
        self.lock = threading.Lock()
        self._seen: set[tuple[str, int]] = set()
        self._lines = 0
        self._stamp: tuple[int, int] | None = None
        self._answers: OrderedDict[RowQuery, tuple[int, list[Row]]] = OrderedDict()

    @property
    def live(self) -> bool:
        """The log has no summary yet: being written (or its run was killed)."""
        return self.status == "started"

    def refresh(self) -> None:
        """Read what was written since the last read (nothing when the file is as it
        was); a file that shrank was replaced: read again from the start. Call under
        `lock`. An `InputError` when the file is not a readable log."""
        from evalrun.log import open_log

        info = os.stat(self.path)
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self._stamp:
            return
        if self._stamp is not None and info.st_size < self._stamp[1]:
            self.__init__(self.path)  # type: ignore[misc]
        reader = open_log(self.path)
        try:
            resumed_at = reader.header().get("started_at")
            start = self._lines
            for row in read_rows(
                self._counted(reader.sample_lines_after(start)),
                resumed_at,
                self._seen,
                self.damaged.append,
                first=start + 1,
            ):
                self.rows.append(row)
                for name in row.scores:
                    if name not in self.scorers:
                        self.scorers[name] = None
            summary = reader.summary()
            self.status = str(summary.get("status")) if summary else "started"
            if reader.damage and self.live:
                # a part read while being written: read the whole log again next time
                self._stamp = None
                self.__init__(self.path)  # type: ignore[misc]
                return
        finally:
            reader.close()
        self._stamp = stamp

    def _counted(self, lines: Iterator[bytes]) -> Iterator[bytes]:
        for line in lines:
            self._lines += 1
            yield line

    def select(self, query: RowQuery) -> list[Row]:
        """The rows `query` keeps, in its order: answered once per state of the log."""
        known = self._answers.get(query)
        if known is not None and known[0] == len(self.rows):
            self._answers.move_to_end(query)
            return known[1]
        rows = self.rows
        if query.filters:
            rows = [row for row in rows if query.keeps(row)]
        if query.ordering is not None:
            query.check_scorers(self.scorers)
            _, descending, key = query.ordering
            rows = sorted(rows, key=key, reverse=descending)
        self._answers[query] = (len(self.rows), rows)
        while len(self._answers) > KEPT_QUERIES:
            self._answers.popitem(last=False)
        return rows


class RowCache:
    """The `LogRows` of the logs asked for lately, up to `KEPT_LOGS`."""

    def __init__(self) -> None:
        self._logs: OrderedDict[Path, LogRows] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> LogRows:
        """The rows of `path`, refreshed; hold its `lock` while reading them."""
        with self._lock:
            rows = self._logs.get(path)
            if rows is None:
                rows = self._logs[path] = LogRows(path)
            self._logs.move_to_end(path)
            while len(self._logs) > KEPT_LOGS:
                self._logs.popitem(last=False)
        return rows

    def warm(self, paths: list[Path]) -> None:
        """Read these logs' rows in a background thread (a request for one of them
        meanwhile waits for its read rather than reading it twice)."""

        def read() -> None:
            for path in paths:
                rows = self.get(path.resolve())
                with rows.lock:
                    try:
                        rows.refresh()
                    except Exception:  # an unreadable log: its request will say why
                        continue

        threading.Thread(target=read, name="evalrun-view-warm", daemon=True).start()
