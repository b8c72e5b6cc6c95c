"""Tools (issue 15, first part): schemas from signatures, calls that never raise, the
built-ins, and `tools:` declarations checked at load time with `file:line:col`."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TypeVar

import anyio
import pytest
from conftest import one_error_line, only_log
from pydantic import BaseModel

from evalrun.tools import (
    THOUGHT_NOTED,
    Tool,
    ToolError,
    ToolResult,
    ToolSchemaError,
    calculator,
    function_schema,
    submit,
    think,
    tool,
)

T = TypeVar("T")


def run(awaitable: Awaitable[T]) -> T:
    async def main() -> T:
        return await awaitable

    return anyio.run(main)


def call(made: Tool, arguments: dict[str, Any] | str) -> ToolResult:
    return run(made.call(arguments))


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Point(BaseModel):
    x: int
    y: int


def search(
    query: str,
    limit: int = 10,
    ratio: float | None = None,
    exact: bool = False,
    ids: list[int] | None = None,
    mode: Literal["fast", "slow"] = "fast",
    colour: Colour = Colour.RED,
    at: Point | None = None,
) -> str:
    """Search the catalogue for items
    matching a query.

    The rest of this text is for readers of the code, not for the model.

    Args:
        query (str): the words to look for,
            on one or more lines.
        limit: how many items at most.
        mode: how hard to look.

    Returns:
        The items found.
    """
    return query


# ---------------------------------------------------------------- schemas


def test_schema_from_signature_hints_and_google_docstring() -> None:
    schema = tool(search).schema()
    assert schema["name"] == "search"
    assert schema["description"] == "Search the catalogue for items matching a query."
    parameters = schema["parameters"]
    assert parameters["type"] == "object"
    assert parameters["required"] == ["query"]
    assert parameters["additionalProperties"] is False
    props = parameters["properties"]
    assert list(props) == ["query", "limit", "ratio", "exact", "ids", "mode", "colour", "at"]
    assert props["query"] == {
        "type": "string",
        "description": "the words to look for, on one or more lines.",
    }
    assert props["limit"] == {
        "type": "integer",
        "default": 10,
        "description": "how many items at most.",
    }
    assert props["ratio"] == {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None}
    assert props["exact"] == {"type": "boolean", "default": False}
    assert props["ids"] == {
        "anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}],
        "default": None,
    }
    assert props["mode"] == {
        "type": "string",
        "enum": ["fast", "slow"],
        "default": "fast",
        "description": "how hard to look.",
    }
    assert props["colour"] == {"$ref": "#/$defs/Colour", "default": "red"}
    assert parameters["$defs"]["Colour"]["enum"] == ["red", "blue"]
    assert props["at"]["anyOf"][0] == {"$ref": "#/$defs/Point"}
    assert parameters["$defs"]["Point"]["required"] == ["x", "y"]
    json.dumps(schema)  # what a provider is sent is plain JSON


def test_schema_of_an_async_function_with_rest_docstring() -> None:
    async def fetch(url: str, retries: int = 2) -> str:
        """Fetch a page.

        :param url: the address,
            absolute.
        :param int retries: attempts after the first.
        :returns: the page's text.
        """
        return url

    schema = function_schema(fetch)
    assert schema.description == "Fetch a page."
    assert schema.parameters["properties"] == {
        "url": {"type": "string", "description": "the address, absolute."},
        "retries": {"type": "integer", "default": 2, "description": "attempts after the first."},
    }
    assert schema.parameters["required"] == ["url"]


def test_name_and_description_overrides_and_no_parameters() -> None:
    def ping() -> str:
        return "pong"

    schema = tool(ping, name="health", description="Is it up?").schema()
    assert schema == {
        "name": "health",
        "description": "Is it up?",
        "parameters": {"type": "object", "properties": {}, "additionalProperties": False},
    }


def _untyped(x, y: int) -> int:  # type: ignore[no-untyped-def]
    return y


def _star_args(*values: int) -> int:
    return sum(values)


def _star_kwargs(**options: str) -> str:
    return ""


def _opaque(callback: Any, when: object) -> None:
    return None


class _Opaque:
    pass


def _undescribable(thing: _Opaque) -> None:
    return None


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (_untyped, "parameter `x` of `_untyped` has no type hint"),
        (_star_args, "parameter `*values` of `_star_args`: a tool takes named arguments only"),
        (_star_kwargs, "parameter `**options` of `_star_kwargs`: a tool takes named arguments"),
        (_undescribable, "parameter `thing` of `_undescribable`: its type `_Opaque` cannot be"),
    ],
)
def test_functions_that_cannot_be_described_are_errors(function: Any, message: str) -> None:
    with pytest.raises(ToolSchemaError) as raised:
        function_schema(function)
    assert str(raised.value).startswith(message), str(raised.value)


# ---------------------------------------------------------------- calls


def add(a: int, b: float = 0.5) -> float:
    """Add two numbers."""
    return a + b


def test_a_valid_call_as_json_text_or_dict() -> None:
    made = tool(add)
    result = call(made, '{"a": 2, "b": 3}')
    assert (result.output, result.error, result.submitted) == ("5.0", None, None)
    assert not result.is_error and result.seconds >= 0
    assert call(made, {"a": 2}).output == "2.5"


def test_non_text_results_are_json() -> None:
    def rows(n: int) -> list[dict[str, Any]]:
        """Rows."""
        return [{"i": i, "p": Point(x=i, y=-i)} for i in range(n)]

    assert json.loads(call(tool(rows), {"n": 2}).output) == [
        {"i": 0, "p": {"x": 0, "y": 0}},
        {"i": 1, "p": {"x": 1, "y": -1}},
    ]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            {"a": "two"},
            "invalid arguments for `add`: argument `a`: Input should be a valid integer, "
            'unable to parse string as an integer (got "two")',
        ),
        ({}, "invalid arguments for `add`: missing required argument `a`"),
        (
            {"a": 1, "c": 3},
            "invalid arguments for `add`: unknown argument `c`",
        ),
        ('{"a": 1', "invalid arguments: not valid JSON (Expecting ',' delimiter: "),
        ("[1, 2]", "invalid arguments: expected a JSON object, got list"),
    ],
)
def test_bad_arguments_come_back_as_an_error_result(
    arguments: dict[str, Any] | str, message: str
) -> None:
    result = call(tool(add), arguments)
    assert result.is_error and result.output == result.error
    assert result.output.startswith(message), result.output


def test_an_exception_comes_back_as_type_and_message_without_traceback() -> None:
    def divide(a: int, b: int) -> float:
        """Divide."""
        return a / b

    def refuse(a: int) -> str:
        """Refuse."""
        raise ToolError("no such city: Atlantis")

    result = call(tool(divide), {"a": 1, "b": 0})
    assert result.error == "ZeroDivisionError: division by zero"
    assert "Traceback" not in result.output
    assert call(tool(refuse), {"a": 1}).error == "no such city: Atlantis"


def test_a_sync_sleeper_times_out() -> None:
    def sleeper(seconds: float) -> str:
        """Sleep."""
        time.sleep(seconds)
        return "woke"

    made = tool(sleeper, timeout=0.2)
    start = time.perf_counter()
    result = call(made, {"seconds": 3})
    assert time.perf_counter() - start < 1.5
    assert result.error == "`sleeper` timed out after 0.2 s"
    assert 0.2 <= result.seconds < 1.5
    assert call(made, {"seconds": 0}).output == "woke"


def test_an_async_sleeper_times_out() -> None:
    async def nap(seconds: float) -> str:
        """Nap."""
        await asyncio.sleep(seconds)
        return "woke"

    made = tool(nap, timeout=0.25)
    result = call(made, {"seconds": 30})
    assert result.error == "`nap` timed out after 0.25 s"
    assert result.seconds < 1.5
    assert call(made, {"seconds": 0}).output == "woke"


def test_hung_calls_do_not_starve_the_calls_after_them() -> None:
    """More hung calls than tool threads, each abandoned at its timeout: a thread starts
    in each one's place, so a quick call after them runs (and is not timed out)."""
    from evalrun.tools._threads import thread_count

    def hang(seconds: float) -> str:
        """Block."""
        time.sleep(seconds)
        return "woke"

    def quick() -> str:
        """Return at once."""
        return "done"

    hung, fast = tool(hang, timeout=0.1), tool(quick, timeout=2)

    async def main() -> tuple[list[ToolResult], ToolResult]:
        stuck = [hung.call({"seconds": 3}) for _ in range(thread_count() + 8)]
        results = await asyncio.gather(*stuck)
        return list(results), await fast.call({})

    stuck, after = anyio.run(main)
    assert {r.error for r in stuck} == {"`hang` timed out after 0.1 s"}
    assert (after.output, after.error) == ("done", None)


