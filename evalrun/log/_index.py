"""The job index: every run of a log dir, grouped into jobs, in SQLite beside the logs.

`<log_dir>/.evalrun-index.sqlite` holds one row per run (its log's path relative to the
dir, task, model, job, status, counts, cost, error, scores, thresholds) and one per job
(name, description, metadata, created). The engine updates it as each unit starts and
ends (`run_started`, `run_finished`); `reindex` rebuilds it from the logs alone, which
stay the truth: an index that cannot be written never fails a run, and an index that
was deleted, or written by an older evalrun, is rebuilt by the first reader.

Several processes may run into one log dir at once: the database is in WAL mode (readers
never wait for writers), every write is one short `BEGIN IMMEDIATE` transaction, and a
writer waits for another's lock (`busy_timeout`) instead of failing.

A job is named by its runs' headers (`job`: `--job`, an eval-set's name, or one per
`eval` invocation, see `default_job_name`); its id is the first 8 hex digits of the
name's sha256, the same wherever and whenever the index is built. Its status comes from
its runs: `running` when any is started, else `error`, else `cancelled` when any is, else
`success`. Only the latest run of an evaluation counts for the status and the sample
counts (an eval-retry supersedes the run it resumed); the cost is every run's.

This module imports nothing heavy: `evalrun jobs list` reads the index without the log
schema (`reindex` reads logs with `evalrun.log._open`, imported when it runs).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from evalrun.log._open import LogSummary

INDEX_FILE = ".evalrun-index.sqlite"
#: bump when the tables change: an index of another version is rebuilt from the logs
SCHEMA_VERSION = 2
#: a job's statuses, as `jobs list --status` takes them
JOB_STATUSES = ("running", "success", "error", "cancelled")
#: milliseconds a writer waits for another process's write lock
BUSY_TIMEOUT_MS = 10_000

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL,
        -- its runs' aggregates, kept up to date by every write (see `_refresh`)
        status TEXT NOT NULL DEFAULT 'running',
        runs INTEGER NOT NULL DEFAULT 0,
        samples_done INTEGER NOT NULL DEFAULT 0,
        samples_total INTEGER NOT NULL DEFAULT 0,
        errors INTEGER NOT NULL DEFAULT 0,
        cost REAL,
        latest_error TEXT,
        models TEXT NOT NULL DEFAULT '[]',
        tasks TEXT NOT NULL DEFAULT '[]',
        updated TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE IF NOT EXISTS runs (
        path TEXT PRIMARY KEY,
        job_id TEXT NOT NULL,
        run_id TEXT NOT NULL,
        eval_id TEXT NOT NULL,
        task TEXT NOT NULL,
        model TEXT NOT NULL,
        status TEXT NOT NULL,
        total INTEGER NOT NULL,
        completed INTEGER NOT NULL,
        errored INTEGER NOT NULL,
        cost REAL,
        error TEXT,
        scores TEXT NOT NULL DEFAULT '[]',
        thresholds TEXT NOT NULL DEFAULT '[]',
        created TEXT NOT NULL,
        started_at REAL NOT NULL,
        updated TEXT NOT NULL,
        latest INTEGER NOT NULL DEFAULT 1
    )""",
    "CREATE INDEX IF NOT EXISTS runs_job ON runs(job_id)",
    "CREATE INDEX IF NOT EXISTS runs_eval ON runs(eval_id)",
    "CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created DESC, name)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

_RUN_COLUMNS = (
    "path",
    "job_id",
    "run_id",
    "eval_id",
    "task",
    "model",
    "status",
    "total",
    "completed",
    "errored",
    "cost",
    "error",
    "scores",
    "thresholds",
    "created",
    "started_at",
    "updated",
)
_UPSERT_RUN = (
    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' * len(_RUN_COLUMNS))}) "
    "ON CONFLICT(path) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _RUN_COLUMNS[1:])
    # a run that ended is never set back to started (a reindex that read its log
    # before it closed, writing after the engine recorded its end)
    + " WHERE runs.status = 'started' OR excluded.status != 'started'"
)


