"""Sample rows: what `evalrun log samples` and the viewer's samples page show of one
sample x epoch (id, epoch, scores, answer, error kind, tokens, time, cached / reused; an
agent's turns, tool errors and why its loop ended),
built from a log's raw records without validating them against the schema (three times
faster than building `EvalSample`s, and a row needs none of the messages).

`select_rows` streams a log into rows, filtered and sorted, keeping only what it
returns; the viewer keeps every row of a log in memory instead (`evalrun.view._rows`)
and filters and sorts them with the same `RowQuery`.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalrun.errors import InputError
from evalrun.strict import suggest

if TYPE_CHECKING:
    from evalrun.expr import Expression

#: sort keys besides `score.NAME`
SORT_KEYS = ("id", "epoch", "tokens", "time", "turns")


@dataclass(slots=True)
class Row:
    """What the table and `--json` show of one sample x epoch."""

    id: str | int
    epoch: int
    scores: dict[str, Any]
    answer: str | None
    error: str | None
    error_message: str | None
    limit: str | None
    tokens: int
    time: float
    cached: bool
    reused: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    #: errored, or some score not correct (a value other than `C` / 1)
    failed: bool = False
    #: an agent's trajectory: model turns, tool calls that failed, why it ended (None
    #: for a sample no `agent` step ran)
    turns: int | None = None
    tool_errors: int | None = None
    end: str | None = None

    def flat(self) -> dict[str, Any]:
        """The row as `--where` sees it (`score.NAME`, `metadata.KEY`, as `results`)."""
        return {
            "id": self.id,
            "epoch": self.epoch,
            "answer": self.answer,
            "error": self.error,
            "limit": self.limit,
            "tokens": self.tokens,
            "time": self.time,
            "cached": self.cached,
            "reused": self.reused,
            "metadata": self.metadata,
            "score": self.scores,
            "turns": self.turns,
            "tool_errors": self.tool_errors,
            "end": self.end,
        }

    def to_json(self) -> dict[str, Any]:
        """The row's fields; an agent's (`turns`, `tool_errors`, `end`) only when it has a
        trajectory (rows of other tasks are as they were)."""
        data = {
            "id": self.id,
            "epoch": self.epoch,
            "scores": self.scores,
            "answer": self.answer,
            "error": self.error,
            "error_message": self.error_message,
            "limit": self.limit,
            "tokens": self.tokens,
            "time": self.time,
            "cached": self.cached,
            "reused": self.reused,
            "metadata": self.metadata,
        }
        if self.turns is not None:
            data.update(turns=self.turns, tool_errors=self.tool_errors, end=self.end)
        return data


def _correct(value: Any) -> bool:
    return _score_number(value) == 1.0


_EMPTY: dict[str, Any] = {}


def _dict(value: Any) -> dict[str, Any]:
    # (records are parsed JSON: a dict test is exact, and ~5x faster than Mapping's)
    return value if isinstance(value, dict) else _EMPTY


def answer_of(record: Mapping[str, Any]) -> str | None:
    """A sample record's answer; else the first scorer's reading of it; else the
    completion."""
    answer = record.get("answer")
    if answer is not None:
        return str(answer)
    for score in _dict(record.get("scores")).values():
        if isinstance(score, dict) and score.get("answer") is not None:
            return str(score["answer"])
    completion = _dict(record.get("output")).get("completion")
    return None if completion is None else str(completion)


def row_of(record: dict[str, Any], resumed_at: float | None) -> Row:
    """A sample record (a log line, parsed) as a row; `resumed_at` is the header's
    `started_at` (a record started before it was reused from the log eval-retry
    resumed). The record's own dicts are kept, not copied: it was parsed for this row."""
    get = record.get
    error = get("error") or _EMPTY
    started = get("started_at")
    scores = {name: score.get("value") for name, score in (get("scores") or _EMPTY).items()}
    trajectory = get("trajectory")
    row = Row(
        record["id"],
        record["epoch"],
        scores,
        answer_of(record),
        error.get("kind"),
        error.get("message"),
        (get("limit") or _EMPTY).get("kind"),
        (get("usage") or _EMPTY).get("total_tokens") or 0,
        get("total_time") or 0.0,
        bool((get("output") or _EMPTY).get("cached")),
        resumed_at is not None and started is not None and started < resumed_at,
        get("metadata") or {},
        error.get("kind") is not None or not all(map(_correct, scores.values())),
    )
    if trajectory is not None:  # (a dict: `_well_formed` checked)
        turns, failed, end = (
            trajectory.get("turns"),
            trajectory.get("tool_errors"),
            trajectory.get("end"),
        )
        row.turns = turns if type(turns) is int else 0
        row.tool_errors = failed if type(failed) is int else 0
        row.end = end if type(end) is str else None
    return row


