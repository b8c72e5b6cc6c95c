"""The viewer's sample rows: every row of a log kept in memory, so that a page of a
100,000-sample log is a slice of a list rather than a read of the log.

A log's rows are read in slices of at most `READ_SLICE` seconds: a request reads one
slice and answers from the rows read so far (`complete` says whether that is all of
them, and the front-end asks again until it is), and the newest logs are read slice by
slice in the background from start-up, so no request waits for a whole big log. Each
request first compares the file's size and modification time with what was read, and
reads only the lines written since: a log being written shows new samples without a
restart. A query (a filter and a sort) is answered once per state of the rows and kept,
so the next page of the same query is a slice. A few logs are kept, the least recently
used dropped.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

from evalrun.rows._samples import Row, RowQuery, read_rows

#: logs whose rows are kept in memory (~90 MB for 100,000 samples)
KEPT_LOGS = 4
#: queries kept per log
KEPT_QUERIES = 16
#: the longest a request reads a log for before it answers with the rows read so far
READ_SLICE = 0.05
#: the pause between two slices of a background read
YIELD = 0.005


class LogRows:
    """Every sample row of one log, in the log's order, each (id, epoch) once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows: list[Row] = []
        #: scorer names, in the order first seen
        self.scorers: dict[str, None] = {}
        #: the log's status as its summary says (`started` while it has none)
        self.status = "started"
        #: every line written so far is read
        self.complete = False
        #: lines that could not be read, by number
        self.damaged: list[int] = []
        self.lock = threading.Lock()
        self._seen: set[tuple[str, int]] = set()
        self._read = 0
        self._stamp: tuple[int, int] | None = None
        self._answers: OrderedDict[RowQuery, tuple[int, list[Row]]] = OrderedDict()
        #: each id's line numbers among the log's sample lines (1-based)
        self._by_id: dict[str, list[int]] = {}

    @property
    def live(self) -> bool:
        """More rows may come: the log is not read to its end yet, or it has no summary
        (being written, or its run was killed)."""
        return not self.complete or self.status == "started"

    def refresh(self) -> None:
        """Read what was written since the last read, for at most `READ_SLICE` seconds;
        a file that shrank was replaced: read again from the start. Call under `lock`.
        An `InputError` when the file is not a readable log."""
        from evalrun.log import open_log

        info = os.stat(self.path)
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp == self._stamp and self.complete:
            return
        if self._stamp is not None and info.st_size < self._stamp[1]:
            self._reset()
        deadline = time.monotonic() + READ_SLICE
        reader = open_log(self.path)
        try:
            resumed_at = reader.header().get("started_at")
            start = self._read
            finished = True
            for number, row in read_rows(
                self._counted(reader.sample_lines_after(start)),
                resumed_at,
                self._seen,
                self.damaged.append,
                first=start + 1,
            ):
                self.rows.append(row)
                self._by_id.setdefault(str(row.id), []).append(number)
                for name in row.scores:
                    if name not in self.scorers:
                        self.scorers[name] = None
                if not number & 255 and time.monotonic() > deadline:
                    finished = False
                    break
            self.complete = finished
            summary = reader.summary()
            self.status = str(summary.get("status")) if summary else "started"
            if reader.damage and self.status == "started":
                self._reset()  # a part read while being written: read it all again next time
                return
        finally:
            reader.close()
        self._stamp = stamp

    def _reset(self) -> None:
        lock = self.lock
        self.__init__(self.path)  # type: ignore[misc]
        self.lock = lock

    def _counted(self, lines: Iterator[bytes]) -> Iterator[bytes]:
        for line in lines:
            self._read += 1
            yield line

    def select(self, query: RowQuery) -> list[Row]:
        """The rows `query` keeps, in its order: answered once per state of the rows."""
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

    def lines_of(self, sample_id: str) -> list[int]:
        """The line numbers of `sample_id`'s records among the rows read so far."""
        return self._by_id.get(sample_id, [])

    def ids(self) -> list[str]:
        """The ids of the rows read so far, each once."""
        return list(self._by_id)


class RowCache:
    """The `LogRows` of the logs asked for lately, up to `KEPT_LOGS`."""

    def __init__(self) -> None:
        self._logs: OrderedDict[Path, LogRows] = OrderedDict()
        self._lock = threading.Lock()
        #: logs being read to their end by a thread of `warm`
        self._reading: set[Path] = set()

    def get(self, path: Path) -> LogRows:
        """The rows of `path` (not refreshed: hold its `lock` and call `refresh`)."""
        with self._lock:
            rows = self._logs.get(path)
            if rows is None:
                rows = self._logs[path] = LogRows(path)
            self._logs.move_to_end(path)
            while len(self._logs) > KEPT_LOGS:
                self._logs.popitem(last=False)
        return rows

    def reading(self, path: Path) -> bool:
        """A thread of `warm` is reading `path` (a request need not read it too)."""
        with self._lock:
            return path in self._reading

    def warm(self, paths: list[Path]) -> None:
        """Read these logs' rows to their end in a background thread, a slice at a time
        (a request meanwhile waits at most a slice for the lock); a log already being
        read so is left to its thread."""
        with self._lock:
            paths = [p.resolve() for p in paths if p.resolve() not in self._reading]
            self._reading.update(paths)
        if not paths:
            return

        def read() -> None:
            for path in paths:
                rows = self.get(path)
                try:
                    while True:
                        with rows.lock:
                            rows.refresh()
                            if rows.complete:
                                break
                        time.sleep(YIELD)  # (a lock is not fair: let a waiting request in)
                except Exception:  # an unreadable log: its request says why
                    pass
                finally:
                    with self._lock:
                        self._reading.discard(path)

        threading.Thread(target=read, name="evalrun-view-read", daemon=True).start()