def job_id(name: str) -> str:
    """A job's id: the first 8 hex digits of its name's sha256 (stable across rebuilds)."""
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def default_job_name(tasks: Sequence[str], when: datetime | None = None) -> str:
    """The job of an `eval` invocation given no `--job`: `eval arithmetic+2 2026-11-26T04:34:52 9f3a`
    (its first task, how many more, when, and 4 random hex digits so that two invocations
    in the same second are two jobs)."""
    first = tasks[0] if tasks else "tasks"
    more = f"+{len(tasks) - 1}" if len(tasks) > 1 else ""
    stamp = (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S")
    return f"eval {first}{more} {stamp} {os.urandom(2).hex()}"


def _job_of(header: dict[str, Any]) -> str:
    """The job a run belongs to: its header's; a log written without one (before jobs,
    or by a caller of the engine that set none) is a job of its evaluation's runs."""
    job = header.get("job")
    if job:
        return str(job)
    return f"{header.get('task')} {str(header.get('eval_id') or header.get('run_id'))[:8]}"


def _job_metadata(header: dict[str, Any]) -> dict[str, Any]:
    """The job's metadata: the run's `--metadata` (not the task file's own)."""
    run_config = header.get("run_config") or {}
    metadata = run_config.get("metadata") if isinstance(run_config, dict) else None
    return dict(metadata) if isinstance(metadata, dict) else {}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


class JobIndex:
    """The job index of one log dir. Writers (`run_started`, `run_finished`) never raise:
    the logs are the truth, and an index that cannot be written is rebuilt later. Readers
    (`jobs`, `job`, `runs`) rebuild an index that is missing or stale before reading."""

    _open: ClassVar[dict[tuple[int, str], JobIndex]] = {}
    _open_lock = threading.Lock()

    def __init__(self, folder: Path | str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / INDEX_FILE
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @classmethod
    def for_dir(cls, folder: Path | str) -> JobIndex:
        """The index of `folder`, one per process (its connection is kept open)."""
        key = (os.getpid(), os.path.abspath(folder))  # a forked child opens its own
        with cls._open_lock:
            index = cls._open.get(key)
            if index is None:
                index = cls._open[key] = cls(folder)
            return index

    # --- connection --------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._retry_locked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
            conn.execute("PRAGMA synchronous = NORMAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                self._create(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    @staticmethod
    def _retry_locked(call: Any) -> Any:
        """Switching to WAL takes the whole file for a moment: wait for it when another
        process opens the index at the same instant."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return call()
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _create(self, conn: sqlite3.Connection) -> None:
        """The tables of this version (those of another version dropped: a reader
        rebuilds them from the logs)."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                if version != 0:
                    for table in ("runs", "jobs", "meta"):
                        conn.execute(f"DROP TABLE IF EXISTS {table}")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction (`BEGIN IMMEDIATE`: the write lock is taken at
        once, or waited for, so it never fails half way on another writer)."""
        with self._lock:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        with self._open_lock:
            for key, index in list(self._open.items()):
                if index is self:
                    del self._open[key]

    # --- writing -----------------------------------------------------------------

    def run_started(self, path: Path | str, header: dict[str, Any]) -> None:
        """A unit opened its log at `path` with `header`. Never raises."""
        self._record_quietly(path, header, None)

    def run_finished(
        self, path: Path | str, header: dict[str, Any], summary: dict[str, Any]
    ) -> None:
        """A unit closed its log with `summary` (status, results, stats, error, as the log
        holds them). Never raises."""
        self._record_quietly(path, header, summary)

    def _record_quietly(
        self, path: Path | str, header: dict[str, Any], summary: dict[str, Any] | None
    ) -> None:
        try:
            row = _row(self._relative(path), header, summary)
            with self._write() as conn:
                _upsert(conn, row, header)
                _mark_latest(conn, [row["eval_id"]])
                _refresh(conn, _jobs_of(conn, [row["eval_id"]], [row["job_id"]]))
        except Exception:  # the log is the truth; `jobs reindex` rebuilds what was lost
            return

    def record(
        self, entries: Sequence[tuple[Path | str, dict[str, Any], dict[str, Any] | None]]
    ) -> None:
        """Many runs at once, as (path, header, summary or None while running), in one
        transaction (raises, unlike the engine's calls: for rebuilding and benchmarks)."""
        rows = [(_row(self._relative(p), h, s), h) for p, h, s in entries]
        with self._write() as conn:
            for row, header in rows:
                _upsert(conn, row, header)
            evals = sorted({row["eval_id"] for row, _ in rows})
            _mark_latest(conn, evals)
            _refresh(conn, _jobs_of(conn, evals, [row["job_id"] for row, _ in rows]))

    def mark_indexed(self) -> None:
        """Record that the index holds every log of the dir, so that readers do not rebuild
        it (for tools and benchmarks that filled it with `record` themselves)."""
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('indexed', ?)", (_now(),))

    def reindex(self) -> tuple[int, list[str]]:
        """Rebuild the index from the logs in the dir: (runs indexed, logs skipped with why).

        Logs are read before the write lock is taken; runs whose log is gone are dropped,
        and a run the engine recorded as ended is not set back to started by a log read
        just before it closed.
        """
        from evalrun.errors import InputError
        from evalrun.log._open import find_logs, read_summary

        summaries: list[LogSummary] = []
        skipped: list[str] = []
        for path in find_logs(self.folder):
            try:
                summaries.append(read_summary(path))
            except InputError as exc:
                skipped.append(str(exc))
        summaries.sort(key=lambda s: (s.header.started_at or 0.0, s.header.created, s.path.name))
        rows = [(_summary_row(self._relative(s.path), s), _header_dict(s)) for s in summaries]
        with self._write() as conn:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS seen (path TEXT PRIMARY KEY)")
            conn.execute("DELETE FROM seen")
            conn.executemany(
                "INSERT OR IGNORE INTO seen VALUES (?)", [(r["path"],) for r, _ in rows]
            )
            conn.execute("DELETE FROM runs WHERE path NOT IN (SELECT path FROM seen)")
            for row, header in rows:
                _upsert(conn, row, header)
            conn.execute("DELETE FROM jobs WHERE id NOT IN (SELECT job_id FROM runs)")
            conn.execute(
                "UPDATE jobs SET created = (SELECT MIN(created) FROM runs WHERE job_id = jobs.id)"
            )
            _mark_latest(conn, None)
            _refresh(conn, None)
            conn.execute("DELETE FROM seen")
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('indexed', ?)", (_now(),))
        return len(rows), skipped

    def _relative(self, path: Path | str) -> str:
        path = Path(path)
        try:
            return os.path.relpath(path, self.folder)
        except ValueError:  # another drive (Windows)
            return str(path)

    # --- reading -----------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        """The connection for a query, the index rebuilt first when it never was (a
        deleted index, an older version's, or one only the engine wrote so far in a dir
        that already held logs)."""
        from evalrun.errors import InputError, Location

        if not self.folder.is_dir():
            raise InputError("log folder not found", Location(self.folder))
        with self._lock:
            conn = self._connect()
            if conn.execute("SELECT 1 FROM meta WHERE key = 'indexed'").fetchone() is None:
                self.reindex()
            return conn

    def jobs(
        self,
        *,
        status: str | None = None,
        search: str | None = None,
        model: str | None = None,
        task: str | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of jobs, newest first, and how many match: each a dict of the job's
        fields and its runs' aggregates (status, models, tasks, samples, errors, cost,
        latest error). A query on the jobs' rows alone, by the index on `created`."""
        conn = self._reader()
        where, params = [], []
        if status:
            where.append("status = ?")
            params.append(status)
        if search:
            like = _like(search)
            where.append(
                "(name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\'"
                " OR metadata LIKE ? ESCAPE '\\')"
            )
            params += [like, like, like]
        for column, value in (("models", model), ("tasks", task)):
            if value:  # (a JSON list of names: text in any of them)
                where.append(f"{column} LIKE ? ESCAPE '\\'")
                params.append(_like(value))
        clause = ("WHERE " + " AND ".join(where)) if where else ""
        with self._lock:
            jobs = _dicts(
                conn.execute(
                    f"SELECT * FROM jobs {clause} ORDER BY created DESC, name LIMIT ? OFFSET ?",
                    [*params, page_size, (page - 1) * page_size],
                )
            )  # (the page by the index on `created`; a window count would sort every job)
            total = conn.execute(f"SELECT COUNT(*) FROM jobs {clause}", params).fetchone()[0]
        return [_decoded(job) for job in jobs], total

    def job(self, key: str) -> dict[str, Any] | None:
        """One job by id (or a unique start of one, of 4 digits or more) or name, None
        when there is none."""
        conn = self._reader()
        with self._lock:
            jobs = _dicts(conn.execute("SELECT * FROM jobs WHERE id = ? OR name = ?", (key, key)))
            if not jobs and len(key) >= 4:
                jobs = _dicts(
                    conn.execute(
                        "SELECT * FROM jobs WHERE id LIKE ? ESCAPE '\\'",
                        (_like(key.lower(), start=True),),
                    )
                )
        return _decoded(jobs[0]) if len(jobs) == 1 else None

    def all_runs(self) -> list[dict[str, Any]]:
        """Every run of the dir, newest first, each with its job's name as `job` (and
        scores and thresholds decoded): the viewer's runs list."""
        conn = self._reader()
        with self._lock:
            rows = _dicts(
                conn.execute(
                    "SELECT runs.*, jobs.name AS job FROM runs JOIN jobs ON jobs.id = runs.job_id"
                    " ORDER BY runs.created DESC, runs.path"
                )
            )
        for row in rows:
            row["scores"] = json.loads(row["scores"])
            row["thresholds"] = json.loads(row["thresholds"])
            row["latest"] = bool(row["latest"])
        return rows

    def runs(self, job: str) -> list[dict[str, Any]]:
        """A job's runs (by its id), in the order they started, each with its scores and
        thresholds (decoded), `latest` (False when a later eval-retry superseded it)."""
        conn = self._reader()
        with self._lock:
            rows = _dicts(
                conn.execute(
                    "SELECT * FROM runs WHERE job_id = ? ORDER BY started_at, path", (job,)
                )
            )
        for row in rows:
            row["scores"] = json.loads(row["scores"])
            row["thresholds"] = json.loads(row["thresholds"])
            row["latest"] = bool(row["latest"])
        return rows


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _row(path: str, header: dict[str, Any], summary: dict[str, Any] | None) -> dict[str, Any]:
    """A run's row from its header and (once it ended) its summary, as the log holds them."""
    summary = summary or {}
    results = summary.get("results") or {}
    stats = summary.get("stats") or {}
    error = summary.get("error") or {}
    total = int(header.get("samples") or 0) * int(header.get("epochs") or 1)
    scored = results.get("scored_samples")
    errored = int(results.get("errored_samples") or 0)
    completed = results.get("completed_samples")
    if scored is not None:
        completed = int(scored) + errored
    return {
        **_header_row(path, header),
        "status": summary.get("status") or "started",
        "total": int(results.get("total_samples") or total),
        "completed": int(completed or 0),
        "errored": errored,
        "cost": stats.get("cost"),
        "error": error.get("message"),
        "scores": _dumps(results.get("scores") or []),
        "thresholds": _dumps(results.get("thresholds") or []),
        "updated": stats.get("completed_at") or header.get("created") or _now(),
    }


def _header_row(path: str, header: dict[str, Any]) -> dict[str, Any]:
    created = str(header.get("created") or _now())
    started_at = header.get("started_at")
    if not isinstance(started_at, int | float):
        try:
            started_at = datetime.fromisoformat(created).timestamp()
        except ValueError:
            started_at = 0.0
    return {
        "path": path,
        "job_id": job_id(_job_of(header)),
        "run_id": str(header.get("run_id") or ""),
        "eval_id": str(header.get("eval_id") or header.get("run_id") or path),
        "task": str(header.get("task") or ""),
        "model": str(header.get("model") or ""),
        "created": created,
        "started_at": float(started_at),
    }


def _header_dict(summary: LogSummary) -> dict[str, Any]:
    return summary.header.model_dump(mode="json")


def _summary_row(path: str, summary: LogSummary) -> dict[str, Any]:
    """A run's row from a log read from disk (`read_summary`): the same as the engine
    records for a run that ended; for one that never did, its readable records counted."""
    header = _header_dict(summary)
    results = summary.results
    counts = summary.counts
    stats = summary.stats or {}
    return {
        **_header_row(path, header),
        "status": summary.status,
        "total": counts.total or summary.total,
        "completed": counts.completed,
        "errored": counts.errored,
        "cost": stats.get("cost"),
        "error": (summary.error or {}).get("message"),
        "scores": _dumps(
            [s.model_dump(mode="json", exclude_unset=True) for s in results.scores]
            if results
            else []
        ),
        "thresholds": _dumps(
            [t.model_dump(mode="json", exclude_unset=True) for t in results.thresholds]
            if results
            else []
        ),
        "updated": stats.get("completed_at") or header.get("created") or _now(),
    }


def _upsert(conn: sqlite3.Connection, row: dict[str, Any], header: dict[str, Any]) -> None:
    """The run's row, and its job's: created the first time, then its created time the
    earliest of its runs', its metadata merged (keys it has keep their values)."""
    name = _job_of(header)
    metadata = _job_metadata(header)
    found = conn.execute(
        "SELECT metadata, description, created FROM jobs WHERE id = ?", (row["job_id"],)
    ).fetchone()
    if found is None:
        conn.execute(
            "INSERT INTO jobs (id, name, description, metadata, created) VALUES (?, ?, ?, ?, ?)",
            (
                row["job_id"],
                name,
                str(metadata.get("description") or ""),
                _dumps(metadata),
                row["created"],
            ),
        )
    else:
        known = json.loads(found[0])
        merged = {**metadata, **known}
        description = found[1] or str(merged.get("description") or "")
        created = min(found[2], row["created"])
        if merged != known or description != found[1] or created != found[2]:
            conn.execute(
                "UPDATE jobs SET metadata = ?, description = ?, created = ? WHERE id = ?",
                (_dumps(merged), description, created, row["job_id"]),
            )
    conn.execute(_UPSERT_RUN, [row[c] for c in _RUN_COLUMNS])


def _mark_latest(conn: sqlite3.Connection, eval_ids: Sequence[str] | None) -> None:
    """`latest` is 1 for the last run of each evaluation to start (by its header's
    `started_at`), 0 for the runs it superseded; for these evaluations (None: all)."""
    update = (
        "UPDATE runs SET latest = (started_at >= (SELECT MAX(r.started_at) FROM runs r"
        " WHERE r.eval_id = runs.eval_id))"
    )
    if eval_ids is None:
        conn.execute(update)
    else:
        conn.executemany(update + " WHERE eval_id = ?", [(e,) for e in eval_ids])


def _jobs_of(conn: sqlite3.Connection, eval_ids: Sequence[str], also: Sequence[str]) -> list[str]:
    """The jobs whose aggregates a write changed: those written, and those of runs of
    the same evaluations (whose `latest` may have changed)."""
    found = set(also)
    for chunk in _chunks(list(eval_ids)):
        marks = ", ".join("?" * len(chunk))
        found.update(
            r[0]
            for r in conn.execute(
                f"SELECT DISTINCT job_id FROM runs WHERE eval_id IN ({marks})", chunk
            )
        )
    return sorted(found)


def _refresh(conn: sqlite3.Connection, job_ids: Sequence[str] | None) -> None:
    """Recompute the aggregates of these jobs (None: all) from their runs, and drop the
    jobs left without any: status (`running` when a latest run is started, else `error`,
    else `cancelled`, else `success`), runs, samples done / total and errors (latest runs),
    cost (every run's), latest error, models, tasks, updated."""
    if job_ids is None:
        job_ids = [r[0] for r in conn.execute("SELECT id FROM jobs")]
    for chunk in _chunks(list(job_ids)):
        marks = ", ".join("?" * len(chunk))
        found: dict[str, dict[str, Any]] = {}
        for (
            job,
            status,
            latest,
            total,
            completed,
            errored,
            cost,
            error,
            model,
            task,
            updated,
        ) in conn.execute(
            "SELECT job_id, status, latest, total, completed, errored, cost, error, model, task,"
            f" updated FROM runs WHERE job_id IN ({marks}) ORDER BY updated, started_at, path",
            chunk,
        ):
            agg = found.setdefault(
                job,
                {"statuses": set(), "runs": 0, "done": 0, "total": 0, "errors": 0, "cost": None,
                 "error": None, "models": set(), "tasks": set(), "updated": ""},
            )  # fmt: skip
            agg["runs"] += 1
            agg["models"].add(model)
            agg["tasks"].add(task)
            agg["updated"] = max(agg["updated"], updated)
            if cost is not None:
                agg["cost"] = (agg["cost"] or 0.0) + cost
            if latest:
                agg["statuses"].add(status)
                agg["done"] += completed
                agg["total"] += total
                agg["errors"] += errored
                if error is not None:
                    agg["error"] = error  # the last one to end wins
        conn.executemany(
            "UPDATE jobs SET status = ?, runs = ?, samples_done = ?, samples_total = ?,"
            " errors = ?, cost = ?, latest_error = ?, models = ?, tasks = ?, updated = ?"
            " WHERE id = ?",
            [
                (
                    _job_status(agg["statuses"]),
                    agg["runs"],
                    agg["done"],
                    agg["total"],
                    agg["errors"],
                    None if agg["cost"] is None else round(agg["cost"], 6),
                    agg["error"],
                    _dumps(sorted(agg["models"])),
                    _dumps(sorted(agg["tasks"])),
                    agg["updated"],
                    job,
                )
                for job, agg in found.items()
            ],
        )
        empty = [job for job in chunk if job not in found]
        if empty:
            conn.execute(f"DELETE FROM jobs WHERE id IN ({', '.join('?' * len(empty))})", empty)


def _job_status(statuses: set[str]) -> str:
    for status, shown in (("started", "running"), ("error", "error"), ("cancelled", "cancelled")):
        if status in statuses:
            return shown
    return "success"


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _like(text: str, *, start: bool = False) -> str:
    """A LIKE pattern for `text` as it is (its `%` and `_` escaped with `\\`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%" if start else "%" + escaped + "%"


def _dicts(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def _decoded(job: dict[str, Any]) -> dict[str, Any]:
    for key in ("metadata", "models", "tasks"):
        job[key] = json.loads(job[key])
    return job