def test_a_calls_wait_for_a_thread_is_not_its_run_time() -> None:
    """Calls queued behind busy threads are timed from their start: none times out."""
    from evalrun.tools._threads import thread_count

    def work(seconds: float) -> str:
        """Block briefly."""
        time.sleep(seconds)
        return "ok"

    made = tool(work, timeout=0.5)

    async def main() -> list[ToolResult]:
        # three rounds of 0.3 s each: the last round waits 0.6 s for a thread
        calls = [made.call({"seconds": 0.3}) for _ in range(thread_count() * 3)]
        return list(await asyncio.gather(*calls))

    results = anyio.run(main)
    assert {(r.output, r.error) for r in results} == {("ok", None)}


def test_a_tools_own_timeout_error_and_stop_iteration_are_its_errors() -> None:
    """Not taken for the call's timeout (nor, for StopIteration, lost on the way)."""

    def fetch() -> str:
        """Fetch."""
        raise TimeoutError("read timed out")  # (what socket.timeout is)

    def first() -> str:
        """First."""
        return next(iter([]))

    async def afetch() -> str:
        """Fetch."""
        raise TimeoutError("upstream timed out")

    start = time.perf_counter()
    assert call(tool(fetch, timeout=30), {}).error == "TimeoutError: read timed out"
    assert call(tool(fetch, timeout=None), {}).error == "TimeoutError: read timed out"
    assert call(tool(afetch, timeout=30), {}).error == "TimeoutError: upstream timed out"
    assert call(tool(afetch, timeout=None), {}).error == "TimeoutError: upstream timed out"
    assert call(tool(first, timeout=30), {}).error == "RuntimeError: StopIteration: "
    assert time.perf_counter() - start < 10


