"""The `agent` solver step (issue 15, part 3): real runs of task files, asserted on the log.

Every run here is scripted with `mockllm` responses (the first rule whose regex is found in
the conversation, tool results included, answers: a later rule fires once a tool's result is
in). Runs go through the in-process API (`evalrun.eval`, then `read_log`); what only the
command line shows (exit status, standard error) through a fresh `python -m evalrun`.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import one_error_line, run_evalrun, write_jsonl

from evalrun.log import EvalLog, EvalSample, read_log, unknown_keys

#: the tools the task files below declare (`MOD:step` names one), in a module of its own
#: per test: runs are in-process, and a module is imported once per process
TOOLS = '''
import time

import anyio


def step(n: int) -> str:
    """Advance one step.

    Args:
        n: the step number.
    """
    return f"result {n}"


def boom(x: int) -> str:
    """Always fails.

    Args:
        x: any number.
    """
    raise ValueError(f"boom {x}")


async def nap(label: str, seconds: float) -> dict:
    """Sleep, and say when (monotonic clock).

    Args:
        label: a name for the call.
        seconds: how long to sleep.
    """
    start = time.monotonic()
    await anyio.sleep(seconds)
    return {"label": label, "start": start, "end": time.monotonic()}


def big(size: int) -> str:
    """A long text.

    Args:
        size: its length.
    """
    return "x" * size
'''

SAMPLES = [{"id": "a", "input": "What is 6 times 7?", "target": "42"}]


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def rule(match: str, *calls: dict[str, Any], output: str | None = None) -> dict[str, Any]:
    """A responses line: these tool calls (and/or this text) when `match` is found."""
    made: dict[str, Any] = {"match": match}
    if calls:
        made["tool_calls"] = list(calls)
    if output is not None:
        made["output"] = output
    return made


def task_file(
    tmp_path: Path,
    body: str,
    rules: list[dict[str, Any]],
    samples: list[dict[str, Any]] = SAMPLES,
    extra: str = "",
) -> Path:
    """`t.yaml` in tmp_path: the samples, mockllm with `rules`, then `body` (where `MOD:`
    names the tools module, written beside it; `extra` is another module's code)."""
    module = "agent_tools_" + re.sub(r"\W", "_", tmp_path.name)
    (tmp_path / f"{module}.py").write_text(TOOLS + extra, encoding="utf-8")
    responses = write_jsonl(tmp_path / "r.jsonl", rules)
    body = textwrap.dedent(body).lstrip("\n").replace("MOD:", f"{module}:")
    text = (
        "name: agentic\n"
        f"dataset:\n  samples: {json.dumps(samples)}\n"
        "model: mockllm/model\n"
        f"model_args: {{responses: {json.dumps(str(responses))}}}\n"
        + ("" if "scorer:" in body else "scorer: [match]\n")
        + body
    )
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(task: Path, **options: Any) -> tuple[Any, EvalLog]:
    """Run `task` in this process; its result and its log (read back, validated)."""
    import evalrun

    (result,) = evalrun.eval([task], log_dir=str(task.parent / "logs"), display="none", **options)
    log = read_log(result.log_path)
    assert log.damage is None
    return result, log


def only_sample(log: EvalLog) -> EvalSample:
    assert len(log.samples) == 1
    return log.samples[0]


def steps(sample: EvalSample) -> list[dict[str, Any]]:
    """The trajectory's steps as written in the log."""
    assert sample.trajectory is not None
    return sample.trajectory.model_dump(mode="json")["steps"]


def messages(sample: EvalSample) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in sample.messages]


def check_numbered(sample: EvalSample) -> None:
    """Steps numbered 1.. in order, turns counted, every call answered by a tool step in
    call order: a complete trajectory."""
    found = steps(sample)
    trajectory = sample.trajectory
    assert trajectory is not None
    assert [s["step"] for s in found] == list(range(1, len(found) + 1))
    model_steps = [s for s in found if s["type"] == "model"]
    assert [s["turn"] for s in model_steps] == list(range(1, trajectory.turns + 1))
    asked = [c["id"] for s in model_steps for c in s.get("tool_calls", [])]
    answered = [s["id"] for s in found if s["type"] == "tool"]
    assert answered == asked[: len(answered)]
    assert trajectory.tool_calls == len(answered)
    assert trajectory.tool_errors == sum(1 for s in found if s["type"] == "tool" and s["error"])
    assert unknown_keys(sample) == []


