"""Agentic runs (issue 15) as whole processes: an agent run killed mid-way and finished by
`eval-retry`, an agent through litellm against the fake OpenAI server, the built-in
`calculator` refusing code through the agent, the response cache with tools, and
`eval-set` over an agentic task. Real task files, real processes, asserted on the logs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import logs_in, raw_log, run_forked, write_jsonl
from fake_openai import FakeOpenAI
from test_retry import wait_for_samples

from evalrun.log import SampleCounts

#: the tool the task files below declare (`{python: "agent_steps:step"}`), beside them
STEPS_MODULE = '''
def step(n: int) -> str:
    """Advance one step.

    Args:
        n: the step number.
    """
    return f"result {n}"
'''


def call(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


#: mockllm's script: every sample steps 1, 2, 3 (with a calculator call beside step 3),
#: then submits; a sample whose input says LONG takes a fourth step first. The first rule
#: found in the conversation (tool results included) answers, so a later one fires once
#: the step before it has its result in.
RULES = [
    {"match": "result 4", "tool_calls": [call("submit", answer="42")]},
    {"match": "(?s)SHORT.*result 3", "tool_calls": [call("submit", answer="42")]},
    {"match": "result 3", "tool_calls": [call("step", n=4)]},
    {"match": "result 2", "tool_calls": [call("step", n=3), call("calculator", expression="6*7")]},
    {"match": "result 1", "tool_calls": [call("step", n=2)]},
    {"match": ".", "tool_calls": [call("step", n=1)]},
]

#: the (type, tool name) of each step of a SHORT sample's trajectory, and a LONG one's
SHORT = [
    ("model", None), ("tool", "step"),
    ("model", None), ("tool", "step"),
    ("model", None), ("tool", "step"), ("tool", "calculator"),
    ("model", None), ("tool", "submit"),
]  # fmt: skip
LONG = [*SHORT[:-2], ("model", None), ("tool", "step"), *SHORT[-2:]]


def agentic_task(
    folder: Path, samples: int, epochs: int = 1, tools: str = "calculator, submit", agent: str = ""
) -> Path:
    """`t.yaml` in `folder`: `samples` samples (odd ones LONG), the steps tool module and
    mockllm's responses file (`r.jsonl`) beside it; `agent` is the agent step's arguments."""
    (folder / "agent_steps.py").write_text(STEPS_MODULE, encoding="utf-8")
    write_jsonl(folder / "r.jsonl", RULES)
    rows = [
        {"id": f"s{i}", "input": f"Sample {i} ({'LONG' if i % 2 else 'SHORT'}): 6 times 7?",
         "target": "42"}
        for i in range(samples)
    ]  # fmt: skip
    write_jsonl(folder / "d.jsonl", rows)
    path = folder / "t.yaml"
    path.write_text(
        "name: agentic\n"
        "dataset: {path: d.jsonl}\n"
        f"epochs: {epochs}\n"
        f"tools: [{tools}, {{python: 'agent_steps:step'}}]\n"
        f"solver:\n  - agent: {{max_turns: 8{agent}}}\n"
        "scorer: [match]\n",
        encoding="utf-8",
    )
    return path


def mock_args(folder: Path) -> list[str]:
    return ["-M", f"responses={folder / 'r.jsonl'}"]


def check_trajectory(sample: dict[str, Any]) -> None:
    """A finished, whole trajectory: submitted after every turn the script has, its steps
    numbered 1..n in order, each tool step answering the call its model step made."""
    assert sample["error"] is None, sample["error"]
    long = int(sample["id"][1:]) % 2 == 1
    expected = LONG if long else SHORT
    trajectory = sample["trajectory"]
    steps = trajectory["steps"]
    assert [(s["type"], s.get("name")) for s in steps] == expected, sample["id"]
    assert [s["step"] for s in steps] == list(range(1, len(expected) + 1))
    assert (trajectory["end"], trajectory["answer"]) == ("submit", "42")
    assert trajectory["turns"] == (5 if long else 4)
    assert [s["turn"] for s in steps if s["type"] == "model"] == list(
        range(1, trajectory["turns"] + 1)
    )
    assert trajectory["tool_calls"] == len(expected) - trajectory["turns"]
    assert trajectory["tool_errors"] == 0
    asked = [c for s in steps if s["type"] == "model" for c in s.get("tool_calls", [])]
    answered = [(s["id"], s["name"], s["arguments"]) for s in steps if s["type"] == "tool"]
    assert [(c["id"], c["name"], c["arguments"]) for c in asked] == answered
    assert [s["output"] for s in steps if s.get("name") == "step"] == [
        f"result {n}" for n in range(1, (5 if long else 4))
    ]
    # one model call per turn: a trajectory cut short was not continued, nor run twice
    assert sample["usage"]["calls"] == trajectory["turns"]
    assert sample["answer"] == "42" and sample["scores"]["match"]["value"] == "C"


def without_times(trajectory: dict[str, Any]) -> dict[str, Any]:
    """The trajectory without what differs between identical runs (times, cache hits)."""
    steps = [
        {k: v for k, v in s.items() if k not in ("time", "cached")} for s in trajectory["steps"]
    ]
    return {**{k: v for k, v in trajectory.items() if k != "time"}, "steps": steps}


# -- 1. eval-retry of a killed agentic run ---------------------------------------------


def test_eval_retry_of_a_killed_agentic_run_completes_every_trajectory_once(
    tmp_path: Path,
) -> None:
    task = agentic_task(tmp_path, samples=40, epochs=2)
    logs = tmp_path / "logs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalrun", "eval", str(task), "-m", "mockllm/model",
         *mock_args(tmp_path), "-M", "latency=0.05", "--max-samples", "4",
         "--log-dir", str(logs), "--display", "plain"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        path = wait_for_samples(logs, 12, proc=proc)
    finally:
        proc.kill()
        proc.communicate()
    first = raw_log(path)
    assert first["status"] == "started"
    done_before = {(s["id"], s["epoch"]): s for s in first["samples"]}
    assert 12 <= len(done_before) < 80
    for sample in first["samples"]:  # a record is written only when its trajectory is done
        check_trajectory(sample)

    retry = run_forked("eval-retry", str(path), "--max-samples", "20", cwd=tmp_path)
    assert retry.code == 0, retry.output
    (new,) = [p for p in logs_in(logs) if p != path]
    final = raw_log(new)
    assert final["status"] == "success", final.get("error")
    keys = [(s["id"], s["epoch"]) for s in final["samples"]]
    assert len(keys) == len(set(keys)) == 80  # every (id, epoch) exactly once
    assert set(keys) == {(f"s{i}", e) for i in range(40) for e in (1, 2)}
    for sample in final["samples"]:
        check_trajectory(sample)
    results = final["results"]
    assert (results["completed_samples"], results["errored_samples"]) == (80, 0)
    assert results["reused_samples"] == len(done_before)
    after = {(s["id"], s["epoch"]): s for s in final["samples"]}
    for key, sample in done_before.items():
        assert after[key] == sample  # reused as it was, trajectory and all
    resumed_at = final["header"]["started_at"]
    ran = {key for key, s in after.items() if s["started_at"] >= resumed_at}
    assert ran == set(after) - set(done_before)  # only what had not finished ran again
    counts = SampleCounts(total=80)  # as every view counts the records: the same reused
    for sample in final["samples"]:
        counts.add_record(sample, resumed_at)
    assert (counts.completed, counts.reused) == (80, len(done_before))
    assert final["header"]["retry_of"] == str(path)


# -- 2. an agent through litellm against the fake OpenAI server ------------------------


def openai_call(id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}


def fake_server_run(tmp_path: Path, server: FakeOpenAI, target: str) -> dict[str, Any]:
    """One sample, `tools: [calculator, submit]` and an agent, on `openai/fake-agent` at
    the fake server: the sample's record."""
    task = tmp_path / "t.yaml"
    task.write_text(
        "name: fake_agent\n"
        f"dataset:\n  samples: [{{id: a, input: 'What is 6 times 7, plus 1?', target: '{target}'}}]\n"
        "tools: [calculator, submit]\n"
        "solver: [agent]\n"
        "scorer: [includes]\n",
        encoding="utf-8",
    )
    result = run_forked(
        "eval", str(task), "-m", "openai/fake-agent", "--model-base-url", server.base_url,
        "--max-retries", "0", "--log-dir", str(tmp_path / "logs"),
        cwd=tmp_path, env={"OPENAI_API_KEY": "sk-fake-agent-test"},
    )  # fmt: skip
    assert result.code == 0, result.output
    (path,) = logs_in(tmp_path / "logs")
    log = raw_log(path)
    assert log["status"] == "success"
    (sample,) = log["samples"]
    return sample