def test_output_is_capped_with_a_marker() -> None:
    def dump(n: int) -> str:
        """Dump."""
        return "x" * n

    made = tool(dump, max_output=100)
    result = call(made, {"n": 1234})
    assert result.output == "x" * 100 + "\n[output truncated: 1,134 of 1,234 characters cut]"
    assert not result.is_error
    assert call(made, {"n": 100}).output == "x" * 100


# ---------------------------------------------------------------- built-ins


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("1 + 2 * 3", "7"),
        ("(12.5 + 7) * 3 // 2", "29"),
        ("2 / 3", "0.6666666666666666"),
        ("10 / 4", "2.5"),
        ("-7 % 3", "2"),
        ("1e3 - 1", "999"),
        ("0.1 + 0.2", "0.30000000000000004"),
    ],
)
def test_calculator(expression: str, value: str) -> None:
    assert calculator(expression) == value
    assert call(tool(calculator), {"expression": expression}).output == value


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1 / 0", "no result: a division or modulo by zero"),
        ("x + 1", "unknown name `x` (at character 1): the calculator takes numbers"),
        ("1 < 2", "the result is not a number but a boolean"),
        ("'a' + 'b'", "the result is not a number but a string"),
        ("2 ** 8", "powers are not allowed: `**` (at character 3)"),
    ],
)
def test_calculator_mistakes_are_error_results(expression: str, message: str) -> None:
    result = call(tool(calculator), {"expression": expression})
    assert result.is_error and message in result.output, result.output