# -- 1. how the loop ends ----------------------------------------------------------------


def test_submit_ends_the_loop_and_its_answer_is_what_the_scorer_reads(tmp_path: Path) -> None:
    samples = [
        {"id": "right", "input": "right: 6 times 7?", "target": "42"},
        {"id": "wrong", "input": "wrong: 6 times 7?", "target": "42"},
    ]
    rules = [
        # the text said beside the call is not the answer: the submitted one is
        rule("(?s)right.*result 1", call("submit", answer="42"), output="Surely 41."),
        rule("(?s)wrong.*result 1", call("submit", answer="41"), output="Surely 42."),
        rule(".", call("step", n=1)),
    ]
    body = "tools: [submit, {python: 'MOD:step'}]\nsolver: [agent]\n"
    result, log = run(task_file(tmp_path, body, rules, samples))
    assert result.ok and result.counts.errored == 0
    by_id = {s.id: s for s in log.samples}
    for id, answer, value in [("right", "42", "C"), ("wrong", "41", "I")]:
        sample = by_id[id]
        assert sample.error is None and sample.limit is None
        assert sample.answer == answer
        assert sample.output is not None and sample.output.completion == answer
        assert sample.scores["match"].value == value
        assert sample.scores["match"].answer == answer
        trajectory = sample.trajectory
        assert trajectory is not None
        assert (trajectory.end, trajectory.answer, trajectory.turns) == ("submit", answer, 2)
        last = steps(sample)[-1]
        assert (last["name"], last["submitted"], last["output"]) == (
            "submit", answer, "Answer submitted."
        )  # fmt: skip
        assert messages(sample)[-1] == ("tool", "Answer submitted.")
        check_numbered(sample)


def test_an_answer_without_tool_calls_ends_the_loop(tmp_path: Path) -> None:
    rules = [rule("result 1", output="It is 42."), rule(".", call("step", n=1))]
    task = task_file(tmp_path, "tools: [submit, {python: 'MOD:step'}]\nsolver: [agent]\n", rules)
    _, log = run(task)
    sample = only_sample(log)
    trajectory = sample.trajectory
    assert trajectory is not None
    assert (trajectory.end, trajectory.answer, trajectory.turns) == ("no_tool_calls", None, 2)
    last = steps(sample)[-1]
    assert last["type"] == "model" and last["completion"] == "It is 42."
    assert "tool_calls" not in last and last["stop_reason"] == "stop"
    assert sample.output is not None and sample.output.completion == "It is 42."
    assert sample.scores["match"].value == "C"
    check_numbered(sample)


def test_max_turns_ends_the_loop_after_exactly_that_many_turns(tmp_path: Path) -> None:
    rules = [rule(".", call("step", n=1))]  # never done
    task = task_file(
        tmp_path,
        "tools: [submit, {python: 'MOD:step'}]\nsolver: [{agent: {max_turns: 3}}]\n",
        rules,
    )
    result, log = run(task)
    assert result.ok
    sample = only_sample(log)
    assert sample.error is None and sample.limit is None and "match" in sample.scores
    trajectory = sample.trajectory
    assert trajectory is not None
    assert (trajectory.end, trajectory.turns, trajectory.tool_calls) == ("max_turns", 3, 3)
    assert [s["type"] for s in steps(sample)] == ["model", "tool"] * 3
    assert sample.usage.calls == 3
    # system, user, then each turn's call and result
    assert [m.role for m in sample.messages] == ["system", "user"] + ["assistant", "tool"] * 3
    check_numbered(sample)


def _limited(sample: EvalSample, kind: str) -> None:
    """Scored, not errored; the limit recorded; the trajectory ended by it."""
    assert sample.error is None
    assert sample.limit is not None and sample.limit.kind == kind
    assert sample.scores["match"].value == "I"
    assert sample.trajectory is not None and sample.trajectory.end == "limit"