def offered_tools() -> list[dict[str, Any]]:
    """`tools: [calculator, submit]` in OpenAI's request format."""
    from evalrun.tools import calculator, submit, tool

    return [{"type": "function", "function": tool(f).schema()} for f in (calculator, submit)]


def test_an_agent_through_litellm_against_the_fake_openai_server(tmp_path: Path) -> None:
    replies = [
        {"content": "Let me compute.",
         "tool_calls": [openai_call("call_a", "calculator", '{"expression": "6*7"}')]},
        {"tool_calls": [openai_call("call_b", "calculator", '{"expression": "42 + 1"}')]},
        {"content": "The answer is 43."},
    ]  # fmt: skip
    with FakeOpenAI(replies=replies) as server:
        sample = fake_server_run(tmp_path, server, "43")
        bodies = server.stats.bodies

    assert sample["error"] is None
    trajectory = sample["trajectory"]
    steps = trajectory["steps"]
    assert [(s["step"], s["type"], s["turn"]) for s in steps] == [
        (1, "model", 1), (2, "tool", 1), (3, "model", 2), (4, "tool", 2), (5, "model", 3),
    ]  # fmt: skip
    assert (trajectory["turns"], trajectory["tool_calls"], trajectory["tool_errors"]) == (3, 2, 0)
    assert (trajectory["end"], trajectory["answer"]) == ("no_tool_calls", None)
    assert steps[0]["completion"] == "Let me compute."
    assert steps[0]["tool_calls"] == [
        {"id": "call_a", "name": "calculator", "arguments": {"expression": "6*7"}}
    ]
    assert steps[0]["stop_reason"] == "tool_calls"
    assert steps[2]["tool_calls"] == [
        {"id": "call_b", "name": "calculator", "arguments": {"expression": "42 + 1"}}
    ]
    tool_steps = [
        {k: s[k] for k in ("id", "name", "arguments", "output", "error")} for s in steps[1::2]
    ]
    assert tool_steps == [
        {"id": "call_a", "name": "calculator", "arguments": {"expression": "6*7"},
         "output": "42", "error": None},
        {"id": "call_b", "name": "calculator", "arguments": {"expression": "42 + 1"},
         "output": "43", "error": None},
    ]  # fmt: skip
    assert all("raw_arguments" not in s for s in steps)
    assert steps[4]["completion"] == "The answer is 43." and "tool_calls" not in steps[4]
    assert steps[4]["stop_reason"] == "stop"
    assert all(s["usage"]["calls"] == 1 for s in steps if s["type"] == "model")
    # the final answer is what was scored
    assert sample["output"]["completion"] == "The answer is 43."
    assert sample["scores"]["includes"]["value"] == "C"
    assert sample["usage"]["calls"] == 3

    # what the server received: the tools each turn, and the tools' results as tool messages
    assert len(bodies) == 3
    for body in bodies:
        assert body["tools"] == offered_tools()
    first, second, third = (body["messages"] for body in bodies)
    assert [m["role"] for m in first] == ["system", "user"]
    assert first[1] == {"role": "user", "content": "What is 6 times 7, plus 1?"}
    result_a = {"role": "tool", "content": "42", "tool_call_id": "call_a", "name": "calculator"}
    result_b = {"role": "tool", "content": "43", "tool_call_id": "call_b", "name": "calculator"}
    assert second[:2] == first
    assert second[2]["role"] == "assistant" and second[2]["content"] == "Let me compute."
    assert second[2]["tool_calls"] == replies[0]["tool_calls"]
    assert second[3:] == [result_a]
    assert third[:4] == second
    assert third[4]["role"] == "assistant"
    assert third[4]["tool_calls"] == replies[1]["tool_calls"]
    assert third[5:] == [result_b]


