"""`Score` and the conversion of score values to numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Value = str | int | float | bool

CORRECT, INCORRECT, PARTIAL, NOANSWER = "C", "I", "P", "N"

_WORDS = {
    "c": 1.0, "correct": 1.0, "true": 1.0, "yes": 1.0, "pass": 1.0,
    "i": 0.0, "incorrect": 0.0, "false": 0.0, "no": 0.0, "fail": 0.0,
    "p": 0.5, "partial": 0.5,
    "n": 0.0, "noanswer": 0.0,
}  # fmt: skip


@dataclass(slots=True)
class Score:
    """One scorer's judgement of one sample in one epoch (or of a sample, once reduced)."""

    value: Value
    answer: str | None = None
    explanation: str | None = None
    metadata: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value}
        if self.answer is not None:
            out["answer"] = self.answer
        if self.explanation is not None:
            out["explanation"] = self.explanation
        if self.metadata:
            out["metadata"] = self.metadata
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        return cls(data["value"], data.get("answer"), data.get("explanation"), data.get("metadata"))


#: the verdict letters built-in scorers write, for a lookup before any conversion
_LETTERS = {CORRECT: 1.0, INCORRECT: 0.0, PARTIAL: 0.5, NOANSWER: 0.0}


def to_float(value: Value) -> float:
    """`C`/`I`/`P`/`N` (inspect's convention), booleans, numbers and numeric text as floats."""
    if value.__class__ is str and value in _LETTERS:  # the common case: once per sample
        return _LETTERS[value]
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    if text in _WORDS:
        return _WORDS[text]
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"score value {value!r} is not a number or C/I/P/N") from None


def to_score(result: Any) -> Score:
    """Accept what a user scorer returns: a Score, a value, or a dict with `value`.

    The value is checked here, so a value no metric can use fails its sample (which
    `eval-retry` can run again), not the computing of results for the whole run.
    """
    if isinstance(result, Score):
        score = result
    elif isinstance(result, dict):
        if "value" not in result:
            raise ValueError("a scorer's dict result needs a `value` key")
        score = Score.from_dict(result)
    elif isinstance(result, str | int | float | bool):
        score = Score(result)
    else:
        raise ValueError(
            f"a scorer returned {type(result).__name__}; expected a Score, a value or a dict"
        )
    to_float(score.value)
    return score
