"""Turning parsed pieces into nested closures, each `env -> value`.

The parser calls one builder per construct; each returns a `Code`: the closure, its depth
(the parser bounds it, so evaluation never nears the interpreter's recursion limit), whether
it always yields a bool (so `and`/`or`/`test` need no conversion) and, when it depends on no
name, its value: such pieces are computed once here, at parse time (`-1`, `60 * 60`).

Comparisons against a constant, the commonest rule (`q == 'No'`, `agent.age >= 30`,
`q in ['a', 'b']`), get closures of their own that skip the generic type dispatch.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from evalrun.expr import _values as v
from evalrun.expr._values import NO_ANSWER, NUMBERS

Env = Mapping[str, Any]
Fn = Callable[[Env], Any]

_UNSET: Final = object()
_EMPTY: Final[Env] = MappingProxyType({})

COMPARISONS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "==": v.equal,
    "!=": v.not_equal,
    "<": v.less,
    "<=": v.less_equal,
    ">": v.greater,
    ">=": v.greater_equal,
    "in": v.contains,
    "not in": v.not_contains,
}
ARITHMETIC: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "+": v.add,
    "-": v.subtract,
    "*": v.multiply,
    "/": v.divide,
    "//": v.floor_divide,
    "%": v.modulo,
}
#: `c < x` is `x > c`: comparisons with the constant on the left are turned around
_FLIPPED: Final = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ORDER: Final = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


class Code:
    """A compiled piece: `fn(env)` evaluates it."""

    __slots__ = ("boolean", "const", "depth", "fn")

    def __init__(self, fn: Fn, depth: int, boolean: bool, const: Any = _UNSET) -> None:
        self.fn = fn
        self.depth = depth
        self.boolean = boolean
        self.const = const

    @property
    def is_const(self) -> bool:
        return self.const is not _UNSET


def _depth(parts: Sequence[Code]) -> int:
    return 1 + max((part.depth for part in parts), default=0)


def _fold(fn: Fn, parts: Sequence[Code], boolean: bool) -> Code:
    """`fn` as a piece, or its value once computed when all its parts are constants."""
    if all(part.is_const for part in parts):
        return constant(fn(_EMPTY))
    return Code(fn, _depth(parts), boolean)


def _fresh(value: list[Any]) -> list[Any]:
    return [_fresh(item) if type(item) is list else item for item in value]


def constant(value: Any) -> Code:
    if type(value) is list:
        # a list value is handed out as a new list each time: a caller may change it
        def fresh(env: Env) -> Any:
            return _fresh(value)

        return Code(fresh, 1, False, value)

    def const(env: Env) -> Any:
        return value

    return Code(const, 1, type(value) is bool, value)


def lookup(path: tuple[str, ...]) -> Code:
    """A name, `env[name]`, and its dotted parts, each a key of a mapping; `NO_ANSWER` for
    whatever is missing or not a mapping. Never `getattr`."""
    name = path[0]
    if len(path) == 1:

        def get(env: Env) -> Any:
            return env.get(name, NO_ANSWER)

    elif len(path) == 2:
        key = path[1]

        def get(env: Env) -> Any:
            value = env.get(name, NO_ANSWER)
            if type(value) is dict or isinstance(value, Mapping):
                return value.get(key, NO_ANSWER)
            return NO_ANSWER

    else:
        keys = path[1:]

        def get(env: Env) -> Any:
            value = env.get(name, NO_ANSWER)
            for key in keys:
                if type(value) is dict or isinstance(value, Mapping):
                    value = value.get(key, NO_ANSWER)
                else:
                    return NO_ANSWER
            return value

    return Code(get, 1, False)


def sequence(items: list[Code]) -> Code:
    fns = tuple(item.fn for item in items)

    def build(env: Env) -> Any:
        return [fn(env) for fn in fns]

    return _fold(build, items, False)


def unary(op: str, operand: Code) -> Code:
    fn = operand.fn
    if op == "not":

        def not_(env: Env) -> Any:
            return not fn(env)

        return _fold(not_, [operand], True)
    apply = v.negate if op == "-" else v.plus

    def sign(env: Env) -> Any:
        return apply(fn(env))

    return _fold(sign, [operand], False)


def logical(op: str, items: list[Code]) -> Code:
    """`and` / `or` over two or more pieces: short-circuit, always a bool."""
    fns = tuple(item.fn for item in items)
    both_bool = all(item.boolean for item in items)
    if len(fns) == 2:
        a, b = fns
        if op == "and":
            if both_bool:

                def fn(env: Env) -> Any:
                    return a(env) and b(env)

            else:

                def fn(env: Env) -> Any:
                    return True if a(env) and b(env) else False  # noqa: SIM210

        else:
            if both_bool:

                def fn(env: Env) -> Any:
                    return a(env) or b(env)

            else:

                def fn(env: Env) -> Any:
                    return True if a(env) or b(env) else False  # noqa: SIM210

    elif op == "and":

        def fn(env: Env) -> Any:
            for f in fns:  # noqa: SIM110 (a loop costs less than a generator in all())
                if not f(env):
                    return False
            return True

    else:

        def fn(env: Env) -> Any:
            for f in fns:  # noqa: SIM110
                if f(env):
                    return True
            return False

    return _fold(fn, items, True)


def compare(ops: list[str], items: list[Code]) -> Code:
    """A comparison or a chain of them: `a < b < c` is `a < b and b < c`, `b` evaluated once."""
    if len(ops) == 1:
        return _fold(_compare_one(ops[0], items[0], items[1]), items, True)
    first = items[0].fn
    pairs = tuple((COMPARISONS[op], item.fn) for op, item in zip(ops, items[1:], strict=True))

    def chain(env: Env) -> Any:
        left = first(env)
        for test, fn in pairs:
            right = fn(env)
            if not test(left, right):
                return False
            left = right
        return True

    return _fold(chain, items, True)


def _compare_one(op: str, left: Code, right: Code) -> Fn:
    if left.is_const and not right.is_const and op in _FLIPPED:
        left, right, op = right, left, _FLIPPED[op]
    a = left.fn
    if right.is_const and not left.is_const:
        special = _against_constant(op, a, right.const)
        if special is not None:
            return special
    test = COMPARISONS[op]
    b = right.fn

    def generic(env: Env) -> Any:
        return test(a(env), b(env))

    return generic


def _against_constant(op: str, a: Fn, c: Any) -> Fn | None:
    """A closure for `a op c` with `c` a constant, when one saves work over the generic."""
    tc = type(c)
    if op == "==" or op == "!=":
        if tc is str:
            if op == "==":
                return lambda env: type(x := a(env)) is str and x == c
            return lambda env: not (type(x := a(env)) is str and x == c)
        if c is None:
            if op == "==":
                return lambda env: (x := a(env)) is None or x is NO_ANSWER
            return lambda env: not ((x := a(env)) is None or x is NO_ANSWER)
        if tc is bool:
            if op == "==":
                return lambda env: a(env) is c
            return lambda env: a(env) is not c
        if tc in NUMBERS:
            if op == "==":
                return lambda env: type(x := a(env)) in NUMBERS and x == c
            return lambda env: not (type(x := a(env)) in NUMBERS and x == c)
        return None
    if op in _ORDER:
        order = _ORDER[op]
        if tc in NUMBERS:
            return lambda env: type(x := a(env)) in NUMBERS and order(x, c)
        if tc is str:
            return lambda env: type(x := a(env)) is str and order(x, c)
        return lambda env: False  # nothing orders with a bool, null or list
    if op == "in" or op == "not in":
        negated = op == "not in"
        if tc is str:
            if negated:
                return lambda env: not (type(x := a(env)) is str and x in c)
            return lambda env: type(x := a(env)) is str and x in c
        if tc is list and c and all(type(item) is str for item in c):
            strings = frozenset(c)
            if negated:
                return lambda env: not (type(x := a(env)) is str and x in strings)
            return lambda env: type(x := a(env)) is str and x in strings
        if tc is list and c and all(type(item) in NUMBERS for item in c):
            numbers = frozenset(c)
            if negated:
                return lambda env: not (type(x := a(env)) in NUMBERS and x in numbers)
            return lambda env: type(x := a(env)) in NUMBERS and x in numbers
        if tc is list:
            items = tuple(c)
            test = v.not_contains if negated else v.contains
            return lambda env: test(a(env), items)
    return None


def arithmetic(ops: list[str], items: list[Code]) -> Code:
    """`+ - * / // %` over two or more pieces, left to right."""
    if len(ops) == 1:
        apply = ARITHMETIC[ops[0]]
        a, b = items[0].fn, items[1].fn

        def one(env: Env) -> Any:
            return apply(a(env), b(env))

        return _fold(one, items, False)
    first = items[0].fn
    pairs = tuple((ARITHMETIC[op], item.fn) for op, item in zip(ops, items[1:], strict=True))

    def chain(env: Env) -> Any:
        value = first(env)
        for apply, fn in pairs:
            value = apply(value, fn(env))
        return value

    return _fold(chain, items, False)