@pytest.mark.parametrize(
    ("limit", "turns"),
    [
        (5, 2),  # the second turn's result is message 6: in the trajectory and the messages
        (4, 1),  # the second turn would be message 5: it is not called at all
    ],
)
def test_a_message_limit_ends_the_loop_and_the_sample_is_scored(
    tmp_path: Path, limit: int, turns: int
) -> None:
    rules = [rule(".", call("step", n=1))]
    body = (
        f"tools: [submit, {{python: 'MOD:step'}}]\nsolver: [agent]\nlimits: {{messages: {limit}}}\n"
    )
    result, log = run(task_file(tmp_path, body, rules))
    assert result.ok and result.counts.limited == 1 and result.counts.errored == 0
    sample = only_sample(log)
    _limited(sample, "messages")
    assert sample.limit is not None and (sample.limit.limit, sample.limit.used) == (
        limit,
        limit + 1,
    )
    trajectory = sample.trajectory
    assert trajectory is not None and trajectory.turns == turns == sample.usage.calls
    assert [s["type"] for s in steps(sample)] == ["model", "tool"] * turns
    assert len(sample.messages) == 2 + 2 * turns  # system, user, then each turn's two
    check_numbered(sample)


def test_a_token_limit_ends_the_loop_and_the_sample_is_scored(tmp_path: Path) -> None:
    rules = [rule(".", call("step", n=1))]
    body = "tools: [submit, {python: 'MOD:step'}]\nsolver: [agent]\nlimits: {tokens: 250}\n"
    result, log = run(task_file(tmp_path, body, rules))
    assert result.ok and result.counts.limited == 1
    sample = only_sample(log)
    _limited(sample, "tokens")
    assert sample.limit is not None and sample.limit.used > 250
    trajectory = sample.trajectory
    assert trajectory is not None and 1 < trajectory.turns < 10
    # every model call is a turn of the trajectory, the one that went past the limit too
    model_steps = [s for s in steps(sample) if s["type"] == "model"]
    assert len(model_steps) == trajectory.turns == sample.usage.calls
    assert sum(s["usage"]["total_tokens"] for s in model_steps) == sample.limit.used
    assert sum(1 for m in sample.messages if m.role == "assistant") == trajectory.turns
    check_numbered(sample)


def test_a_time_limit_ends_the_loop_inside_a_tool_and_the_sample_is_scored(
    tmp_path: Path,
) -> None:
    rules = [rule(".", call("nap", label="slow", seconds=30))]
    body = "tools: [submit, {python: 'MOD:nap'}]\nsolver: [agent]\nlimits: {time: 0.3}\n"
    result, log = run(task_file(tmp_path, body, rules))
    assert result.ok and result.counts.limited == 1
    sample = only_sample(log)
    _limited(sample, "time")
    trajectory = sample.trajectory
    assert trajectory is not None
    # cut in the first turn's call: the turn is there, the call never came back
    assert [s["type"] for s in steps(sample)] == ["model"]
    assert trajectory.turns == 1 and trajectory.tool_calls == 0
    assert 0.25 < trajectory.time < 5 and sample.total_time < 5


# -- 2. tool errors ----------------------------------------------------------------------

BAD_CALLS = [
    (call("boom", x=1), "ValueError: boom 1"),
    (
        call("step", n="abc"),
        "invalid arguments for `step`: argument `n`: Input should be a valid integer, unable "
        'to parse string as an integer (got "abc")',
    ),
    (call("step"), "invalid arguments for `step`: missing required argument `n`"),
    (call("step", n=1, extra=2), "invalid arguments for `step`: unknown argument `extra`"),
    (call("nope", x=1), "unknown tool `nope`: the tools are submit, step, boom"),
]
ERROR_TOOLS = "tools: [submit, {python: 'MOD:step'}, {python: 'MOD:boom'}]\n"


