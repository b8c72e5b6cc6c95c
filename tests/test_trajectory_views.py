"""An agent's trajectory in the terminal (issue 15): `evalrun log sample` shows it step by
step, `evalrun log samples` rows carry its turns, tool errors and end. On real logs
written by `evalrun eval` running an agentic task on mockllm, whose responses script the
tool calls (`agent_task` is shared with the viewer's tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import logs_in, raw_log, run_forked, write_jsonl

#: what the `find_place` tool answers for `tower`: HTML (the viewer must show it as text)
#: over two lines
HOSTILE_OUTPUT = '<img src=x onerror="window.pwned=1"><b>Paris</b>\nline two'

LOOKUP = f'''\
def find_place(place: str) -> str:
    """Where a place is.

    Args:
        place: the place's name.
    """
    if place == "tower":
        return {HOSTILE_OUTPUT!r}
    raise ValueError(f"no place named {{place}}")
'''

#: the later state of a conversation first: the first rule matching the prompt wins
RESPONSES = [
    {"match": r"Oops, again\.", "tool_calls": [{"name": "submit", "arguments": {"answer": "5"}}]},
    {
        "match": r"Let me compute\.",
        "output": "Oops, again.",
        "tool_calls": [{"name": "calculator", "arguments": {"expression": "2 + 3"}}],
    },
    {
        "match": "Add 2 and 3",
        "output": "Let me compute.",
        "tool_calls": [{"name": "calculator", "arguments": {"expression": "2 +* 3"}}],
    },
    {"match": r"Looking up\.", "output": "It is in Paris."},
    {
        "match": "Where is the tower",
        "output": "Looking up.",
        "tool_calls": [
            {"name": "find_place", "arguments": {"place": "tower"}},
            {"name": "find_place", "arguments": {"place": "moon"}},
        ],
    },
    {"match": "Keep thinking", "tool_calls": [{"name": "think", "arguments": {"thought": "more"}}]},
]

TASK = """\
name: {name}
dataset: {{path: data.jsonl}}
tools: [calculator, submit, think, {{python: "lookup:find_place"}}]
solver:
  - agent: {{max_turns: 4, tool_errors: {tool_errors}}}
scorer: [match]
model: mockllm/model
model_args: {{responses: responses.jsonl}}
{limits}"""


def agent_task(folder: Path, *, strict: bool = False) -> Path:
    """An agentic task in `folder` with three samples, each ending its loop another way:
    `sum` (a calculator error, a retry, then `submit` 5), `city` (two calls in one turn:
    `find_place` answers HTML over two lines, then fails; then a reply without tool
    calls) and `loop` (`think` until `max_turns`, 4). `strict`: under `tool_errors: fail`
    and a limit of 6 messages (`sum` and `city` end on `tool_error`, `loop` at the limit)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lookup.py").write_text(LOOKUP)
    write_jsonl(folder / "data.jsonl", [
        {"id": "sum", "input": "Add 2 and 3.", "target": "5"},
        {"id": "city", "input": "Where is the tower?", "target": "Paris"},
        {"id": "loop", "input": "Keep thinking.", "target": "nothing"},
    ])  # fmt: skip
    write_jsonl(folder / "responses.jsonl", RESPONSES)
    name = "agentic-strict" if strict else "agentic"
    path = folder / f"{name}.yaml"
    path.write_text(
        TASK.format(
            name=name,
            tool_errors="fail" if strict else "continue",
            limits="limits: {messages: 6}\n" if strict else "",
        )
    )
    return path


def _run(folder: Path, *args: str) -> Any:
    return run_forked(*args, cwd=folder, env={"EVALRUN_LOG_DIR": str(folder / "logs")})


@pytest.fixture(scope="module")
def agentic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agentic task's log, two epochs."""
    folder = tmp_path_factory.mktemp("agentic")
    task = agent_task(folder)
    result = _run(folder, "eval", str(task), "--epochs", "2", "--display", "none")
    assert result.code == 0, result.output
    (path,) = logs_in(folder / "logs")
    return path


@pytest.fixture(scope="module")
def agentic_log(agentic: Path) -> dict[str, Any]:
    return raw_log(agentic)


def _sample(log: dict[str, Any], sample_id: str, epoch: int = 1) -> dict[str, Any]:
    return next(s for s in log["samples"] if s["id"] == sample_id and s["epoch"] == epoch)


def _shown(folder: Path, *args: str) -> list[str]:
    result = _run(folder, "log", "sample", *args)
    assert result.code == 0, result.output
    return result.out.splitlines()