def test_malformed_tool_arguments_from_the_server_are_fed_back_not_a_sample_error(
    tmp_path: Path,
) -> None:
    raw = '{"expression": 6*7'
    replies = [
        {"tool_calls": [openai_call("call_x", "calculator", raw)]},
        {"content": "It is 42."},
    ]
    with FakeOpenAI(replies=replies) as server:
        sample = fake_server_run(tmp_path, server, "42")
        bodies = server.stats.bodies

    assert sample["error"] is None
    trajectory = sample["trajectory"]
    assert (trajectory["turns"], trajectory["tool_calls"], trajectory["tool_errors"]) == (2, 1, 1)
    assert trajectory["end"] == "no_tool_calls"
    model_step, tool_step, last = trajectory["steps"]
    assert model_step["tool_calls"] == [
        {"id": "call_x", "name": "calculator", "arguments": {}, "raw_arguments": raw}
    ]
    assert (tool_step["id"], tool_step["name"]) == ("call_x", "calculator")
    assert tool_step["arguments"] == {} and tool_step["raw_arguments"] == raw
    assert tool_step["error"].startswith("invalid arguments: not valid JSON")
    assert tool_step["output"] == tool_step["error"]
    assert last["completion"] == "It is 42."
    assert sample["scores"]["includes"]["value"] == "C"

    assert len(bodies) == 2
    sent = bodies[1]["messages"]
    assert sent[-2]["role"] == "assistant"
    assert sent[-2]["tool_calls"] == replies[0]["tool_calls"]  # the arguments as they came
    assert sent[-1] == {
        "role": "tool", "content": tool_step["error"], "tool_call_id": "call_x",
        "name": "calculator",
    }  # fmt: skip