def test_tool_errors_are_fed_back_and_the_loop_goes_on(tmp_path: Path) -> None:
    rules = [
        rule("unknown tool `nope`", call("submit", answer="42")),
        rule(".", *(bad for bad, _ in BAD_CALLS)),
    ]
    result, log = run(task_file(tmp_path, ERROR_TOOLS + "solver: [agent]\n", rules))
    assert result.ok
    sample = only_sample(log)
    assert sample.error is None and sample.scores["match"].value == "C"
    found = steps(sample)
    tool_steps = found[1 : 1 + len(BAD_CALLS)]
    for (bad, message), got in zip(BAD_CALLS, tool_steps, strict=True):
        assert (got["type"], got["turn"], got["name"]) == ("tool", 1, bad["name"])
        assert got["arguments"] == bad["arguments"]
        assert got["error"] == got["output"] == message
    results = [m for m in sample.messages if m.role == "tool"][: len(BAD_CALLS)]
    assert [(m.name, m.content) for m in results] == [
        (bad["name"], message) for bad, message in BAD_CALLS
    ]
    trajectory = sample.trajectory
    assert trajectory is not None
    assert (trajectory.end, trajectory.turns, trajectory.tool_errors) == ("submit", 2, 5)
    assert trajectory.tool_calls == 6
    check_numbered(sample)


def test_with_tool_errors_fail_a_tool_error_fails_the_sample(tmp_path: Path) -> None:
    samples = [
        {"id": "raises", "input": "raises", "target": "42"},
        {"id": "ghost", "input": "ghost", "target": "42"},
        {"id": "typed", "input": "typed", "target": "42"},
    ]
    rules = [
        rule("raises", call("step", n=1), call("boom", x=1)),
        rule("ghost", call("nope")),
        rule("typed", call("step", n="abc")),
    ]
    body = ERROR_TOOLS + "solver: [{agent: {tool_errors: fail}}]\n"
    result, log = run(task_file(tmp_path, body, rules, samples), fail_on_error=False)
    assert result.counts.errored == 3
    by_id = {s.id: s for s in log.samples}
    for id, named in [("raises", "boom"), ("ghost", "nope"), ("typed", "step")]:
        sample = by_id[id]
        assert sample.error is not None and sample.scores == {}
        assert f"tool `{named}` failed: " in sample.error.message
        trajectory = sample.trajectory
        assert trajectory is not None
        assert (trajectory.end, trajectory.turns, trajectory.tool_errors) == ("tool_error", 1, 1)
        check_numbered(sample)
    assert by_id["raises"].error.message.endswith("tool `boom` failed: ValueError: boom 1")
    # the whole turn ran and is recorded, the call that worked too
    assert [(s["name"], s["error"]) for s in steps(by_id["raises"])[1:]] == [
        ("step", None), ("boom", "ValueError: boom 1"),
    ]  # fmt: skip


def test_tool_errors_fail_makes_the_run_fail(tmp_path: Path) -> None:
    rules = [rule(".", call("boom", x=1))]
    task = task_file(tmp_path, ERROR_TOOLS + "solver: [{agent: {tool_errors: fail}}]\n", rules)
    done = run_evalrun("eval", str(task), "--log-dir", str(tmp_path / "logs"), "--display", "plain")
    assert done.code == 1, done.output
    assert "Traceback" not in done.output
    (path,) = (tmp_path / "logs").glob("*.eval")
    sample = only_sample(read_log(path))
    assert sample.error is not None and "tool `boom` failed" in sample.error.message


# -- 3. parallel and sequential calls ----------------------------------------------------


@pytest.mark.parametrize("parallel", [True, False])
def test_parallel_and_sequential_tool_calls(tmp_path: Path, parallel: bool) -> None:
    # the first call is the slower: run together, it ends last, and is still step 2
    rules = [
        rule('"label":"b"', call("submit", answer="42")),
        rule(".", call("nap", label="a", seconds=0.3), call("nap", label="b", seconds=0.2)),
    ]
    flag = "true" if parallel else "false"
    body = (
        f"tools: [submit, {{python: 'MOD:nap'}}]\nsolver:\n  - agent: {{parallel_tools: {flag}}}\n"
    )
    _, log = run(task_file(tmp_path, body, rules))
    sample = only_sample(log)
    assert sample.error is None and sample.trajectory is not None
    assert sample.trajectory.end == "submit"
    found = steps(sample)
    naps = found[1:3]
    assert [(s["step"], s["id"], s["arguments"]["label"]) for s in naps] == [
        (2, "call_1", "a"), (3, "call_2", "b"),
    ]  # fmt: skip
    a, b = (json.loads(s["output"]) for s in naps)
    assert [m.tool_call_id for m in sample.messages if m.role == "tool"][:2] == ["call_1", "call_2"]
    if parallel:
        assert b["start"] < a["end"] and a["start"] < b["end"]  # they overlapped
        assert b["end"] < a["end"]
        assert max(a["end"], b["end"]) - min(a["start"], b["start"]) < 0.5
    else:
        assert a["end"] <= b["start"]  # one after the other, in call order
        assert b["end"] - a["start"] >= 0.5
    check_numbered(sample)