def read_rows(
    lines: Iterable[bytes],
    resumed_at: float | None,
    seen: set[tuple[str, int]],
    damaged: Callable[[int], None],
    first: int = 1,
) -> Iterator[tuple[int, Row]]:
    """The rows of sample lines with their line numbers, each (id, epoch) once (`seen` is
    shared between calls, so a log read in parts keeps the first record of each); a line
    that is not a sample record is handed to `damaged` by its number (`first` is the
    first line's)."""
    from evalrun.log._base import parse_line

    for number, line in enumerate(lines, start=first):
        record = parse_line(line)
        if record is None or "id" not in record or not isinstance(record.get("epoch"), int):
            damaged(number)
            continue
        if not _well_formed(record):
            damaged(number)
            continue
        key = (str(record["id"]), record["epoch"])
        if key in seen:
            continue
        seen.add(key)
        yield number, row_of(record, resumed_at)


_PARTS = (
    ("error", dict),
    ("limit", dict),
    ("usage", dict),
    ("output", dict),
    ("metadata", dict),
    ("trajectory", dict),
)


def _well_formed(record: dict[str, Any]) -> bool:
    """The parts a row reads are of their types (a record that passed the schema always
    is; anything else is damage, not a crash)."""
    for name, kind in _PARTS:
        value = record.get(name)
        if value is not None and not isinstance(value, kind):
            return False
    scores = record.get("scores")
    if scores is None:
        return True
    return isinstance(scores, dict) and all(isinstance(s, dict) for s in scores.values())


def sort_key(spec: str) -> tuple[str, bool, Callable[[Row], Any]]:
    """`(key, descending, key function)` for `--sort KEY` or `-KEY`; a missing value
    (a score an errored sample does not have) sorts last either way."""
    descending = spec.startswith("-")
    key = spec.removeprefix("-").strip()
    name = key.removeprefix("score.")
    if key not in SORT_KEYS and not (key.startswith("score.") and name):
        raise InputError(
            f"--sort: unknown key `{spec}`{suggest(key, [*SORT_KEYS, 'score.NAME'])} "
            f"(one of {', '.join(SORT_KEYS)}, score.NAME; -KEY for descending)"
        )

    def get(row: Row) -> Any:
        if key == "id":
            # ints in order, before text ids
            return (0, row.id, "") if isinstance(row.id, int) else (1, 0, str(row.id))
        if key in SORT_KEYS:
            return getattr(row, key)
        return _score_number(row.scores.get(name))

    def full(row: Row) -> Any:
        value = get(row)
        present = value is not None
        return (present, value) if descending else (not present, value)

    return key, descending, full


def _score_number(value: Any) -> float | None:
    """A score as a number (`C` is 1.0), None when no number stands for it; remembered
    per value (a log's scores are a handful of distinct values)."""
    if value is None or isinstance(value, dict | list):
        return None
    known = _NUMBERS.get((type(value), value))
    if known is None and (type(value), value) not in _NUMBERS:
        from evalrun.scorer._score import to_float

        try:
            known = to_float(value)
        except ValueError:
            known = None
        if len(_NUMBERS) < 10_000:
            _NUMBERS[(type(value), value)] = known
    return known