# -- 3. the calculator cannot run code, through the agent ------------------------------


def attacks(marker: Path) -> list[str]:
    from test_expr import ATTACKS as EXPR_ATTACKS
    from test_survey_errors import ATTACKS as SURVEY_ATTACKS
    from test_tools import ATTACKS as TOOL_ATTACKS

    found = [a.format(marker=marker) for a in [*TOOL_ATTACKS, *EXPR_ATTACKS]] + SURVEY_ATTACKS
    return list(dict.fromkeys(found))


def test_the_calculator_runs_no_code_a_model_sends_through_the_agent(tmp_path: Path) -> None:
    marker = tmp_path / "MARKER"
    payloads = attacks(marker)
    assert len(payloads) >= 30
    rows = [{"id": f"p{i}", "input": f"Payload P{i}.", "target": "refused"} for i in range(len(payloads))]  # fmt: skip
    write_jsonl(tmp_path / "d.jsonl", rows)
    # every calculator error says where the expression went wrong: then the model submits;
    # until then, each sample's model sends its payload (again, if one ever succeeded)
    rules = [{"match": r"\(at character \d+\)", "tool_calls": [call("submit", answer="refused")]}]
    rules += [
        {"match": rf"\bP{i}\.", "tool_calls": [call("calculator", expression=payload)]}
        for i, payload in enumerate(payloads)
    ]
    write_jsonl(tmp_path / "r.jsonl", rules)
    (tmp_path / "t.yaml").write_text(
        "name: calculator_attacks\ndataset: {path: d.jsonl}\ntools: [calculator, submit]\n"
        "solver:\n  - agent: {max_turns: 3}\nscorer: [match]\n",
        encoding="utf-8",
    )
    result = run_forked(
        "eval", "t.yaml", "-m", "mockllm/model", *mock_args(tmp_path),
        "--log-dir", str(tmp_path / "logs"), cwd=tmp_path,
    )  # fmt: skip
    assert result.code == 0, result.output
    log = raw_log(logs_in(tmp_path / "logs")[0])
    assert log["results"]["errored_samples"] == 0
    assert len(log["samples"]) == len(payloads)
    for sample in log["samples"]:
        payload = payloads[int(sample["id"][1:])]
        assert sample["error"] is None, (payload, sample["error"])
        trajectory = sample["trajectory"]
        calls = [s for s in trajectory["steps"] if s["type"] == "tool"]
        assert [c["name"] for c in calls] == ["calculator", "submit"], payload
        assert calls[0]["arguments"] == {"expression": payload}
        assert calls[0]["error"] and calls[0]["output"] == calls[0]["error"], payload
        assert (trajectory["end"], trajectory["tool_errors"]) == ("submit", 1), payload
        assert sample["scores"]["match"]["value"] == "C"
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl", "logs", "r.jsonl", "t.yaml"]