# -- 4, 5. timeouts and long outputs -----------------------------------------------------


def test_a_tool_timeout_is_fed_back_and_the_loop_goes_on(tmp_path: Path) -> None:
    rules = [
        rule("timed out", call("submit", answer="42")),
        rule(".", call("nap", label="slow", seconds=30)),
    ]
    body = "tools: [submit, {python: 'MOD:nap', timeout: 0.2}]\nsolver: [agent]\n"
    _, log = run(task_file(tmp_path, body, rules))
    sample = only_sample(log)
    assert sample.error is None and sample.scores["match"].value == "C"
    nap = steps(sample)[1]
    assert nap["name"] == "nap"
    assert nap["error"] == nap["output"] == "`nap` timed out after 0.2 s"
    assert 0.15 < nap["time"] < 2
    assert ("tool", "`nap` timed out after 0.2 s") in messages(sample)
    trajectory = sample.trajectory
    assert trajectory is not None
    assert (trajectory.end, trajectory.turns, trajectory.tool_errors) == ("submit", 2, 1)


DOZE = '''
def doze(seconds: float) -> str:
    """Block the thread.

    Args:
        seconds: how long.
    """
    time.sleep(seconds)
    return "woke"
'''


def test_a_sync_tool_abandoned_at_its_timeout_does_not_hold_the_process_at_exit(
    tmp_path: Path,
) -> None:
    """The call's thread sleeps on for 60 s after the run ends; the process exits anyway
    (tool threads are daemons: a pool joined at exit would wait for it)."""
    rules = [rule("timed out", call("submit", answer="42")), rule(".", call("doze", seconds=60))]
    body = "tools: [submit, {python: 'MOD:doze', timeout: 0.2}]\nsolver: [agent]\n"
    task = task_file(tmp_path, body, rules, extra=DOZE)
    result = run_evalrun("eval", str(task), "--log-dir", str(tmp_path / "logs"), timeout=30)
    assert result.code == 0, result.err
    sample = only_sample(read_log(next((tmp_path / "logs").glob("*.eval"))))
    assert steps(sample)[1]["error"] == "`doze` timed out after 0.2 s"
    assert sample.scores["match"].value == "C"


def test_a_long_output_is_capped_in_the_message_and_the_step(tmp_path: Path) -> None:
    rules = [
        rule("output truncated", call("submit", answer="42")),
        rule(".", call("big", size=250)),
    ]
    body = "tools: [submit, {python: 'MOD:big', max_output: 100}]\nsolver: [agent]\n"
    _, log = run(task_file(tmp_path, body, rules))
    sample = only_sample(log)
    capped = "x" * 100 + "\n[output truncated: 150 of 250 characters cut]"
    big = steps(sample)[1]
    assert (big["name"], big["output"], big["error"]) == ("big", capped, None)
    (result,) = [m for m in sample.messages if m.role == "tool" and m.name == "big"]
    assert result.content == capped
    assert sample.trajectory is not None and sample.trajectory.end == "submit"


# -- 6. the trajectory, exactly ----------------------------------------------------------


