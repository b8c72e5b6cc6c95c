"""Logs as flat rows: one per sample record (an interview x iteration for a survey, a
sample x epoch for a task), with dotted column names (`agent.age`, `answer.favourite`,
`score.match`), so that the same rows feed the terminal summary, CSV, JSONL, pandas and
`--where`.

Logs are read through `evalrun.log`'s readers, one record at a time: memory does not
grow with the log. The columns a CSV header needs are found in a first, cheap pass
(records parsed, not validated); rows come from a second pass over the validated records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from evalrun.errors import InputError, Location

Kind = Literal["survey", "task"]

#: how each question type is summarised (the question registry's `summary`, for logs
#: read without building the questions again)
SUMMARY_OF_TYPE = {
    "multiple_choice": "choice",
    "yes_no": "choice",
    "likert_five": "choice",
    "linear_scale": "choice",
    "checkbox": "multi",
    "top_k": "multi",
    "rank": "multi",
    "numerical": "number",
    "free_text": "text",
    "list": "list",
    "budget": "mapping",
    "matrix": "mapping",
    "extract": "mapping",
}
LIKERT_FIVE = ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"]


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """A survey question as the summary needs it: its type, how it is summarised and the
    options its answers are counted against (None: counted as they come)."""

    name: str
    type: str
    summary: str
    options: tuple[str, ...] | None = None

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> QuestionInfo:
        """From a question as the log's header holds it (as written in the survey file)."""
        kind = str(spec.get("type") or "free_text")
        options: list[str] | None = None
        if kind == "yes_no":
            options = ["Yes", "No"]
        elif kind == "likert_five":
            options = LIKERT_FIVE
        elif kind == "linear_scale":
            scale = spec.get("scale")
            if (
                isinstance(scale, list)
                and len(scale) == 2
                and all(isinstance(v, int) for v in scale)
            ):
                options = [str(v) for v in range(scale[0], scale[1] + 1)]
        elif isinstance(spec.get("options"), list) and kind != "matrix":
            options = [str(v) for v in spec["options"]]
        return cls(
            str(spec.get("name")),
            kind,
            SUMMARY_OF_TYPE.get(kind, "text"),
            tuple(options) if options is not None else None,
        )


@dataclass
class LogInfo:
    """One log's header, as the rows need it."""

    path: Path
    kind: Kind
    task: str
    model: str
    eval_id: str
    created: str
    questions: list[QuestionInfo] = field(default_factory=list)


def _header_questions(header: dict[str, Any]) -> list[QuestionInfo] | None:
    """The survey's questions from `task_spec.solver[0].interview.questions`, or None when
    the log is not a survey's."""
    solver = (header.get("task_spec") or {}).get("solver")
    if not isinstance(solver, list) or not solver or not isinstance(solver[0], dict):
        return None
    interview = solver[0].get("interview")
    if not isinstance(interview, dict):
        return None
    questions = interview.get("questions")
    if not isinstance(questions, list):
        return None
    return [QuestionInfo.from_spec(q) for q in questions if isinstance(q, dict) and q.get("name")]


def read_info(path: Path) -> LogInfo:
    """A log's kind, task, model and (for a survey) questions, from its header alone."""
    from evalrun.log import open_log

    reader = open_log(path)
    try:
        header = reader.header()
    finally:
        reader.close()
    questions = _header_questions(header)
    return LogInfo(
        path,
        "survey" if questions is not None else "task",
        str(header.get("task") or path.stem),
        str(header.get("model") or ""),
        str(header.get("eval_id") or header.get("run_id") or path),
        str(header.get("created") or ""),
        questions or [],
    )


def expand_logs(paths: Iterable[Path | str]) -> list[Path]:
    """Log files, with each folder replaced by the logs in it (oldest first)."""
    from evalrun.log import find_logs

    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(reversed(find_logs(path)))
        elif not path.is_file():
            raise InputError("log file not found", Location(path))
        else:
            found.append(path)
    found = list(dict.fromkeys(p.resolve() for p in found))  # a log named twice is read once
    if not found:
        raise InputError("no logs found", Location(Path(next(iter(paths), "."))))
    return found


