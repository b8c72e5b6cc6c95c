"""The built-in tools: `calculator`, `submit` and `think`.

None of them can run code a model writes. `calculator` evaluates arithmetic with evalrun's
own expression language (`evalrun.expr`): its own tokenizer and parser, no Python `eval`,
`compile` or attribute access, so `__import__('os').system(...)` is a parse error, given
back to the model like any other tool error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from evalrun.expr import NO_ANSWER, ExprError, parse
from evalrun.tools._tool import Submission, ToolError


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression and return its value.

    Args:
        expression: numbers, `+ - * / // %`, unary minus and parentheses, e.g.
            `(12.5 + 7) * 3 // 2`. `/` always gives a decimal; `//` and `%` floor.
    """
    try:
        parsed = parse(expression)
    except ExprError as exc:
        raise ToolError(f"{exc.message} (at character {exc.offset + 1})") from None
    if parsed.references:
        first = parsed.references[0]
        raise ToolError(
            f"unknown name `{first}` (at character {first.offset + 1}): the calculator takes "
            "numbers and operators only"
        )
    value = parsed.evaluate({})
    if value is NO_ANSWER:
        raise ToolError(
            "no result: a division or modulo by zero, a number out of range, or operands "
            "that are not numbers"
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError(f"the result is not a number but {_kind(value)}")
    return _number(value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean (a comparison?)"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _number(value: int | float) -> str:
    """An int as is; a float as its shortest exact text, without a `.0` when whole."""
    if (
        isinstance(value, float)
        and math.isfinite(value)
        and value.is_integer()
        and abs(value) < 1e16
    ):
        return str(int(value))
    return repr(value)


def submit(answer: str) -> Submission:
    """Submit your final answer. This ends the task: call it once, when you are done.

    Args:
        answer: the final answer, exactly as it should be graded.
    """
    return Submission(answer)


#: what `think` answers, whatever the thought
THOUGHT_NOTED = "Thought noted."


def think(thought: str) -> str:
    """Think step by step, privately: the thought is kept in the conversation and nothing
    else happens. Use it to plan or to check your reasoning before acting.

    Args:
        thought: your reasoning.
    """
    del thought  # the point is the model writing it, not us reading it
    return THOUGHT_NOTED


#: the built-in tools by name (what `tools: [calculator]` names)
BUILTINS: dict[str, Callable[..., Any]] = {
    "calculator": calculator,
    "submit": submit,
    "think": think,
}