def test_the_trajectory_is_recorded_exactly(tmp_path: Path) -> None:
    rules = [
        rule("result 2", call("submit", answer="42"), output="Done."),
        rule("result 1", call("calculator", expression="6*7"), call("step", n=2)),
        rule(".", call("step", n=1), output="Let me start."),
    ]
    body = "tools: [calculator, submit, {python: 'MOD:step'}]\nsolver: [agent]\n"
    _, log = run(task_file(tmp_path, body, rules))
    sample = only_sample(log)
    assert unknown_keys(sample) == []
    found = steps(sample)
    for step in found:
        assert step.pop("time") >= 0
        if step["type"] == "model":
            usage = step.pop("usage")
            assert usage["calls"] == 1 and usage["total_tokens"] > 0
    model = {"stop_reason": "tool_calls", "cached": False}
    assert found == [
        {"step": 1, "type": "model", "turn": 1, "completion": "Let me start.",
         "tool_calls": [{"id": "call_1", "name": "step", "arguments": {"n": 1}}], **model},
        {"step": 2, "type": "tool", "turn": 1, "id": "call_1", "name": "step",
         "arguments": {"n": 1}, "output": "result 1", "error": None},
        {"step": 3, "type": "model", "turn": 2, "completion": "", "tool_calls": [
            {"id": "call_2", "name": "calculator", "arguments": {"expression": "6*7"}},
            {"id": "call_3", "name": "step", "arguments": {"n": 2}},
        ], **model},
        {"step": 4, "type": "tool", "turn": 2, "id": "call_2", "name": "calculator",
         "arguments": {"expression": "6*7"}, "output": "42", "error": None},
        {"step": 5, "type": "tool", "turn": 2, "id": "call_3", "name": "step",
         "arguments": {"n": 2}, "output": "result 2", "error": None},
        {"step": 6, "type": "model", "turn": 3, "completion": "Done.",
         "tool_calls": [{"id": "call_4", "name": "submit", "arguments": {"answer": "42"}}],
         **model},
        {"step": 7, "type": "tool", "turn": 3, "id": "call_4", "name": "submit",
         "arguments": {"answer": "42"}, "output": "Answer submitted.", "error": None,
         "submitted": "42"},
    ]  # fmt: skip
    trajectory = sample.trajectory
    assert trajectory is not None
    assert (trajectory.turns, trajectory.tool_calls, trajectory.tool_errors) == (3, 4, 0)
    assert (trajectory.end, trajectory.answer) == ("submit", "42")
    assert 0 <= trajectory.time <= sample.total_time
    # the model steps' usage is the sample's
    model_usage = [s["usage"] for s in steps(sample) if s["type"] == "model"]
    assert sum(u["total_tokens"] for u in model_usage) == sample.usage.total_tokens
    # the conversation holds the same calls and results
    assert [(m.role, m.content, m.tool_call_id) for m in sample.messages[2:]] == [
        ("assistant", "Let me start.", None), ("tool", "result 1", "call_1"),
        ("assistant", "", None), ("tool", "42", "call_2"), ("tool", "result 2", "call_3"),
        ("assistant", "Done.", None), ("tool", "Answer submitted.", "call_4"),
    ]  # fmt: skip


# -- 7. prompts --------------------------------------------------------------------------


def test_system_and_turn_prompts_are_rendered_templates(tmp_path: Path) -> None:
    rules = [rule(".", call("step", n=1))]
    body = """
        tools: [submit, {python: 'MOD:step'}]
        solver:
          - agent:
              max_turns: 3
              system_prompt: "Use {{ tools | join(' or ') }} in {{ max_turns }} turns for {{ id }}."
              turn_prompt: "{{ turns_left }} turns left (turn {{ turn }}) on: {{ input }}"
        """
    _, log = run(task_file(tmp_path, body, rules))
    sample = only_sample(log)
    question = "What is 6 times 7?"
    assert messages(sample) == [
        ("system", "Use submit or step in 3 turns for a."),
        ("user", question),
        ("assistant", ""), ("tool", "result 1"),
        ("user", f"2 turns left (turn 2) on: {question}"),
        ("assistant", ""), ("tool", "result 1"),
        ("user", f"1 turns left (turn 3) on: {question}"),
        ("assistant", ""), ("tool", "result 1"),
    ]  # fmt: skip
    assert sample.trajectory is not None and sample.trajectory.end == "max_turns"


def test_system_prompt_null_adds_no_system_message(tmp_path: Path) -> None:
    rules = [rule(".", output="42")]
    body = "tools: [submit]\nsolver: [{agent: {system_prompt: null}}]\n"
    _, log = run(task_file(tmp_path, body, rules))
    assert messages(only_sample(log)) == [("user", "What is 6 times 7?"), ("assistant", "42")]