# -- 4. the response cache with tools ---------------------------------------------------


def test_the_response_cache_serves_agent_turns_and_is_keyed_on_the_tools(tmp_path: Path) -> None:
    cache = ["--cache", "--cache-dir", str(tmp_path / "cache")]

    def run(name: str, tools: str) -> dict[str, Any]:
        folder = tmp_path / name
        folder.mkdir()
        # no system prompt: it names the tools, so the tools alone differ between runs
        task = agentic_task(folder, samples=4, epochs=2, tools=tools, agent=", system_prompt: null")
        result = run_forked(
            "eval", str(task), "-m", "mockllm/model", *mock_args(folder), *cache,
            "--log-dir", str(folder / "logs"), cwd=folder,
        )  # fmt: skip
        assert result.code == 0, result.output
        (path,) = logs_in(folder / "logs")
        log = raw_log(path)
        assert log["status"] == "success" and log["results"]["completed_samples"] == 8
        for sample in log["samples"]:
            check_trajectory(sample)
        return log

    def model_steps(log: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            s for sample in log["samples"] for s in sample["trajectory"]["steps"]
            if s["type"] == "model"
        ]  # fmt: skip

    first = run("first", "calculator, submit")
    assert first["results"]["cached_samples"] == 0
    assert not any(s["cached"] for s in model_steps(first))

    second = run("second", "calculator, submit")
    assert second["results"]["cached_samples"] == 8
    assert all(s["output"]["cached"] for s in second["samples"])
    assert all(s["cached"] for s in model_steps(second))  # every turn, not just the last
    before = {(s["id"], s["epoch"]): without_times(s["trajectory"]) for s in first["samples"]}
    again = {(s["id"], s["epoch"]): without_times(s["trajectory"]) for s in second["samples"]}
    assert again == before  # the same conversation, tool calls and results

    third = run("third", "calculator, submit, think")  # one tool more: another request
    assert third["results"]["cached_samples"] == 0
    assert not any(s["cached"] for s in model_steps(third))


# -- 5. eval-set over an agentic task ---------------------------------------------------


def test_eval_set_of_an_agentic_task_and_two_models(tmp_path: Path) -> None:
    task = agentic_task(tmp_path, samples=6, epochs=2)
    logs = tmp_path / "logs"
    command = [
        "eval-set", str(task), "-m", "mockllm/alpha", "-m", "mockllm/beta", *mock_args(tmp_path),
        "--log-dir", str(logs), "--display", "plain",
    ]  # fmt: skip
    first = run_forked(*command, cwd=tmp_path)
    assert first.code == 0, first.output
    paths = logs_in(logs)
    assert len(paths) == 2
    models = set()
    for path in paths:
        log = raw_log(path)
        models.add(log["header"]["model"])
        assert log["status"] == "success"
        assert (log["results"]["completed_samples"], log["results"]["errored_samples"]) == (12, 0)
        keys = {(s["id"], s["epoch"]) for s in log["samples"]}
        assert len(log["samples"]) == len(keys) == 12
        for sample in log["samples"]:
            check_trajectory(sample)
    assert models == {"mockllm/alpha", "mockllm/beta"}

    state = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in paths}
    again = run_forked(*command, cwd=tmp_path)
    assert again.code == 0, again.output
    assert {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in logs_in(logs)} == state
