"""`Expression` (a parsed expression, ready to evaluate) and `Reference` (a name it uses)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reference:
    """A use of a name: `path` its parts (`("agent", "age")` for `agent.age`), `offset` the
    index of its first character in the expression's text."""

    path: tuple[str, ...]
    offset: int

    def __str__(self) -> str:
        return ".".join(self.path)


class Expression:
    """A parsed expression. Made by `parse`; immutable; pickled as its text.

    - `source`: the text it was parsed from.
    - `references`: every use of a name, in the order of the text (a name used twice is
      there twice), so that a caller can check names before any evaluation.
    - `evaluate(env)`: its value, names looked up in `env` (a mapping; dotted parts by
      mapping lookup). Never raises: see the module's semantics.
    - `test(env)`: its value as a bool (`NO_ANSWER` is false).

    `evaluate` and `test` are the compiled closures themselves, stored on the instance, so a
    call costs no method dispatch.
    """

    __slots__ = ("evaluate", "references", "source", "test")

    source: str
    references: tuple[Reference, ...]
    evaluate: Callable[[Mapping[str, Any]], Any]
    test: Callable[[Mapping[str, Any]], bool]

    def __init__(
        self,
        source: str,
        references: tuple[Reference, ...],
        evaluate: Callable[[Mapping[str, Any]], Any],
        test: Callable[[Mapping[str, Any]], bool],
    ) -> None:
        set_ = object.__setattr__
        set_(self, "source", source)
        set_(self, "references", references)
        set_(self, "evaluate", evaluate)
        set_(self, "test", test)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Expression is immutable: cannot set `{name}`")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Expression is immutable: cannot delete `{name}`")

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    def __str__(self) -> str:
        return self.source

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expression) and other.source == self.source

    def __hash__(self) -> int:
        return hash((Expression, self.source))

    def __reduce__(self) -> tuple[Callable[[str], Expression], tuple[str]]:
        # closures do not pickle; the text does, and parsing it again gives the same thing
        from evalrun.expr._parse import parse

        return parse, (self.source,)