# -- 8. the step's tools, and bad steps --------------------------------------------------


def test_the_steps_tools_replace_the_tasks(tmp_path: Path) -> None:
    rules = [
        rule("unknown tool", call("submit", answer="42")),
        rule(".", call("step", n=1)),
    ]
    body = """
        tools: [calculator, submit, {python: 'MOD:step'}]
        solver:
          - agent: {tools: [think, submit]}
        """
    _, log = run(task_file(tmp_path, body, rules))
    sample = only_sample(log)
    assert sample.messages[0].content.startswith("You are an agent solving a task with tools "
                                                  "(think, submit).")  # fmt: skip
    called = steps(sample)[1]
    assert called["name"] == "step"
    assert called["error"] == "unknown tool `step`: the tools are think, submit"
    assert sample.trajectory is not None and sample.trajectory.end == "submit"


BAD_STEPS = {
    # (the step, the text on the line of the error, its column, the message)
    "no_tools": ("solver: [agent]\n", "solver:", 10,
                 "agent: no tools to offer: declare `tools:` on the task or on the step"),
    "no_tools_mapping": ("solver:\n  - agent: {max_turns: 3}\n", "- agent:", 12,
                         "agent: no tools to offer"),
    "zero_turns": ("tools: [submit]\nsolver:\n  - agent: {max_turns: 0}\n", "max_turns", 24,
                   "input should be greater than or equal to 1"),
    "unknown_key": ("tools: [submit]\nsolver:\n  - agent: {max_turn: 3}\n", "max_turn", 13,
                    "unknown key `max_turn`; did you mean `max_turns`?"),
    "bad_tool_errors": ("tools: [submit]\nsolver:\n  - agent: {tool_errors: stop}\n",
                        "tool_errors", 26, "'continue' or 'fail'"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD_STEPS))
def test_bad_agent_steps_are_located_load_errors(tmp_path: Path, case: str) -> None:
    body, marker, column, message = BAD_STEPS[case]
    task = task_file(tmp_path, body, [rule(".", output="42")])
    lines = task.read_text(encoding="utf-8").splitlines()
    (line,) = [n for n, text in enumerate(lines, start=1) if marker in text]
    done = run_evalrun("eval", str(task), "--log-dir", str(tmp_path / "logs"))
    error = one_error_line(done)
    assert error.startswith(f"{task}:{line}:{column}: "), error
    assert message in error, error
    assert not (tmp_path / "logs").exists()


# -- 9. scorers reading the trajectory ---------------------------------------------------

SCORER = """

from evalrun import Score


def used_calculator(state, target):
    trajectory = state.trajectory
    used = trajectory.calls("calculator")
    return Score(
        1 if used else 0,
        answer=trajectory.answer,
        explanation=f"{trajectory.turns} turns, {len(used)} calculator calls, "
        f"{len(trajectory.calls())} calls, end {trajectory.end}",
    )
"""


def test_a_python_scorer_reads_the_trajectory_and_rescoring_restores_it(tmp_path: Path) -> None:
    samples = [
        {"id": "calc", "input": "calc: 6 times 7?", "target": "42"},
        {"id": "guess", "input": "guess: 6 times 7?", "target": "42"},
    ]
    rules = [
        rule("(?s)calc:.*\n42", call("submit", answer="42")),
        rule("calc:", call("calculator", expression="6*7")),
        rule("(?s)guess:.*result 1", call("submit", answer="41")),
        rule("guess:", call("step", n=1)),
    ]
    body = """
        tools: [calculator, submit, {python: 'MOD:step'}]
        solver: [agent]
        scorer:
          - python: "MOD:used_calculator"
        """
    _, log = run(task_file(tmp_path, body, rules, samples, extra=SCORER))
    expected = {
        "calc": (1, "42", "2 turns, 1 calculator calls, 2 calls, end submit"),
        "guess": (0, "41", "2 turns, 0 calculator calls, 2 calls, end submit"),
    }
    scored = {
        s.id: (s.scores["python"].value, s.scores["python"].answer, s.scores["python"].explanation)
        for s in log.samples
    }
    assert scored == expected

    (path,) = (tmp_path / "logs").glob("*.eval")
    done = run_evalrun("score", str(path), "--log-dir", str(tmp_path / "rescored"))
    assert done.code == 0, done.output
    (again,) = (tmp_path / "rescored").glob("*.eval")
    rescored = read_log(again)
    assert {
        s.id: (s.scores["python"].value, s.scores["python"].answer, s.scores["python"].explanation)
        for s in rescored.samples
    } == expected
    for old, new in zip(log.samples, rescored.samples, strict=True):
        assert new.trajectory == old.trajectory


