"""A survey as the interview runs it: its questions in order, its rules, and what each
question depends on (piping, memory, rules). The loader builds it once, checked; the
interview step, the flow picture and `results` read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from evalrun.expr import Expression

RuleKind = Literal["skip", "stop_after", "jump"]


@dataclass(frozen=True, slots=True)
class Rule:
    """`skip: q if cond`, `stop_after: q if cond`, `jump: {from: q, to: r} if cond`.

    `question` is the skipped question, the one after which the interview stops, or
    the one a jump leaves from; `to` is where a jump lands."""

    kind: RuleKind
    question: str
    to: str | None
    condition: Expression
    #: the questions whose answers the condition reads
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Question:
    """One question as written, and the earlier questions it depends on."""

    name: str
    type: str
    text: str
    #: earlier questions whose answers (or comments) its text or instructions pipe in
    pipes: tuple[str, ...] = ()
    #: earlier questions whose turns it sees (the survey's `memory`)
    memory: tuple[str, ...] = ()
    #: the options its answers are counted against (None for text, numbers, ...)
    options: tuple[str, ...] | None = None
    #: how `results` summarises it: choice, multi, number, text, list or mapping
    summary: str = "text"


@dataclass(frozen=True)
class Survey:
    name: str
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...] = ()
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def question(self, name: str) -> Question:
        return next(q for q in self.questions if q.name == name)
