"""Per-question (survey) and per-scorer (task) summaries of rows, grouped by model or by
any column (`--by agent.age`): counts and shares of options, mean / median / std / min /
max of numbers, and how many answers were invalid or skipped.

Summaries are built in one pass over the rows; what they keep is counts per option and,
for numbers, the numbers themselves (a median needs them), never the rows.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalrun.rows._rows import QuestionInfo

#: the group of every row when nothing splits them
ALL = "all"


@dataclass(frozen=True, slots=True)
class NumberStats:
    count: int
    mean: float
    median: float
    std: float | None
    min: float
    max: float

    @classmethod
    def of(cls, values: Sequence[float]) -> NumberStats | None:
        if not values:
            return None
        return cls(
            len(values),
            statistics.fmean(values),
            statistics.median(values),
            statistics.stdev(values) if len(values) > 1 else None,
            min(values),
            max(values),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "mean": self.mean,
            "median": self.median,
            "std": self.std,
            "min": self.min,
            "max": self.max,
        }


def value_text(value: Any) -> str:
    """A value as a summary shows it (`true`, not `True`, as in the exports)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass
class Answers:
    """One question's answers in one group."""

    valid: int = 0
    invalid: int = 0
    skipped: int = 0
    #: interviews that never reached the question (a failed model call ended them)
    missing: int = 0
    #: answers per option (choice), answers naming each option (multi, list items), or
    #: answers ranking each option first (rank)
    counts: Counter[str] = field(default_factory=Counter)
    #: each option's places in rank answers (1 is first)
    ranks: dict[str, list[int]] = field(default_factory=dict)
    #: the numeric answers (numbers, linear scales), list lengths (list)
    numbers: list[float] = field(default_factory=list)
    #: a mapping answer's values, per key (budget, matrix, extract)
    keys: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, question: QuestionInfo, status: Any, answer: Any) -> None:
        if status == "invalid":
            self.invalid += 1
            return
        if status == "skipped":
            self.skipped += 1
            return
        if status != "valid":
            self.missing += 1
            return
        self.valid += 1
        kind = question.summary
        if kind == "choice":
            self.counts[str(answer)] += 1
            if _is_number(answer):
                self.numbers.append(float(answer))
        elif question.type == "rank" and isinstance(answer, list):
            if answer:
                self.counts[str(answer[0])] += 1
            for place, item in enumerate(answer, start=1):
                self.ranks.setdefault(str(item), []).append(place)
        elif kind in ("multi", "list") and isinstance(answer, list):
            for item in dict.fromkeys(map(str, answer)):
                self.counts[item] += 1
            if kind == "list":
                self.numbers.append(float(len(answer)))
        elif kind == "number" and _is_number(answer):
            self.numbers.append(float(answer))
        elif kind == "mapping" and isinstance(answer, dict):
            for key, value in answer.items():
                self.keys.setdefault(str(key), []).append(value)

    def options(self, question: QuestionInfo) -> list[tuple[str, int, float]]:
        """(option, count, share of valid answers), the question's options first in their
        order, then any other value counted, most common first."""
        known = list(question.options or ())
        others = [name for name, _ in self.counts.most_common() if name not in set(known)]
        if question.summary == "list":
            known, others = [], [name for name, _ in self.counts.most_common()]
        total = self.valid or 1
        return [(name, self.counts[name], self.counts[name] / total) for name in known + others]

    def mean_ranks(self, question: QuestionInfo) -> list[tuple[str, float]]:
        """(option, its mean place) for rank answers, best first."""
        means = {item: statistics.fmean(places) for item, places in self.ranks.items()}
        known = [o for o in question.options or () if o in means]
        ordered = known + [item for item in means if item not in set(known)]
        return sorted(((item, means[item]) for item in ordered), key=lambda pair: pair[1])

    def number_stats(self) -> NumberStats | None:
        return NumberStats.of(self.numbers)

    def key_stats(self) -> list[tuple[str, NumberStats | None, list[tuple[str, int]]]]:
        """Per key of a mapping answer: number stats when its values are numbers, else its
        most common values."""
        out: list[tuple[str, NumberStats | None, list[tuple[str, int]]]] = []
        for key, values in self.keys.items():
            if all(_is_number(v) for v in values):
                out.append((key, NumberStats.of([float(v) for v in values]), []))
            else:
                out.append((key, None, Counter(map(value_text, values)).most_common()))
        return out

    def to_dict(self, question: QuestionInfo) -> dict[str, Any]:
        out: dict[str, Any] = {
            "valid": self.valid,
            "invalid": self.invalid,
            "skipped": self.skipped,
            "missing": self.missing,
        }
        if question.summary in ("choice", "multi", "list"):
            counts = {name: count for name, count, _ in self.options(question)}
            out["first" if question.type == "rank" else "counts"] = counts
        if question.type == "rank":
            out["mean_rank"] = dict(self.mean_ranks(question))
        stats = self.number_stats()
        if stats is not None and question.summary in ("choice", "number", "list"):
            out["numbers" if question.summary != "list" else "items"] = stats.to_dict()
        if question.summary == "mapping":
            out["keys"] = {
                key: stats.to_dict() if stats else dict(common)
                for key, stats, common in self.key_stats()
            }
        return out