_NUMBERS: dict[tuple[type, Any], float | None] = {}


@dataclass(frozen=True)
class RowQuery:
    """Which rows to show, in which order: `--failed`, `--errors`, `--where`, `--sort`.
    Built once (the expression parsed, the sort key checked); `keeps` and `ordering`
    apply it to rows. Equal queries hash alike (the viewer keeps their answers)."""

    failed: bool = False
    errors: bool = False
    where: str | None = None
    sort: str | None = None
    expression: Expression | None = field(default=None, compare=False)
    ordering: tuple[str, bool, Callable[[Row], Any]] | None = field(default=None, compare=False)

    @classmethod
    def build(
        cls, *, failed: bool = False, errors: bool = False, where: str | None = None,
        sort: str | None = None,
    ) -> RowQuery:  # fmt: skip
        from evalrun.rows._filter import parse_where

        return cls(
            failed,
            errors,
            where or None,
            sort or None,
            parse_where(where) if where else None,
            sort_key(sort) if sort else None,
        )

    @property
    def filters(self) -> bool:
        return self.failed or self.errors or self.expression is not None

    def keeps(self, row: Row) -> bool:
        if self.errors and row.error is None:
            return False
        if self.failed and not row.failed:
            return False
        return self.expression is None or bool(self.expression.test(row.flat()))

    def check_scorers(self, scorers: Iterable[str]) -> None:
        """An `InputError` when the sort names a scorer the log does not have."""
        if self.ordering is None or not self.ordering[0].startswith("score."):
            return
        name, known = self.ordering[0].removeprefix("score."), list(scorers)
        if known and name not in known:
            raise InputError(
                f"--sort: no scorer `{name}` in this log{suggest(name, known)} "
                f"(scorers: {', '.join(known)})"
            )


@dataclass
class Selection:
    """The rows `log samples` prints, and how many matched."""

    rows: list[Row]
    matched: int
    scorers: list[str]
    damage: str | None


def select_rows(
    log: Path,
    query: RowQuery,
    *,
    limit: int,
    emit: Callable[[Row], None] | None = None,
) -> Selection:
    """Stream the log's samples into rows, filtered; the first `limit` rows (0: all) in
    the log's order, or in the query's order (a heap of `limit` rows). With `emit` and
    no sort, each kept row is handed to it as it is read, not kept."""
    from evalrun.log import open_log

    if limit < 0:
        raise InputError(f"--limit: {limit} is negative (0 shows every sample)")
    reader = open_log(log)
    seen_scorers: dict[str, None] = {}
    matched = 0
    kept: list[Row] = []
    try:
        resumed_at = reader.header().get("started_at")

        def damaged(number: int) -> None:
            reader.damage.add(f"samples line {number}", 1)

        def rows() -> Iterator[Row]:
            nonlocal matched
            for _, row in read_rows(reader.sample_lines(), resumed_at, set(), damaged):
                seen_scorers.update(dict.fromkeys(row.scores))
                if query.keeps(row):
                    matched += 1
                    yield row

        if query.ordering is None:
            for row in rows():
                if limit and matched > limit:
                    continue
                if emit is not None:
                    emit(row)
                else:
                    kept.append(row)
        else:
            _, descending, get = query.ordering
            if limit:
                choose = heapq.nlargest if descending else heapq.nsmallest
                kept = choose(limit, rows(), key=get)
            else:
                kept = sorted(rows(), key=get, reverse=descending)
            query.check_scorers(seen_scorers)
            if emit is not None:
                for row in kept:
                    emit(row)
                kept = []
        damage = reader.damage.describe() if reader.damage else None
    finally:
        reader.close()
    return Selection(kept, matched, list(seen_scorers), damage)
