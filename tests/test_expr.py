"""The expression language of survey rules and `--where`: its grammar, its values (`NO_ANSWER`
above all), its errors with their offsets, and that nothing in it can run code."""

from __future__ import annotations

import copy
import itertools
import math
import pickle
import re
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from evalrun import expr as expr_module
from evalrun.expr import NO_ANSWER, ExprError, Expression, Reference, parse


def value(source: str, env: Mapping[str, Any] | None = None) -> Any:
    return parse(source).evaluate(env or {})


def same(a: Any, b: Any) -> bool:
    """Equal and of the same type (so that `True` is not `1` and `2.0` is not `2`)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# --- literals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'x'", "x"),
        ('"x"', "x"),
        ("''", ""),
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'a\\b'", "a\\b"),
        (r"'line\nnext'", "line\nnext"),
        (r"'\t'", "\t"),
        ("'\"'", '"'),
        ('"\'"', "'"),
        ("'café ☕'", "café ☕"),
        ("42", 42),
        ("0", 0),
        ("007", 7),
        ("3.5", 3.5),
        ("1e3", 1000.0),
        ("2.5E-1", 0.25),
        ("1e+2", 100.0),
        ("1" + "0" * 100, 10**100),
        ("1e100", 1e100),
        ("true", True),
        ("True", True),
        ("false", False),
        ("False", False),
        ("null", None),
        ("None", None),
        ("[]", []),
        ("[1, 'a', [2, null]]", [1, "a", [2, None]]),
        ("[1,]", [1]),
        ("[\n1,\n2\n]", [1, 2]),
        ("  7\t", 7),
    ],
)
def test_literals(source: str, expected: Any) -> None:
    assert same(value(source), expected)


def test_list_values_are_fresh_each_time() -> None:
    expression = parse("[1, [2]]")
    first = expression.evaluate({})
    first.append(3)
    first[1].append(4)
    assert expression.evaluate({}) == [1, [2]]
    assert parse("[x, [2]]").evaluate({"x": 1}) == [1, [2]]


# --- names ------------------------------------------------------------------------------

ENV: dict[str, Any] = {
    "has_favourite": "No",
    "favourite": "red",
    "colours": ["red", "green"],
    "count": 3,
    "ratio": 0.5,
    "flag": True,
    "nothing": None,
    "agent": {"name": "Ann", "age": 34, "from": "Oslo", "address": {"city": "Oslo"}},
    "scenario": {"season": "summer"},
    "café": "open",
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("favourite", "red"),
        ("count", 3),
        ("nothing", None),
        ("agent.age", 34),
        ("agent.address.city", "Oslo"),
        ("agent.from", "Oslo"),  # a keyword is fine as a part
        ("café", "open"),
        ("scenario.season", "summer"),
        ("agent . name", "Ann"),
    ],
)
def test_names_and_dotted_parts(source: str, expected: Any) -> None:
    assert same(value(source, ENV), expected)


@pytest.mark.parametrize(
    "source",
    ["missing", "agent.height", "agent.address.street", "favourite.x", "nothing.x", "agent.age.x"],
)
def test_what_is_not_there_is_no_answer(source: str) -> None:
    assert value(source, ENV) is NO_ANSWER


def test_dotted_parts_are_mapping_keys_never_attributes() -> None:
    class Obj:
        real = "attribute"

    class Env(Mapping[str, Any]):
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def __getitem__(self, key: str) -> Any:
            return self.data[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self.data)

        def __len__(self) -> int:
            return len(self.data)

    assert value("n.real", {"n": 1}) is NO_ANSWER
    assert value("o.real", {"o": Obj()}) is NO_ANSWER
    assert value("s.upper", {"s": "abc"}) is NO_ANSWER
    assert value("e.inner.k", {"e": Env({"inner": Env({"k": 5})})}) == 5
    assert value("k", Env({"k": 5})) == 5
    assert value("items", {"d": {}}) is NO_ANSWER


# --- operators, precedence, associativity ------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("10 - (4 - 3)", 9),
        ("100 / 10 / 5", 2.0),
        ("2 * 3 % 4", 2),
        ("7 // 2 * 2", 6),
        ("1 + 2 * 3 - 4 / 2", 5.0),
        ("-2 * 3", -6),
        ("- 2 + 3", 1),
        ("-(2 + 3)", -5),
        ("--2", 2),
        ("-+-2", 2),
        ("+3", 3),
        ("2 * -3", -6),
        ("1 + 2 == 3", True),
        ("'a' + 'b' in 'xaby'", True),
        ("not 1 == 2", True),
        ("not 'a' in 'abc'", False),
        ("not true and false", False),
        ("not (true and false)", True),
        ("true or false and false", True),
        ("(true or false) and false", False),
        ("false and true or true", True),
        ("not not true", True),
        ("not false or true", True),
        ("1 < 2 == true", False),  # a chain: 1 < 2 and 2 == true
        ("(1 < 2) == true", True),
        ("1 == 1 == 1", True),
        ("3 > 2 > 1", True),
        ("1 < 3 < 2", False),
        ("1 < 2 <= 2 < 3 != 4", True),
        ("1 in [1] in [[1]]", True),
    ],
)
def test_precedence_and_associativity(source: str, expected: Any) -> None:
    assert same(value(source), expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("7 + 2", 9),
        ("7 - 2", 5),
        ("7 * 2", 14),
        ("7 / 2", 3.5),
        ("8 / 2", 4.0),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7.5 // 2", 3.0),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("7.5 % 2", 1.5),
        ("1 + 0.5", 1.5),
        ("'ab' + 'cd'", "abcd"),
        ("[1] + [2, 3]", [1, 2, 3]),
        ("'ab' * 2", "abab"),
        ("2 * 'ab'", "abab"),
        ("[1] * 3", [1, 1, 1]),
        ("2 * [0]", [0, 0]),
        ("'ab' * 0", ""),
        ("'ab' * -1", ""),
        ("[1] * -2", []),
        ("7 == 7", True),
        ("7 == 7.0", True),
        ("7 != 7", False),
        ("7 != 8", True),
        ("1 < 2", True),
        ("2 < 1", False),
        ("2 <= 2", True),
        ("3 > 2", True),
        ("2 >= 3", False),
        ("'apple' < 'banana'", True),
        ("'b' >= 'a'", True),
        ("'a' == 'a'", True),
        ("[1, [2]] == [1, [2]]", True),
        ("[1, 2] == [2, 1]", False),
        ("null == null", True),
        ("true == true", True),
        ("true != false", True),
    ],
)
def test_every_operator(source: str, expected: Any) -> None:
    assert same(value(source), expected)


def test_and_or_not_short_circuit_and_give_booleans() -> None:
    assert value("1 and 2") is True
    assert value("0 or ''") is False
    assert value("[] or 'x'") is True
    assert value("'' and x") is False
    assert value("not ''") is True
    assert value("not [1]") is False
    assert value("a or b or c", {"c": 1}) is True
    assert value("a and b and c", {"a": 1, "b": 1, "c": 0}) is False
    assert value("a and b and c", {"a": 1, "b": 1, "c": 1}) is True
    assert value("a == 1 and b == 2", {"a": 1, "b": 2}) is True

    seen: list[str] = []

    class Watching(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            seen.append(key)
            return super().get(key, default)

    parse("a and b").evaluate(Watching(a=0, b=1))
    parse("a or b").evaluate(Watching(a=1, b=1))
    parse("1 > a > b").evaluate(Watching(a=5, b=1))
    assert seen == ["a", "a", "a"]


def test_chained_comparison_evaluates_the_middle_once() -> None:
    seen: list[str] = []

    class Watching(dict[str, Any]):
        def get(self, key: str, default: Any = None) -> Any:
            seen.append(key)
            return super().get(key, default)

    expression = parse("1 < x < 3")
    assert expression.evaluate(Watching(x=2)) is True
    assert expression.evaluate(Watching(x=3)) is False
    assert expression.evaluate(Watching(x=0)) is False
    assert seen == ["x", "x", "x"]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'b' in 'abc'", True),
        ("'abc' in 'abc'", True),
        ("'' in 'abc'", True),
        ("'d' in 'abc'", False),
        ("'d' not in 'abc'", True),
        ("'A' in 'abc'", False),
        ("1 in 'abc'", False),
        ("'a' in 1", False),
        ("'a' in ['a', 'b']", True),
        ("'c' in ['a', 'b']", False),
        ("'c' not in ['a', 'b']", True),
        ("1 in [1, 2]", True),
        ("1 in [1.0]", True),
        ("1.0 in [1]", True),
        ("1 in ['1']", False),
        ("'1' in [1]", False),
        ("1 in [true]", False),
        ("true in [1]", False),
        ("true in [true]", True),
        ("null in [null]", True),
        ("[1] in [[1], 2]", True),
        ("[1] in [1]", False),
        ("2 in []", False),
        ("2 not in []", True),
        ("favourite in ['red', 'blue']", True),
        ("favourite in colours", True),
        ("'green' in colours", True),
        ("'blue' not in colours", True),
        ("'name' in agent", True),
        ("'height' in agent", False),
        ("'height' not in agent", True),
        ("[1] in agent", False),
        ("count in [1, 2, 3]", True),
        ("count in [1, 'x', 3]", True),
        ("ratio in [0.5]", True),
        ("flag in [1]", False),
        ("favourite in 'bored'", True),
        ("'e' in favourite", True),
    ],
)
def test_in_and_not_in(source: str, expected: bool) -> None:
    assert value(source, ENV) is expected


# --- NO_ANSWER ---------------------------------------------------------------------------


def test_no_answer_is_a_false_singleton_named_no_answer() -> None:
    assert repr(NO_ANSWER) == "no answer"
    assert str(NO_ANSWER) == "no answer"
    assert not NO_ANSWER
    assert type(NO_ANSWER)() is NO_ANSWER
    assert pickle.loads(pickle.dumps(NO_ANSWER)) is NO_ANSWER
    assert copy.copy(NO_ANSWER) is NO_ANSWER
    assert copy.deepcopy([NO_ANSWER])[0] is NO_ANSWER


# `x` is missing from the environment and `s` is present with the value NO_ANSWER (a caller
# may put it there for a skipped question): the two must behave alike.
NO_ANSWER_TABLE = [
    ("x", NO_ANSWER),
    ("not x", True),
    ("not not x", False),
    ("x and true", False),
    ("true and x", False),
    ("x or true", True),
    ("x or false", False),
    ("x == null", True),
    ("null == x", True),
    ("x == None", True),
    ("x != null", False),
    ("x == y", True),
    ("x == nothing", True),
    ("nothing == x", True),
    ("x != y", False),
    ("x == 'No'", False),
    ("'No' == x", False),
    ("x != 'No'", True),
    ("x == 0", False),
    ("x == false", False),
    ("x != false", True),
    ("x == ''", False),
    ("x == []", False),
    ("x == [x]", False),
    ("[x] == [null]", True),
    ("x == agent", False),
    ("x < 1", False),
    ("x <= 1", False),
    ("x > 1", False),
    ("x >= 1", False),
    ("1 < x", False),
    ("1 >= x", False),
    ("x < y", False),
    ("x <= y", False),
    ("x < 'a'", False),
    ("'a' > x", False),
    ("1 < x < 3", False),
    ("x in ['a', 'b']", False),
    ("x in [1, 2]", False),
    ("x in [x]", False),
    ("x in [null]", False),
    ("x in 'abc'", False),
    ("x in colours", False),
    ("'a' in x", False),
    ("x in x", False),
    ("x in agent", False),
    ("x not in ['a', 'b']", True),
    ("x not in [x]", True),
    ("x not in 'abc'", True),
    ("'a' not in x", True),
    ("x not in x", True),
    ("x + 1", NO_ANSWER),
    ("1 + x", NO_ANSWER),
    ("x + 'a'", NO_ANSWER),
    ("x + [1]", NO_ANSWER),
    ("x - 1", NO_ANSWER),
    ("x * 2", NO_ANSWER),
    ("'a' * x", NO_ANSWER),
    ("x / 2", NO_ANSWER),
    ("x // 2", NO_ANSWER),
    ("x % 2", NO_ANSWER),
    ("-x", NO_ANSWER),
    ("+x", NO_ANSWER),
    ("x + 1 == null", True),
    ("x + 1 > 0", False),
    ("x.y", NO_ANSWER),
    ("[x]", [NO_ANSWER]),
]


@pytest.mark.parametrize(("source", "expected"), NO_ANSWER_TABLE)
@pytest.mark.parametrize("name", ["x", "s"])
def test_no_answer_table(source: str, expected: Any, name: str) -> None:
    source = re.sub(r"\bx\b", name, source)
    env = {**ENV, "s": NO_ANSWER}
    result = value(source, env)
    if expected is NO_ANSWER:
        assert result is NO_ANSWER
    elif isinstance(expected, list):
        assert result == expected
    else:
        assert result is expected
    assert parse(source).test(env) is bool(expected)


# --- types that do not mix ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("'1' == 1", False),
        ("'1' != 1", True),
        ("1 == '1'", False),
        ("true == 1", False),
        ("1 == true", False),
        ("false == 0", False),
        ("true != 1", True),
        ("null == 0", False),
        ("null == false", False),
        ("null == ''", False),
        ("[] == ''", False),
        ("[true] == [1]", False),
        ("[1] == [1.0]", True),
        ("1 < 'a'", False),
        ("'a' >= 1", False),
        ("'a' < 'b' < 1", False),
        ("true < 2", False),
        ("false < true", False),
        ("null < 1", False),
        ("[1] < [2]", False),
        ("[1] <= [1]", False),
        ("agent < agent", False),
        ("agent == {}", None),  # not an expression: `{` is refused (see the error table)
    ],
)
def test_mismatched_types_compare_false(source: str, expected: Any) -> None:
    if expected is None:
        with pytest.raises(ExprError):
            parse(source)
        return
    assert value(source, ENV) is expected


@pytest.mark.parametrize(
    "source",
    [
        "true + 1",
        "1 + true",
        "-true",
        "+false",
        "'a' + 1",
        "1 + 'a'",
        "'a' - 'b'",
        "[1] - [1]",
        "[1] + 'a'",
        "'a' + [1]",
        "'a' * 'b'",
        "'a' * 1.5",
        "1.5 * [1]",
        "'a' * true",
        "[1] * [2]",
        "'%s' % 1",
        "'a' % 'b'",
        "[1] / 2",
        "'a' // 1",
        "null + 1",
        "null * 2",
        "-'a'",
        "-[1]",
        "-null",
        "agent + agent",
        "1 / 0",
        "1 / 0.0",
        "0 / 0",
        "1 // 0",
        "1.5 // 0.0",
        "1 % 0",
        "1.5 % 0.0",
        "1e100 * 10",
        "-1e100 * 10",
        "1" + "0" * 100 + " * 2",
        "1e100 + 1e100",
        "1e100 / 0.1",
        "1e-300 * 1e-300 + 1e100 * 1e100",
        "'a' * 1000001",
        "'ab' * 500001",
        "[1] * 1000001",
    ],
)
def test_wrong_types_and_impossible_results_are_no_answer(source: str) -> None:
    assert value(source, ENV) is NO_ANSWER


def test_size_and_magnitude_limits_are_inclusive() -> None:
    assert len(value("'a' * 1000000")) == 1_000_000
    assert len(value("s + s", {"s": "a" * 500_000})) == 1_000_000
    assert value("s + s + 'a'", {"s": "a" * 500_000}) is NO_ANSWER
    assert value("[1] * 1000000 + [2]") is NO_ANSWER
    assert value("1e100 * 1") == 1e100
    assert value("-1e100") == -1e100
    assert value("x * x", {"x": 10**50}) == 10**100
    assert value("x * x", {"x": 10**51}) is NO_ANSWER
    assert value("-x", {"x": 10**200}) is NO_ANSWER
    assert value("s * n", {"s": "", "n": 10**200}) == ""
    assert value("l * n", {"l": [], "n": 10**200}) == []
    assert value("s * n", {"s": "a", "n": 10**200}) is NO_ANSWER
    assert value("x + 1", {"x": float("nan")}) is NO_ANSWER
    assert value("x + 1", {"x": float("inf")}) is NO_ANSWER
    assert value("x == x", {"x": float("nan")}) is False
    assert value("x < 1", {"x": float("nan")}) is False


def test_huge_repetition_allocates_nothing_big() -> None:
    expressions = [parse(s) for s in ("'a' * 1000000000", "s * n", "n * l", "[1] * 1000000000")]
    env = {"s": "ab", "l": [1, 2], "n": 10**9}
    tracemalloc.start()
    try:
        results = [expression.evaluate(env) for expression in expressions]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(result is NO_ANSWER for result in results)
    assert peak < 100_000


def test_evaluation_never_raises_whatever_the_values() -> None:
    class Strange:
        def __eq__(self, other: object) -> bool:
            raise RuntimeError("not comparable")

        __hash__ = object.__hash__

    values: list[Any] = [
        "a",
        "",
        0,
        1,
        -1,
        2.5,
        0.0,
        True,
        False,
        None,
        NO_ANSWER,
        [],
        [1, "a", None],
        [[1]],
        {"k": 1},
        {},
        float("nan"),
        float("inf"),
        -float("inf"),
        10**200,
        b"bytes",
        {1, 2},
        (1, 2),
        Strange(),
        object(),
    ]
    binary = ["==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-", "*", "/", "//", "%"]
    expressions = [parse(f"a {op} b") for op in binary]
    expressions += [parse(s) for s in ("-a", "+a", "not a", "a.k", "[a, b]", "a < b < a")]
    expressions += [parse(s) for s in ("a == 1", "a != 'x'", "a < 2", "a in [1, 2]")]
    expressions += [parse(s) for s in ("a in ['x']", "a == null", "a == true", "a >= 'm'")]
    for a, b in itertools.product(values, repeat=2):
        env = {"a": a, "b": b}
        for expression in expressions:
            result = expression.evaluate(env)
            if expression.source.count(" ") == 2 and expression.source.split()[1] in binary[:8]:
                assert type(result) is bool, (expression, a, b)


# --- Expression, Reference, parse --------------------------------------------------------


def test_the_public_api() -> None:
    assert expr_module.__all__ == ["NO_ANSWER", "ExprError", "Expression", "Reference", "parse"]
    source = "has_favourite == 'No' and agent.age >= 30"
    expression = parse(source)
    assert isinstance(expression, Expression)
    assert expression.source == source
    assert expression.references == (
        Reference(path=("has_favourite",), offset=0),
        Reference(path=("agent", "age"), offset=26),
    )
    assert str(expression.references[1]) == "agent.age"
    assert expression.evaluate({"has_favourite": "No", "agent": {"age": 34}}) is True
    assert expression.test({"has_favourite": "No", "agent": {"age": 29}}) is False
    assert expression.test({}) is False
    assert repr(expression) == f"Expression({source!r})"
    assert str(expression) == source
    assert parse(source) == expression
    assert hash(parse(source)) == hash(expression)
    assert parse("a") != parse("b")


def test_test_is_truthiness() -> None:
    assert parse("x").test({"x": "y"}) is True
    assert parse("x").test({"x": ""}) is False
    assert parse("x").test({"x": []}) is False
    assert parse("x").test({"x": 0.0}) is False
    assert parse("x").test({"x": None}) is False
    assert parse("x").test({}) is False
    assert parse("x + 1").test({"x": 1}) is True
    assert parse("'a' * 1000000000").test({}) is False
    assert parse("1").test({}) is True
    assert parse("[]").test({}) is False


def test_references_are_every_name_use_in_order() -> None:
    expression = parse("a.b + c == a.b and not d in [e, f.g.h] or -(i)")
    assert [(ref.path, ref.offset) for ref in expression.references] == [
        (("a", "b"), 0),
        (("c",), 6),
        (("a", "b"), 11),
        (("d",), 23),
        (("e",), 29),
        (("f", "g", "h"), 32),
        (("i",), 44),
    ]
    assert parse("1 + 2 == 3 and 'x' in ['x']").references == ()
    assert parse("agent . age").references == (Reference(("agent", "age"), 0),)
    assert parse("  café").references == (Reference(("café",), 2),)


def test_expressions_are_immutable_and_pickle_as_their_text() -> None:
    expression = parse("a + 1 > 2")
    with pytest.raises(AttributeError):
        expression.source = "other"
    copied = pickle.loads(pickle.dumps(expression))
    assert copied == expression
    assert copied.evaluate({"a": 2}) is True
    assert copied.references == expression.references
    assert copy.deepcopy(expression).test({"a": 5}) is True


def test_constant_parts_are_computed_once_at_parse_time() -> None:
    # a constant is a constant, names never are; the result is the same either way
    assert parse("60 * 60 * x").evaluate({"x": 2}) == 7200
    assert parse("x > -1").evaluate({"x": 0}) is True
    assert parse("x in [1 + 1, 3]").evaluate({"x": 2}) is True
    assert parse("'a' * 1000000000 == null").evaluate({}) is True


def test_long_flat_expressions_evaluate_without_deep_recursion() -> None:
    source = "1+" * 4999 + "1"
    assert len(source) <= 10_000
    assert value(source) == 5000
    assert value("x+" * 4999 + "x", {"x": 1}) == 5000
    assert value(" and ".join(["x"] * 1500), {"x": 1}) is True
    assert value(" or ".join(["x"] * 1500), {"x": 0}) is False
    assert value(" < ".join(["x"] * 1500), {"x": 0}) is False
    assert value("[" + "x, " * 3000 + "]", {"x": 1}) == [1] * 3000


def test_nesting_is_bounded() -> None:
    assert value("(" * 99 + "x" + ")" * 99, {"x": 1}) == 1
    assert value("-" * 99 + "x", {"x": 1}) == -1
    with pytest.raises(ExprError) as caught:
        parse("(" * 100 + "x" + ")" * 100)
    assert (caught.value.message, caught.value.offset) == (
        "expression is nested too deeply (more than 100 levels)",
        100,
    )
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("not " * 200 + "x")
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("[" * 500 + "]" * 500)
    with pytest.raises(ExprError, match="nested too deeply"):
        parse("(" * 3000 + ")" * 3000)

    # each level here is shallow for the parser but five deep once built: the built depth is
    # bounded too, so evaluating never nears the interpreter's recursion limit
    def nested(levels: int) -> str:
        source = "x"
        for _ in range(levels):
            source = f"({source} * 2 + 1 == 3 and y or z)"
        return source

    assert value(nested(15), {"x": 1, "y": True, "z": True}) is True
    with pytest.raises(ExprError, match="nested too deeply"):
        parse(nested(30))


def test_parse_wants_a_string() -> None:
    with pytest.raises(TypeError):
        parse(3)  # type: ignore[arg-type]


# --- errors and their offsets ------------------------------------------------------------

ERRORS = [
    ("", "empty expression", 0),
    ("   ", "empty expression", 0),
    ("a and", "expected an expression after `and`", 5),
    ("a and   ", "expected an expression after `and`", 5),
    ("a or )", "expected an expression after `or`", 5),
    ("not", "expected an expression after `not`", 3),
    ("1 +", "expected an expression after `+`", 3),
    ("1 * / 2", "expected an expression after `*`", 4),
    ("a == ", "expected an expression after `==`", 4),
    ("a not in", "expected an expression after `not in`", 8),
    ("-", "expected an expression after `-`", 1),
    ("[1, , 2]", "expected an expression after `,`", 4),
    ("[,]", "expected an expression after `[`", 1),
    ("(", "expected an expression after `(`", 1),
    ("a and or b", "expected an expression after `and`", 6),
    ("and", "unexpected `and`", 0),
    ("()", "empty parentheses `()`", 0),
    ("(a", "unclosed `(`", 0),
    ("((a)", "unclosed `(`", 0),
    ("x == (1 + (2)", "unclosed `(`", 5),
    ("[1, 2", "unclosed `[`", 0),
    ("a)", "unexpected `)`", 1),
    ("a]", "unexpected `]`", 1),
    ("a b", "unexpected `b`", 2),
    ("a 'b'", "unexpected `'b'`", 2),
    ("a 'a very long string indeed'", "unexpected `'a very long stri...`", 2),
    ("1 2", "unexpected `2`", 2),
    ("(a, b)", "unexpected `,`", 2),
    ("a, b", "unexpected `,`", 1),
    ("[a b]", "unexpected `b`", 3),
    ("a true", "unexpected `true`", 2),
    ("a not b", "expected `in` after `not`", 6),
    ("a not", "expected `in` after `not`", 5),
    ("a == not b", "`not` must be in parentheses here: `(not ...)`", 5),
    ("1 + not b", "`not` must be in parentheses here: `(not ...)`", 4),
    ("a @ b", "unknown character `@`", 2),
    ("a $", "unknown character `$`", 2),
    ("a # comment", "unknown character `#`", 2),
    ("`a`", "unknown character `` ` ``", 0),
    ("a \\ b", "unknown character `\\`", 2),
    ("a\x00", "unknown character `U+0000`", 1),
    ("café == 1 @", "unknown character `@`", 10),
    ("x ? y", "unknown character `?`", 2),
    ("'abc", "unterminated string", 0),
    ('x == "abc', "unterminated string", 5),
    ("'abc\"", "unterminated string", 0),
    ("'a\\'", "unterminated string", 0),
    ("'a\\", "unterminated string", 0),
    ("'a\\q'", "unknown escape `\\q`", 2),
    ("'\\x41'", "unknown escape `\\x`", 1),
    ("1abc", "invalid number `1abc`", 0),
    ("x + 1.2.3", "invalid number `1.2.3`", 4),
    ("0x1f", "invalid number `0x1f`", 0),
    ("1_000", "invalid number `1_000`", 0),
    ("1e400", "number too large: `1e400`", 0),
    ("x > 1" + "0" * 101, "number too large: `10000000000000000...`", 4),
    ("f(x)", "calls are not allowed: `f(...)`", 1),
    ("f ()", "calls are not allowed: `f(...)`", 2),
    ("agent.name.upper()", "calls are not allowed: `agent.name.upper(...)`", 16),
    ("(a)(b)", "calls are not allowed: `(a)(...)`", 3),
    ("1 + 'x'.join(y)", "`.` can only follow a name", 7),
    ("x[0]", "subscripts are not allowed: `x[...]`", 1),
    ("agent['age']", "subscripts are not allowed: `agent[...]`", 5),
    ("[1, 2][0]", "subscripts are not allowed: `[1, 2][...]`", 6),
    ("'abc'.upper", "`.` can only follow a name", 5),
    ("(a).b", "`.` can only follow a name", 3),
    ("1 .real", "`.` can only follow a name", 2),
    ("a.", "expected a name after `.`", 2),
    ("a.1", "expected a name after `.`", 2),
    ("a..b", "expected a name after `.`", 2),
    (".a", "unexpected `.`", 0),
    ("_x", "names starting with `_` are not allowed: `_x`", 0),
    ("_", "names starting with `_` are not allowed: `_`", 0),
    ("a._b", "names starting with `_` are not allowed: `_b`", 2),
    ("__import__('os')", "names starting with `_` are not allowed: `__import__`", 0),
    ("().__class__", "empty parentheses `()`", 0),
    ("(a).__class__", "names starting with `_` are not allowed: `__class__`", 4),
    ("''.__class__", "names starting with `_` are not allowed: `__class__`", 3),
    ("x.__class__.__bases__", "names starting with `_` are not allowed: `__class__`", 2),
    ("lambda: 1", "lambdas are not allowed: `lambda`", 0),
    ("x and lambda: 1", "lambdas are not allowed: `lambda`", 6),
    ("[x for x in y]", "comprehensions are not allowed: `for`", 3),
    ("(x for x in y)", "comprehensions are not allowed: `for`", 3),
    ("import os", "imports are not allowed: `import`", 0),
    ("from os import system", "imports are not allowed: `from`", 0),
    ("a if b else c", "conditional expressions are not allowed: `if`", 2),
    ("else", "conditional expressions are not allowed: `else`", 0),
    ("2 ** 10", "powers are not allowed: `**`", 2),
    ("x = 1", "assignment is not allowed: `=` (to compare, use `==`)", 2),
    ("(x := 1)", "assignment is not allowed: `:=`", 3),
    ("a; b", "`;` is not allowed: write a single expression", 1),
    ("a && b", "`&&` is not allowed; use `and`", 2),
    ("a || b", "`||` is not allowed; use `or`", 2),
    ("a & b", "`&` is not allowed; use `and`", 2),
    ("a | b", "`|` is not allowed; use `or`", 2),
    ("!a", "`!` is not allowed; use `not`", 0),
    ("a ^ b", "bitwise operators are not allowed: `^`", 2),
    ("~a", "bitwise operators are not allowed: `~`", 0),
    ("a << 1", "bitwise operators are not allowed: `<<`", 2),
    ("a >> 1", "bitwise operators are not allowed: `>>`", 2),
    ("{'a': 1}", "dicts and sets are not allowed: `{`", 0),
    ("agent == {}", "dicts and sets are not allowed: `{`", 9),
    ("a[1:2]", "subscripts are not allowed: `a[...]`", 1),
    ("a : b", "`:` is not allowed here", 2),
    ("a is None", "`is` is not allowed; use `==` or `!=`", 2),
    ("a is not None", "`is` is not allowed; use `==` or `!=`", 2),
    ("def", "`def` is a reserved word", 0),
    ("a and class", "`class` is a reserved word", 6),
    ("f(x); y", "calls are not allowed: `f(...)`", 1),
    ("a and @", "unknown character `@`", 6),
    ("1 < 'x", "unterminated string", 4),
    ("x" * 10_001, "expression is too long (more than 10,000 characters)", 10_000),
]


@pytest.mark.parametrize(("source", "message", "offset"), ERRORS)
def test_parse_errors_name_the_problem_at_its_offset(
    source: str, message: str, offset: int
) -> None:
    with pytest.raises(ExprError) as caught:
        parse(source)
    assert (caught.value.message, caught.value.offset) == (message, offset)
    assert str(caught.value) == message
    assert "\n" not in message


def test_expr_error_pickles() -> None:
    with pytest.raises(ExprError) as caught:
        parse("f(x)")
    copied = pickle.loads(pickle.dumps(caught.value))
    assert (copied.message, copied.offset) == ("calls are not allowed: `f(...)`", 1)


# --- nothing runs ------------------------------------------------------------------------

ATTACKS = [
    "__import__('os').system('touch {marker}')",
    "__import__('subprocess').run(['touch', '{marker}'])",
    "open('{marker}', 'w')",
    "open('{marker}', 'w').write('x')",
    "exec(\"open('{marker}', 'w')\")",
    "eval(\"open('{marker}', 'w')\")",
    "compile(\"open('{marker}', 'w')\", 'f', 'exec')",
    "getattr(__builtins__, 'open')('{marker}', 'w')",
    "().__class__.__base__.__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "x.__class__.__bases__",
    "x.__globals__",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "lambda: open('{marker}', 'w')",
    "[__import__('os').system('touch {marker}') for _ in [1]]",
    "[open('{marker}', 'w') for x in [1]]",
    "{{open('{marker}', 'w') for x in [1]}}",
    "import os; os.system('touch {marker}')",
    "from os import system",
    "open('{marker}', 'w') if true else 0",
    "true and open('{marker}', 'w')",
    "x[0]('{marker}')",
    "os.system('touch {marker}')",
    "breakpoint()",
    "(x := open('{marker}', 'w'))",
    "2 ** 1000000",
    "'a' * 10**9",
    "'{marker}'.format()",
    'f\'{{open("{marker}", "w")}}\'',
    "b'{marker}'",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_code_cannot_run_and_nothing_is_touched(attack: str, tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    source = attack.format(marker=marker)
    with pytest.raises(ExprError):
        parse(source).evaluate({"x": ENV, "os": ENV})
    assert not marker.exists()


def test_code_in_a_string_is_only_a_string(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    payload = f"__import__('os').system('touch {marker}')"
    expression = parse(f'x == "{payload}" or x in ["{payload}"]')
    assert expression.evaluate({"x": payload}) is True
    assert parse(f'"{payload}"').evaluate({}) == payload
    # nor does a value of the environment run: it is compared, never called or formatted
    assert parse("x + x == y").evaluate({"x": payload, "y": payload * 2}) is True
    # names that are attributes in Python are only keys here
    assert parse("x.f_globals").evaluate({"x": parse}) is NO_ANSWER
    assert parse("x.system").evaluate({"x": __import__("os")}) is NO_ANSWER
    assert not marker.exists()


def test_the_package_never_evaluates_python() -> None:
    package = Path(expr_module.__file__).parent
    sources = {path.name: path.read_text() for path in package.glob("*.py")}
    assert set(sources) >= {"__init__.py", "_parse.py", "_tokens.py"}
    for name, text in sources.items():
        for forbidden in (r"\beval\(", r"\bexec\(", r"\bcompile\(", r"\bgetattr\(", r"\bast\."):
            assert not re.search(forbidden, text), (name, forbidden)
        assert "__import__" not in text.replace("`__import__`", ""), name
        assert not re.search(r"^\s*(import ast|from ast )", text, re.MULTILINE), name


def test_importing_it_loads_only_the_standard_library() -> None:
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "import evalrun.expr\n"
        "new = {m.split('.')[0] for m in set(sys.modules) - before}\n"
        "print(sorted(m for m in new if m not in sys.stdlib_module_names and m != 'evalrun'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