@dataclass
class Scores:
    """One scorer's values in one group: their mean, as the metrics read them."""

    count: int = 0
    total: float = 0.0
    #: values no number can stand for
    unreadable: int = 0

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class Group:
    """The rows of one group: how many, and how many errored."""

    rows: int = 0
    errored: int = 0


@dataclass
class Summary:
    """What `evalrun results` prints: per group, per question or scorer."""

    kind: str
    tasks: list[str]
    #: the column the groups are split by (None: one group, `all`)
    by: list[str] | None
    groups: dict[str, Group] = field(default_factory=dict)
    questions: list[tuple[QuestionInfo, dict[str, Answers]]] = field(default_factory=list)
    scorers: dict[str, dict[str, Scores]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(group.rows for group in self.groups.values())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "tasks": self.tasks,
            "by": self.by,
            "groups": {
                name: {"rows": g.rows, "errored": g.errored} for name, g in self.groups.items()
            },
        }
        if self.kind == "survey":
            out["questions"] = {
                question.name: {
                    "type": question.type,
                    "groups": {name: a.to_dict(question) for name, a in answers.items()},
                }
                for question, answers in self.questions
            }
        else:
            out["scorers"] = {
                scorer: {
                    name: {"count": s.count, "mean": s.mean, "unreadable": s.unreadable}
                    for name, s in groups.items()
                }
                for scorer, groups in self.scorers.items()
            }
        return out


def group_key(row: Mapping[str, Any], by: Sequence[str] | None) -> str:
    if not by:
        return ALL
    return " / ".join(_text(row.get(column)) for column in by)


def _text(value: Any) -> str:
    return "-" if value is None else str(value)


def _order(value: Any) -> tuple[int, Any]:
    """A sort key that puts numbers first, in numeric order, then text, then no value."""
    if _is_number(value):
        return (0, float(value))
    return (1, str(value)) if value is not None else (2, "")


def summarise(
    rows: Iterable[Mapping[str, Any]],
    *,
    kind: str,
    tasks: list[str],
    questions: Sequence[QuestionInfo] = (),
    scorers: Sequence[str] = (),
    by: Sequence[str] | None = None,
) -> Summary:
    """The summary of `rows`, grouped by the columns `by` (None: one group)."""
    from evalrun.scorer import to_float

    summary = Summary(kind, tasks, list(by) if by else None)
    per_question: list[tuple[QuestionInfo, str, str, dict[str, Answers]]] = [
        (q, f"status.{q.name}", f"answer.{q.name}", {}) for q in questions
    ]
    per_scorer: dict[str, dict[str, Scores]] = {name: {} for name in scorers}
    order: dict[str, tuple[tuple[int, Any], ...]] = {}
    for row in rows:
        key = group_key(row, by)
        group = summary.groups.get(key)
        if group is None:
            group = summary.groups[key] = Group()
            order[key] = tuple(_order(row.get(column)) for column in by or ())
        group.rows += 1
        if row.get("error") is not None:
            group.errored += 1
        for question, status, answer, groups in per_question:
            entry = groups.get(key)
            if entry is None:
                entry = groups[key] = Answers()
            entry.add(question, row.get(status), row.get(answer))
        for name, scored in per_scorer.items():
            value = row.get(f"score.{name}")
            if value is None:
                continue
            scores = scored.get(key)
            if scores is None:
                scores = scored[key] = Scores()
            try:
                scores.total += to_float(value)
                scores.count += 1
            except ValueError:
                scores.unreadable += 1
    # groups in the order of their values (numbers as numbers), not of the log's records
    summary.groups = {key: summary.groups[key] for key in sorted(order, key=order.__getitem__)}
    summary.questions = [(question, groups) for question, _, _, groups in per_question]
    summary.scorers = per_scorer
    return summary