# -- 10. epochs --------------------------------------------------------------------------


def test_each_epoch_has_its_own_complete_trajectory(tmp_path: Path) -> None:
    samples = [
        {"id": "a", "input": "a: 6 times 7?", "target": "42"},
        {"id": "b", "input": "b: 6 times 7?", "target": "42"},
    ]
    rules = [rule("result 2", call("submit", answer="42")), rule("result 1", call("step", n=2)),
             rule(".", call("step", n=1))]  # fmt: skip
    body = "tools: [submit, {python: 'MOD:step'}]\nsolver: [agent]\n"
    result, log = run(task_file(tmp_path, body, rules, samples), epochs=2)
    assert result.ok and result.counts.completed == 4
    assert sorted((s.id, s.epoch) for s in log.samples) == [
        ("a", 1), ("a", 2), ("b", 1), ("b", 2),
    ]  # fmt: skip
    for sample in log.samples:
        trajectory = sample.trajectory
        assert trajectory is not None
        assert (trajectory.end, trajectory.answer, trajectory.turns) == ("submit", "42", 3)
        assert [(s["type"], s.get("name")) for s in steps(sample)] == [
            ("model", None), ("tool", "step"), ("model", None), ("tool", "step"),
            ("model", None), ("tool", "submit"),
        ]  # fmt: skip
        assert [s["id"] for s in steps(sample) if s["type"] == "tool"] == [
            "call_1", "call_2", "call_3",
        ]  # fmt: skip
        assert sample.scores["match"].value == "C"
        check_numbered(sample)


def test_a_submitted_answer_stands_when_its_reply_crosses_the_message_limit(
    tmp_path: Path,
) -> None:
    """system + user + the model's submit call fill `messages: 3`; the tool's reply would
    be the 4th, but no turn reads it: the sample is scored on the submitted answer."""
    rules = [rule(".", call("submit", answer="42"), output="thinking 41")]
    body = "tools: [submit]\nsolver: [agent]\nlimits: {messages: 3}\n"
    _, log = run(task_file(tmp_path, body, rules))
    sample = only_sample(log)
    assert (sample.answer, sample.limit, sample.scores["match"].value) == ("42", None, "C")
    assert sample.trajectory is not None
    assert (sample.trajectory.end, sample.trajectory.answer) == ("submit", "42")


def test_an_oversized_agent_record_is_logged_without_its_trajectory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The size guard counts the trajectory's text (it repeats the turns' and tools'), and
    the error record put in the sample's place does not carry it."""
    from evalrun.engine import _sample

    monkeypatch.setattr(_sample, "MAX_RECORD_CHARS", 1_000)  # (a smaller bound, same code)
    steps = [{"step": 1, "type": "tool", "output": "y" * 2_000}]
    record = {"input": "q", "messages": [], "trajectory": {"steps": steps}}
    line, whole = _sample.encode_record(record)
    assert not whole
    written = json.loads(line)
    assert "trajectory" not in written and "too large" in written["error"]["message"]


def test_a_builtin_given_a_timeout_runs_where_the_timeout_applies(tmp_path: Path) -> None:
    """Built-ins run in the event loop (no thread, no timeout) unless a timeout is asked
    for: then on a tool thread, where it holds."""
    import evalrun

    body = "tools: [calculator, {builtin: think, timeout: 5}]\nsolver: [agent]\n"
    (task,) = evalrun.load_tasks(task_file(tmp_path, body, []))
    assert [(t.name, t.inline, t.timeout) for t in task.tools] == [
        ("calculator", True, 60.0),
        ("think", False, 5.0),
    ]