def _trajectory(lines: list[str]) -> list[str]:
    """The trajectory's lines: from its totals line to the rule that closes it."""
    start = next(i for i, line in enumerate(lines) if line.startswith("trajectory: "))
    end = lines.index("─" * 44, start)
    return lines[start:end]


def _steps(lines: list[str]) -> dict[int, list[str]]:
    """Each step's lines (its header first), by its number."""
    steps: dict[int, list[str]] = {}
    current: list[str] = []
    for line in lines[1:]:
        if line.startswith("── "):
            current = steps.setdefault(int(line[3:].split(".")[0]), [])
        current.append(line)
    return steps


def test_a_submitted_trajectory_step_by_step(agentic: Path, agentic_log) -> None:
    sample = _sample(agentic_log, "sum")
    trajectory = sample["trajectory"]
    assert (trajectory["end"], trajectory["turns"], trajectory["tool_errors"]) == ("submit", 3, 1)
    lines = _trajectory(_shown(agentic.parent, str(agentic), "sum", "--epoch", "1"))
    assert lines[0].startswith(
        "trajectory: 3 turns, 3 tool calls, 1 tool error, end: submit, answer: 5, time: "
    ), lines[0]
    steps = _steps(lines)
    assert list(steps) == [s["step"] for s in trajectory["steps"]] == [1, 2, 3, 4, 5, 6]
    for step in trajectory["steps"]:
        header = steps[step["step"]][0]
        if step["type"] == "model":
            assert header.startswith(f"── {step['step']}. model, turn {step['turn']} ─"), header
            facts = re.search(r"─ (\S+) tokens, ([\d.]+)(ms|s)$", header)
            assert facts and facts[1] == f"{step['usage']['total_tokens']:,}", header
        else:
            assert header.startswith(
                f"── {step['step']}. tool {step['name']}, turn {step['turn']} [{step['id']}] ─"
            ), header
            assert steps[step["step"]][1] == "  arguments: " + json.dumps(step["arguments"])
    # a model turn: its text, the calls it asked for with their arguments
    assert steps[1][1:] == [
        "Let me compute.",
        '  → calculator({"expression": "2 +* 3"})  [call_1]',
    ]
    assert steps[5][1:] == ["(no text)", '  → submit({"answer": "5"})  [call_3]']
    # a failed call: its error marked, in its header too
    failed = trajectory["steps"][1]
    assert steps[2][0].endswith(", failed")
    assert steps[2][2:] == [f"  ERROR: {failed['error']}"]
    assert steps[4][2:] == ["  output: 5"]
    # submit: what was submitted
    assert steps[6][0].endswith(", submitted")
    assert steps[6][2:] == ["  output: Answer submitted.", "  submitted: 5"]


def test_parallel_calls_a_long_output_and_an_answer_without_tools(
    agentic: Path, agentic_log
) -> None:
    trajectory = _sample(agentic_log, "city")["trajectory"]
    lines = _trajectory(_shown(agentic.parent, str(agentic), "city", "--epoch", "1"))
    assert lines[0].startswith(
        "trajectory: 2 turns, 2 tool calls, 1 tool error, end: no_tool_calls, answer: -, "
    )
    steps = _steps(lines)
    assert [s[0].split(",")[0] for s in steps.values()] == [
        "── 1. model", "── 2. tool find_place", "── 3. tool find_place", "── 4. model",
    ]  # fmt: skip
    assert steps[1][2:] == [
        '  → find_place({"place": "tower"})  [call_1]',
        '  → find_place({"place": "moon"})  [call_2]',
    ]
    # an output of several lines, whole, as it was (HTML is text in a terminal)
    assert trajectory["steps"][1]["output"] == HOSTILE_OUTPUT
    assert steps[2][2:] == ["  output:", *("    " + line for line in HOSTILE_OUTPUT.splitlines())]
    assert steps[3][2:] == ["  ERROR: ValueError: no place named moon"]
    assert steps[4][1:] == ["It is in Paris."]


def test_max_turns_every_epoch_and_one(agentic: Path, agentic_log) -> None:
    out = _shown(agentic.parent, str(agentic), "loop")
    totals = [line for line in out if line.startswith("trajectory: ")]
    assert len(totals) == 2  # both epochs, each with its trajectory
    assert all(
        t.startswith("trajectory: 4 turns, 4 tool calls, 0 tool errors, end: max_turns")
        for t in totals
    )
    one = _shown(agentic.parent, str(agentic), "loop", "--epoch", "2")
    assert one[0] == "sample loop  epoch 2  attempt 1"
    steps = _steps(_trajectory(one))
    assert len(steps) == 8
    assert [s[0].split(",")[0] for s in steps.values()] == [
        f"── {n}. model" if n % 2 else f"── {n}. tool think" for n in range(1, 9)
    ]
    # the transcript names each tool message's tool and lists the calls a turn asked for
    assert "── tool think " + "─" * 30 in one
    assert '  → think({"thought": "more"})  [call_4]' in one


