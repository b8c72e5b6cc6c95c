"""Built-in scorers. Each factory returns `score(state) -> Score` (sync: no await cost)."""

from __future__ import annotations

import inspect
import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from pydantic import Field

from evalrun.errors import InputError
from evalrun.registry import BuildContext, register
from evalrun.scorer._score import CORRECT, INCORRECT, Score, to_score
from evalrun.scorer._text import numbers, squad_normalize, squash, to_number
from evalrun.solver import TaskState, letters, parse_letters

Scorer = Callable[[TaskState], Score | Awaitable[Score]]
CORRECTNESS = ("accuracy", "stderr")


def _verdict(ok: bool, answer: str | None, explanation: str | None = None) -> Score:
    return Score(CORRECT if ok else INCORRECT, answer, explanation)


@register("scorer", "exact", metrics=CORRECTNESS)
def exact(ignore_case: bool = True) -> Scorer:
    """The whole answer equals a target (whitespace and trailing full stop aside)."""

    def score(state: TaskState) -> Score:
        answer = squash(state.completion, ignore_case=ignore_case)
        targets = {squash(t, ignore_case=ignore_case) for t in state.sample.targets}
        return _verdict(answer in targets, state.completion.strip())

    return score


@register("scorer", "includes", metrics=CORRECTNESS)
def includes(ignore_case: bool = True) -> Scorer:
    """A target appears anywhere in the answer."""

    def score(state: TaskState) -> Score:
        answer = state.completion.lower() if ignore_case else state.completion
        hits = [t for t in state.sample.targets if (t.lower() if ignore_case else t) in answer]
        return _verdict(bool(hits), hits[0] if hits else state.completion.strip())

    return score


@register("scorer", "match", metrics=CORRECTNESS)
def match(
    location: Literal["begin", "end", "any", "exact"] = "end",
    numeric: bool = False,
    tolerance: Annotated[float, Field(ge=0)] = 1e-6,
    ignore_case: bool = True,
) -> Scorer:
    """A target at the beginning, end, anywhere in, or exactly the answer.

    With `numeric`, numbers are compared (within `tolerance`): the first number for
    `begin`, the last for `end`, any for `any`, and the only one for `exact`.
    """

    def score_numeric(state: TaskState) -> Score:
        found = numbers(state.completion)
        if not found:
            return _verdict(False, None, "no number in the answer")
        wanted = [n for n in (to_number(t) for t in state.sample.targets) if n is not None]
        if location == "begin":
            candidates = found[:1]
        elif location == "end":
            candidates = found[-1:]
        elif location == "exact":
            candidates = (
                found if len(found) == 1 and to_number(state.completion) is not None else []
            )
        else:
            candidates = found
        hit = next((c for c in candidates if any(abs(c - w) <= tolerance for w in wanted)), None)
        shown = hit if hit is not None else (candidates[-1] if candidates else None)
        return _verdict(hit is not None, None if shown is None else f"{shown:g}")

    def score_text(state: TaskState) -> Score:
        answer = squash(state.completion, ignore_case=ignore_case)
        for target in state.sample.targets:
            t = squash(target, ignore_case=ignore_case)
            if not t:
                continue
            if (
                (location == "begin" and answer.startswith(t))
                or (location == "end" and answer.endswith(t))
                or (location == "any" and t in answer)
                or (location == "exact" and answer == t)
            ):
                return _verdict(True, target)
        return _verdict(False, state.completion.strip())

    return score_numeric if numeric else score_text


@register("scorer", "pattern", metrics=CORRECTNESS)
def pattern(
    ctx: BuildContext,
    pattern: str,
    group: Annotated[int, Field(ge=0)] | None = None,
    ignore_case: bool = True,
) -> Scorer:
    """Extract the answer with a regex (its first group by default) and compare it to the target."""
    try:
        regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise InputError(
            f"pattern: invalid regex {pattern!r}: {exc}", ctx.location("pattern")
        ) from None
    index = group if group is not None else (1 if regex.groups else 0)
    if index > regex.groups:
        raise InputError(
            f"pattern: group {index} does not exist (the regex has {regex.groups})",
            ctx.location("group"),
        )

    def score(state: TaskState) -> Score:
        found = regex.search(state.completion)
        if found is None or found.group(index) is None:
            return _verdict(False, None, "no match for the pattern")
        answer = found.group(index)
        norm = squash(answer, ignore_case=ignore_case)
        return _verdict(
            any(norm == squash(t, ignore_case=ignore_case) for t in state.sample.targets), answer
        )

    return score


@register("scorer", "choice", metrics=CORRECTNESS)
def choice() -> Scorer:
    """The letter(s) chosen (by `multiple_choice`, or read from the answer) are the target's."""

    def score(state: TaskState) -> Score:
        choices = state.sample.choices or []
        if state.answer is not None:
            picked = state.answer.split(",")
        else:
            picked = parse_letters(state.completion, len(choices), multiple=True)
        valid = letters(len(choices))
        wanted = set()
        for target in state.sample.targets:
            if target.strip().upper() in valid:
                wanted.add(target.strip().upper())
            elif target in choices:
                wanted.add(valid[choices.index(target)])
        answer = ",".join(picked) if picked else None
        return _verdict(bool(picked) and set(picked) == wanted, answer)

    return score


@register("scorer", "f1", metrics=("mean", "stderr"))
def f1() -> Scorer:
    """Token F1 between the answer and the best-matching target (SQuAD normalisation)."""

    def score(state: TaskState) -> Score:
        answer = state.completion
        best = max((token_f1(answer, t) for t in state.sample.targets), default=0.0)
        return Score(round(best, 6), answer.strip())

    return score


def token_f1(answer: str, target: str) -> float:
    got, want = squad_normalize(answer).split(), squad_normalize(target).split()
    if not got or not want:
        return float(got == want)
    common = sum((Counter(got) & Counter(want)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall)


@register("scorer", "python", metrics=CORRECTNESS, named=True)
def python_scorer(ctx: BuildContext, function: str, args: dict[str, Any] | None = None) -> Scorer:
    """User code: `def score(state, target, **args)` returning a Score, a value or a dict."""
    user_function = ctx.import_function(function, "function")
    kwargs = args or {}

    async def score(state: TaskState) -> Score:
        result = user_function(state, state.sample.targets, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return to_score(result)

    return score