#: the payloads of tests/test_survey_errors.py and tests/test_expr.py, writing MARKER
ATTACKS = [
    "__import__('os').system('touch {marker}')",
    "__import__('subprocess').run(['touch', '{marker}'])",
    "().__class__.__bases__",
    "().__class__.__base__.__subclasses__()",
    "''.__class__.__mro__[1].__subclasses__()",
    "x.__class__",
    "x.__globals__",
    "open('{marker}', 'w')",
    "getattr(__builtins__, 'open')('{marker}', 'w')",
    "(lambda: __import__('os').system('touch {marker}'))()",
    "[__import__('os').system('touch {marker}') for x in [1]]",
    "import os",
    "import os; os.system('touch {marker}')",
    "from os import system",
    "x[0]",
    'exec(\'open("{marker}", "w")\')',
    "eval('1+1')",
]


@pytest.mark.parametrize("payload", ATTACKS)
def test_calculator_refuses_code(payload: str, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "MARKER"
    result = call(tool(calculator), {"expression": payload.format(marker=marker)})
    assert result.is_error, result.output
    assert not marker.exists() and not (tmp_path / "MARKER").exists()
    with pytest.raises(ToolError):
        calculator(payload.format(marker=marker))


def test_submit_marks_the_end_of_the_trajectory() -> None:
    made = tool(submit)
    assert made.schema()["parameters"]["required"] == ["answer"]
    result = call(made, {"answer": "42"})
    assert result.submitted == "42" and not result.is_error
    assert result.output == "Answer submitted."
    assert call(tool(add), {"a": 1}).submitted is None


def test_think_does_nothing() -> None:
    made = tool(think)
    assert made.schema()["parameters"]["required"] == ["thought"]
    assert made.schema()["description"].startswith("Think step by step")
    assert think("anything") == THOUGHT_NOTED
    result = call(made, {"thought": "the answer is 4 because 2 + 2"})
    assert result.output == THOUGHT_NOTED and result.submitted is None


# ---------------------------------------------------------------- tools: in task files

DATA = '{"id": 1, "input": "What is 2+2?", "target": "4"}\n'
TOOLS_MODULE = '''
from __future__ import annotations


def lookup(city: str, limit: int = 3) -> str:
    """Look a city up.

    Args:
        city: its name.
    """
    return city


def untyped(city, limit: int = 3) -> str:
    """No hint on `city`."""
    return city


def flexible(*cities: str) -> str:
    """Star arguments."""
    return ""
'''

LOAD_ERRORS = {
    "unknown_function": (
        "tools:\n  - python: 'tools_mod:nope'\n",
        ":3:13: python: `tools_mod` has no function `nope`",
    ),
    "unknown_module": (
        "tools:\n  - {python: 'no_such_mod:f'}\n",
        ":3:14: python: cannot import module `no_such_mod`: No module named 'no_such_mod'",
    ),
    "untyped_parameter": (
        "tools:\n  - calculator\n  - python: 'tools_mod:untyped'\n",
        ":4:13: tool `tools_mod:untyped`: parameter `city` of `untyped` has no type hint: "
        "the model must be told its type (`def f(x: int)`)",
    ),
    "star_arguments": (
        "tools:\n  - python: 'tools_mod:flexible'\n",
        ":3:13: tool `tools_mod:flexible`: parameter `*cities` of `flexible`: a tool takes "
        "named arguments only, not `*cities`",
    ),
    "duplicate_builtin": (
        "tools:\n  - think\n  - calculator\n  - think\n",
        ":5:5: tool `think` is already declared (tool 1); give each tool its own name (`name:`)",
    ),
    "duplicate_renamed": (
        "tools:\n  - python: 'tools_mod:lookup'\n  - python: 'tools_mod:lookup'\n"
        "    name: lookup\n",
        ":5:11: tool `lookup` is already declared (tool 1); give each tool its own name",
    ),
    "unknown_builtin": (
        "tools:\n  - calculater\n",
        ":3:5: unknown built-in tool `calculater`; did you mean `calculator`? "
        "(built-ins: calculator, submit, think; a function of yours is `python: module:function`)",
    ),
    "unknown_builtin_mapping": (
        "tools:\n  - {builtin: sumbit}\n",
        ":3:15: unknown built-in tool `sumbit`; did you mean `submit`?",
    ),
    "zero_timeout": (
        "tools:\n  - {python: 'tools_mod:lookup', timeout: 0}\n",
        ":3:43: tools.0.timeout: input should be greater than 0",
    ),
    "bad_timeout": (
        "tools:\n  - calculator\n  - {builtin: submit, timeout: soon}\n",
        ":4:32: tools.1.timeout: input should be a valid number",
    ),
    "bad_max_output": (
        "tools:\n  - python: 'tools_mod:lookup'\n    max_output: 0\n",
        ":4:17: tools.0.max_output: input should be greater than or equal to 1",
    ),
    "unknown_key": (
        "tools:\n  - python: 'tools_mod:lookup'\n    timout: 5\n",
        ":4:5: unknown key `timout`; did you mean `timeout`?",
    ),
    "not_a_tool": (
        "tools:\n  - [calculator]\n",
        ":3:5: tools.0: a tool is a built-in's name (`calculator`) or a mapping with "
        "`python: module:function` or `builtin: name`",
    ),
    "bad_name": (
        "tools:\n  - {python: 'tools_mod:lookup', name: 'look up'}\n",
        ":3:40: tool name `look up` is not valid: use 1 to 64 letters, digits, `_` or `-`",
    ),
}


@pytest.mark.parametrize("case", sorted(LOAD_ERRORS))
def test_bad_tool_declarations_are_located_load_errors(
    case: str, evalrun: Any, write: Any, tmp_path: Path
) -> None:
    body, expected = LOAD_ERRORS[case]
    write("d.jsonl", DATA)
    write("tools_mod.py", TOOLS_MODULE)
    task = write(f"{case}.yaml", "dataset: {path: d.jsonl}\n" + body)
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    line = one_error_line(result)
    assert line.startswith(f"{task}{expected}"), line
    assert not (tmp_path / "logs").exists() or not list((tmp_path / "logs").iterdir())


def test_declared_tools_are_built_and_recorded(evalrun: Any, write: Any, tmp_path: Path) -> None:
    from evalrun.config import RunConfig
    from evalrun.spec import build_source, read_task_file

    write("d.jsonl", DATA)
    write("tools_mod.py", TOOLS_MODULE)
    task = write(
        "t.yaml",
        """
        dataset: {path: d.jsonl}
        tools:
          - calculator
          - {builtin: submit, timeout: 5}
          - think
          - python: "tools_mod:lookup"
            name: find_city
            description: Find a city.
            timeout: 2.5
            max_output: 300
        """,
    )
    (source,) = read_task_file(task)
    built = build_source(source, RunConfig())
    assert [t.name for t in built.tools] == ["calculator", "submit", "think", "find_city"]
    find = built.tools[3]
    assert (find.description, find.timeout, find.max_output) == ("Find a city.", 2.5, 300)
    assert find.schema()["parameters"]["properties"]["city"]["description"] == "its name."
    assert built.tools[1].timeout == 5
    assert run(find.call({"city": "Oslo"})).output == "Oslo"

    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 0, result.output
    spec = only_log(tmp_path / "logs")["header"]["task_spec"]
    assert spec["tools"] == [
        "calculator",
        {"builtin": "submit", "timeout": 5.0},
        "think",
        {
            "python": "tools_mod:lookup",
            "name": "find_city",
            "description": "Find a city.",
            "timeout": 2.5,
            "max_output": 300,
        },
    ]


def test_a_task_without_tools_records_no_tools_key(
    evalrun: Any, write: Any, tmp_path: Path
) -> None:
    write("d.jsonl", DATA)
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    assert "tools" not in only_log(tmp_path / "logs")["header"]["task_spec"]