def test_rows_carry_turns_tool_errors_and_end(agentic: Path, agentic_log) -> None:
    samples = agentic_log["samples"]
    result = _run(agentic.parent, "log", "samples", str(agentic), "--json", "--limit", "0")
    assert result.code == 0, result.output
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [(r["id"], r["epoch"]) for r in rows] == [(s["id"], s["epoch"]) for s in samples]
    for row, sample in zip(rows, samples, strict=True):
        t = sample["trajectory"]
        assert (row["turns"], row["tool_errors"], row["end"]) == (
            t["turns"], t["tool_errors"], t["end"],
        )  # fmt: skip
    # the table: a turns column, max_turns flagged as a limit is
    table = _run(agentic.parent, "log", "samples", str(agentic))
    lines = table.out.splitlines()
    assert lines[0].split() == ["id", "ep", "match", "answer", "error", "turns", "tokens", "time"]
    assert all(len(line) <= 80 for line in lines)
    for line in lines[1:-1]:
        cells = line.split()
        sample = _sample(agentic_log, cells[0], int(cells[1]))
        assert str(sample["trajectory"]["turns"]) in cells
        assert ("max_turns" in cells) == (sample["trajectory"]["end"] == "max_turns")
    # sorted and filtered on them
    ordered = _run(agentic.parent, "log", "samples", str(agentic), "--json", "--sort", "-turns")
    turns = [json.loads(line)["turns"] for line in ordered.out.splitlines()]
    assert turns == sorted((s["trajectory"]["turns"] for s in samples), reverse=True)
    where = "tool_errors > 0 and end != 'submit'"
    found = _run(agentic.parent, "log", "samples", str(agentic), "--json", "--where", where)
    assert [json.loads(line)["id"] for line in found.out.splitlines()] == ["city", "city"]


def test_a_tool_error_and_a_limit_end_the_loop(tmp_path: Path) -> None:
    task = agent_task(tmp_path, strict=True)
    result = _run(tmp_path, "eval", str(task), "--display", "none", "--no-fail-on-error")
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    log = raw_log(path)
    failed = _sample(log, "sum")
    assert failed["trajectory"]["end"] == "tool_error" and failed["error"]
    lines = _shown(tmp_path, str(path), "sum")
    (totals,) = [line for line in lines if line.startswith("trajectory: ")]
    assert totals.startswith("trajectory: 1 turn, 1 tool call, 1 tool error, end: tool_error")
    assert f"error: {failed['error']['kind']}: {failed['error']['message']}" in lines
    limited = _sample(log, "loop")
    assert limited["trajectory"]["end"] == "limit" and limited["limit"]["kind"] == "messages"
    lines = _shown(tmp_path, str(path), "loop")
    (totals,) = [line for line in lines if line.startswith("trajectory: ")]
    assert ", end: limit, " in totals
    assert any(line.startswith("limit hit: messages ") for line in lines)


def test_arguments_that_were_not_a_json_object(agentic_log, tmp_path: Path) -> None:
    """A call whose arguments the model did not write as a JSON object: shown as it wrote
    them (mockllm writes only objects: the record is the agentic log's, with one call's
    arguments made raw, as litellm records them)."""
    from evalrun.log import open_writer

    record = json.loads(json.dumps(_sample(agentic_log, "city")))
    turn, call = record["trajectory"]["steps"][0], record["trajectory"]["steps"][2]
    turn["tool_calls"][1].update(arguments={}, raw_arguments="{moon")
    call.update(arguments={}, raw_arguments="{moon")
    writer = open_writer(tmp_path / "raw.eval", agentic_log["header"], agentic_log["dataset"])
    writer.write_raw(json.dumps(record, separators=(",", ":")).encode())
    writer.close("success", None, {}, None)
    steps = _steps(_trajectory(_shown(tmp_path, str(tmp_path / "raw.eval"), "city")))
    assert steps[1][-1] == "  → find_place({moon)  [call_2]"
    assert steps[3][1:3] == ["  arguments: {}", "  raw arguments: {moon"]