class Table:
    """The rows of one or more logs of the same kind (all survey logs, or all task logs).

    An evaluation retried with eval-retry leaves its old log beside the new one, which
    holds every finished sample of both: of logs with the same `eval_id`, only the
    newest is read (`superseded` lists the others), so each record is counted once.
    """

    def __init__(self, paths: Sequence[Path | str]) -> None:
        infos = [read_info(path) for path in expand_logs(paths)]
        newest: dict[str, LogInfo] = {}
        for info in infos:
            current = newest.get(info.eval_id)
            if current is None or (info.created, info.path.name) > (
                current.created,
                current.path.name,
            ):
                newest[info.eval_id] = info
        self.logs = [info for info in infos if newest[info.eval_id] is info]
        self.superseded = [
            (info.path, newest[info.eval_id].path)
            for info in infos
            if newest[info.eval_id] is not info
        ]
        kinds = {info.kind for info in self.logs}
        if len(kinds) > 1:
            raise InputError(
                "these logs mix surveys and tasks: give the logs of one kind at a time"
            )
        self.kind: Kind = self.logs[0].kind
        self.questions = _merge_questions(self.logs)
        self._columns: list[str] | None = None
        #: logs with unreadable parts, and what (filled in as the rows are read)
        self.damaged: dict[Path, str] = {}

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(info.model for info in self.logs))

    @property
    def tasks(self) -> list[str]:
        return list(dict.fromkeys(info.task for info in self.logs))

    def columns(self) -> list[str]:
        """Every column, in a fixed order (found in a pass over the records, once)."""
        if self._columns is None:
            self._columns = self._find_columns()
        return self._columns

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """The rows, one per readable sample record, each (id, epoch) of a log once."""
        from evalrun.log import open_log

        make = survey_row if self.kind == "survey" else task_row
        names = [q.name for q in self.questions]
        for info in self.logs:
            reader = open_log(info.path)
            try:
                for _, sample in reader.iter_samples():
                    yield make(sample, info.model, names)
                if reader.damage:
                    self.damaged[info.path] = reader.damage.describe()
            finally:
                reader.close()

    def _find_columns(self) -> list[str]:
        from evalrun.log import open_log
        from evalrun.log._base import parse_line

        agent: dict[str, None] = {}
        scenario: dict[str, None] = {}
        metadata: dict[str, None] = {}
        scorers: dict[str, None] = {}
        for info in self.logs:
            reader = open_log(info.path)
            try:
                for line in reader.sample_lines():
                    record = parse_line(line)
                    if record is None:
                        continue
                    meta = record.get("metadata")
                    meta = meta if isinstance(meta, dict) else {}
                    if self.kind == "survey":
                        who = meta.get("agent")
                        traits = who.get("traits") if isinstance(who, dict) else None
                        agent.update(dict.fromkeys(traits if isinstance(traits, dict) else ()))
                        where = meta.get("scenario")
                        scenario.update(dict.fromkeys(where if isinstance(where, dict) else ()))
                    else:
                        metadata.update(dict.fromkeys(meta))
                        scores = record.get("scores")
                        scorers.update(dict.fromkeys(scores if isinstance(scores, dict) else ()))
            finally:
                reader.close()
        if self.kind == "task":
            return [
                "id",
                "epoch",
                "model.name",
                *(f"metadata.{key}" for key in metadata),
                "target",
                "answer",
                *(f"score.{name}" for name in scorers),
                "error",
                "tokens",
                "cost",
            ]
        names = [q.name for q in self.questions]
        return [
            "id",
            "agent.name",
            *(f"agent.{key}" for key in agent if key != "name"),
            *(f"scenario.{key}" for key in scenario),
            "model.name",
            "iteration",
            *(f"answer.{q}" for q in names),
            *(f"comment.{q}" for q in names),
            *(f"prompt.{q}" for q in names),
            *(f"status.{q}" for q in names),
            "tokens",
            "cost",
            "error",
        ]


def _merge_questions(logs: list[LogInfo]) -> list[QuestionInfo]:
    """The questions of every log, in order, each name once (the first log's wins)."""
    merged: dict[str, QuestionInfo] = {}
    for info in logs:
        for question in info.questions:
            merged.setdefault(question.name, question)
    return list(merged.values())


def _usage(sample: Any) -> tuple[int, float | None]:
    """Tokens, and cost in US dollars (None when some call's price is unknown)."""
    usage = sample.usage
    return usage.total_tokens, (None if usage.unpriced else usage.cost)


def _mapping(value: Any) -> dict[str, Any]:
    """`value` when it is a dict, else an empty one (a record missing a part reads as
    having none of it)."""
    return value if isinstance(value, dict) else {}


def survey_row(sample: Any, model: str, questions: list[str]) -> dict[str, Any]:
    """One interview x iteration as a row (see the spec's results table)."""
    meta = sample.metadata or {}
    who = _mapping(meta.get("agent"))
    traits = _mapping(who.get("traits"))
    where = _mapping(meta.get("scenario"))
    answers = _mapping(_mapping(getattr(sample, "store", None)).get("survey")).get("answers")
    answers = _mapping(answers)
    row: dict[str, Any] = {"id": sample.id, "agent.name": who.get("name")}
    for key, value in traits.items():
        if key != "name":
            row[f"agent.{key}"] = value
    for key, value in where.items():
        row[f"scenario.{key}"] = value
    row["model.name"] = model
    row["iteration"] = sample.epoch
    entries = [_mapping(answers.get(q)) for q in questions]
    for prefix, key in (
        ("answer", "answer"),
        ("comment", "comment"),
        ("prompt", "prompt"),
        ("status", "status"),
    ):
        for q, entry in zip(questions, entries, strict=True):
            row[f"{prefix}.{q}"] = entry.get(key)
    row["tokens"], row["cost"] = _usage(sample)
    row["error"] = sample.error.message if sample.error else None
    return row


def task_row(sample: Any, model: str, questions: list[str] | None = None) -> dict[str, Any]:
    """One sample x epoch of a task as a row: its id, epoch, model, metadata, target,
    answer, each scorer's value, error, tokens and cost."""
    row: dict[str, Any] = {"id": sample.id, "epoch": sample.epoch, "model.name": model}
    for key, value in (sample.metadata or {}).items():
        row[f"metadata.{key}"] = value
    row["target"] = sample.target
    # the step's answer when one recorded it, else the model's last reply
    row["answer"] = (
        sample.answer
        if sample.answer is not None
        else (sample.output.completion if sample.output else None)
    )
    for name, score in sample.scores.items():
        row[f"score.{name}"] = score.value
    row["error"] = sample.error.message if sample.error else None
    row["tokens"], row["cost"] = _usage(sample)
    return row
