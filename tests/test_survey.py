"""Surveys on the engine: rules, piping, memory, agents and scenarios from files,
iterations, several models, the cache, `prompts`, and eval-retry of interviews."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import logs_in, only_log, raw_log, run_forked, write_jsonl
from fake_openai import FakeOpenAI

from evalrun.log import read_summary

COLOURS = """
kind: survey
name: colours
questions:
  - name: has_favourite
    type: yes_no
    text: "Do you have a favourite colour in {{ season }}?"
  - name: favourite
    type: multiple_choice
    text: "Which colour do you like most in {{ season }}?"
    options: [red, green, blue, other]
  - name: how_much
    type: linear_scale
    text: "How much do you like {{ favourite.answer }}?"
    scale: [1, 5]
    labels: {1: not at all, 5: very much}
  - name: why
    type: free_text
    text: "Why?"
rules:
  - skip: favourite
    if: "has_favourite == 'No'"
  - stop_after: has_favourite
    if: "has_favourite == 'No'"
  - jump: {from: favourite, to: why}
    if: "favourite == 'other'"
agents:
  - name: artist
    traits: {persona: "You are an artist.", age: 34}
  - name: accountant
    traits: {persona: "You are an accountant.", age: 51}
  - name: sailor
    traits: {persona: "You are a sailor.", age: 40}
agent_instruction: "You are answering questions as if you were a human."
scenarios:
  - {season: winter}
  - {season: summer}
models: [mockllm/model]
model_args: {responses: responses.jsonl}
"""

RESPONSES = [
    # the accountant has no favourite: the interview stops after the first question
    {"match": "(?s)accountant.*favourite colour", "output": "No"},
    {"match": "favourite colour", "output": "ANSWER: Yes\nCOMMENT: of course"},
    # the sailor's favourite is `other`: jump to `why`
    {"match": "(?s)sailor.*Which colour", "output": "other"},
    {"match": "Which colour do you like most in winter", "output": "ANSWER: blue"},
    {"match": "Which colour", "output": "Red."},
    {"match": "How much do you like blue", "output": "5"},
    {"match": "How much do you like red", "output": "ANSWER: 4"},
    {"match": "Why", "output": "It reminds me of the sea."},
]


def colours(
    tmp_path: Path, text: str = COLOURS, responses: list[dict[str, Any]] = RESPONSES
) -> Path:
    write_jsonl(tmp_path / "responses.jsonl", responses)
    path = tmp_path / "colours.survey.yaml"
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def interviews(log: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    """(id, iteration) -> its answers."""
    return {(s["id"], s["epoch"]): s["store"]["survey"]["answers"] for s in log["samples"]}


def test_the_spec_example_runs_with_every_rule_kind(tmp_path: Path, evalrun: Any) -> None:
    survey = colours(tmp_path)
    result = evalrun("eval", str(survey))
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    answers = interviews(log)
    assert sorted(answers) == [
        (f"{agent}/scenario{n}", 1) for agent in ("accountant", "artist", "sailor") for n in (1, 2)
    ]
    artist = answers[("artist/scenario1", 1)]
    assert {q: a["answer"] for q, a in artist.items()} == {
        "has_favourite": "Yes", "favourite": "blue", "how_much": 5,
        "why": "It reminds me of the sea.",
    }  # fmt: skip
    assert artist["has_favourite"]["comment"] == "of course"
    assert artist["how_much"]["prompt"].startswith("How much do you like blue?\n\n")
    assert answers[("artist/scenario2", 1)]["favourite"]["answer"] == "red"
    assert answers[("artist/scenario2", 1)]["how_much"]["answer"] == 4
    # stop_after comes first (the skip rule's condition holds too)
    accountant = answers[("accountant/scenario1", 1)]
    assert accountant["has_favourite"]["answer"] == "No"
    assert [accountant[q]["reason"] for q in ("favourite", "how_much", "why")] == [
        "the interview stopped after `has_favourite`"
    ] * 3
    # jump from favourite to why: how_much is jumped over
    sailor = answers[("sailor/scenario1", 1)]
    assert sailor["favourite"]["answer"] == "other"
    assert sailor["how_much"] == {
        "status": "skipped", "answer": None, "comment": None, "prompt": None, "raw": None,
        "reason": "jumped from `favourite` to `why`", "attempts": 0, "tokens": 0, "cost": 0.0,
    }  # fmt: skip
    assert sailor["why"]["status"] == "valid"
    # the transcript: system prompt with the instruction and traits, then each question
    sample = next(s for s in log["samples"] if s["id"] == "artist/scenario1")
    assert sample["messages"][0] == {
        "role": "system",
        "content": "You are answering questions as if you were a human.\n\nYour traits:\n"
        "- persona: You are an artist.\n- age: 34",
    }
    assert sample["metadata"] == {
        "agent": {"name": "artist", "traits": {"persona": "You are an artist.", "age": 34}},
        "scenario": {"season": "winter"},
    }
    assert sample["scores"]["answered"]["value"] == 1.0
    assert log["results"]["completed_samples"] == 6


def test_invalid_answers_are_asked_again_then_recorded_invalid(
    tmp_path: Path, evalrun: Any
) -> None:
    text = COLOURS.replace("rules:", "answer_retries: 1\nrules:")
    responses = [
        {"match": "(?s)artist.*Which colour.*not valid", "output": "ANSWER: green"},
        {"match": "(?s)Which colour.*not valid", "output": "purple again"},
        {"match": "Which colour", "output": "purple"},
        {"match": "favourite colour", "output": "Yes"},
        {"match": "How much", "output": "3"},
        {"match": "Why", "output": "no reason"},
    ]
    result = evalrun("eval", str(colours(tmp_path, text, responses)))
    assert result.code == 0, result.output  # an invalid answer is not an error
    answers = interviews(only_log(tmp_path / "logs"))
    fixed = answers[("artist/scenario1", 1)]["favourite"]
    assert (fixed["status"], fixed["answer"], fixed["attempts"]) == ("valid", "green", 2)
    failed = answers[("accountant/scenario1", 1)]["favourite"]
    assert failed["status"] == "invalid" and failed["answer"] is None
    assert failed["attempts"] == 2 and failed["raw"] == "purple again"
    assert "purple again" in failed["reason"] and "red, green, blue, other" in failed["reason"]
    # the piped answer of an invalid question reads as "no answer"
    assert answers[("accountant/scenario1", 1)]["how_much"]["prompt"].startswith(
        "How much do you like no answer?"
    )
    sample = next(
        s for s in only_log(tmp_path / "logs")["samples"] if s["id"] == "accountant/scenario1"
    )
    retry = [m["content"] for m in sample["messages"] if m["content"].startswith("That answer")]
    assert retry == [
        "That answer is not valid: `purple` is not one of the options (red, green, blue, "
        "other). Please answer again, in the format asked."
    ]
    assert sample["scores"]["answered"]["value"] == pytest.approx(3 / 4)


MEMORY = """
kind: survey
questions:
  - {name: a, type: free_text, text: "First?"}
  - {name: b, type: free_text, text: "Second?"}
  - {name: c, type: free_text, text: "Third, after {{ a.answer }}?"}
memory: MEMORY
agents: [{traits: {persona: kind}}]
"""


@pytest.mark.parametrize(
    "memory, sent",
    [
        ("none", {"a": [], "b": [], "c": []}),
        ("full", {"a": [], "b": ["a"], "c": ["a", "b"]}),
        ("last", {"a": [], "b": ["a"], "c": ["b"]}),
        ("{c: [a]}", {"a": [], "b": [], "c": ["a"]}),
    ],
)
def test_each_memory_mode_sends_exactly_the_earlier_turns(
    tmp_path: Path, evalrun: Any, memory: str, sent: dict[str, list[str]]
) -> None:
    """Against the local OpenAI-compatible server, which records every request and
    echoes the last user message back (a valid free-text answer): each question's
    request is the system prompt, then the user and assistant turns of exactly the
    earlier questions its memory names, then its own prompt."""
    path = tmp_path / "memory.survey.yaml"
    path.write_text(MEMORY.replace("MEMORY", memory).lstrip("\n"))
    with FakeOpenAI() as server:
        result = evalrun("eval", str(path), "-m", "openai-compatible/fake",
                         "--model-base-url", server.base_url)  # fmt: skip
        requests = list(server.stats.requests)
    assert result.code == 0, result.output
    assert len(requests) == 3
    starts = {"a": "First?", "b": "Second?", "c": "Third, after "}
    asked = {
        q: next(r for r in requests if r[-1]["content"].startswith(s)) for q, s in starts.items()
    }
    prompt = {q: r[-1]["content"] for q, r in asked.items()}  # (and the echo: the answer)
    piped = interviews(only_log(tmp_path / "logs"))[("agent1/scenario1", 1)]["a"]["answer"]
    assert prompt["c"].startswith(f"Third, after {piped}?\n\n")
    for name, earlier in sent.items():
        expected = [{"role": "system", "content": "Your traits:\n- persona: kind"}]
        for e in earlier:
            expected += [
                {"role": "user", "content": prompt[e]},
                {"role": "assistant", "content": prompt[e]},
            ]
        expected.append({"role": "user", "content": prompt[name]})
        assert [{"role": m["role"], "content": m["content"]} for m in asked[name]] == expected, name


def test_agents_and_scenarios_from_files_iterations_and_models(
    tmp_path: Path, evalrun: Any
) -> None:
    (tmp_path / "agents.csv").write_text("name,persona,age\nann,a painter,34\nbob,a baker,61\n")
    write_jsonl(tmp_path / "seasons.jsonl", [{"season": "winter"}, {"season": "spring"}])
    (tmp_path / "cities.json").write_text(json.dumps([{"city": "Oslo"}]))
    survey = tmp_path / "s.survey.yaml"
    survey.write_text(
        "kind: survey\n"
        "questions:\n"
        "  - {name: old, type: yes_no, text: 'In {{ season }}, at {{ agent.age }}: old?'}\n"
        "rules:\n  - {skip: old, if: 'agent.age < 40 and scenario.season == \"spring\"'}\n"
        "agents: {path: agents.csv}\nscenarios: {path: seasons.jsonl}\niterations: 2\n"
        "models: [mockllm/model, mockllm/other]\n"
    )
    result = evalrun(
        "eval",
        str(survey),
        "-M",
        f"responses={write_jsonl(tmp_path / 'r.jsonl', [{'match': 'old', 'output': 'Yes'}])}",
    )
    assert result.code == 0, result.output
    logs = [raw_log(p) for p in logs_in(tmp_path / "logs")]
    assert sorted(log["header"]["model"] for log in logs) == ["mockllm/model", "mockllm/other"]
    for log in logs:
        answers = interviews(log)
        assert sorted(answers) == sorted(
            (f"{a}/scenario{n}", i) for a in ("ann", "bob") for n in (1, 2) for i in (1, 2)
        )
        assert answers[("ann/scenario2", 2)]["old"]["status"] == "skipped"
        assert answers[("ann/scenario2", 2)]["old"]["reason"] == (
            'skipped: agent.age < 40 and scenario.season == "spring"'
        )
        assert answers[("bob/scenario2", 1)]["old"]["answer"] == "Yes"
        prompt = answers[("bob/scenario1", 1)]["old"]["prompt"]
        assert prompt.startswith("In winter, at 61: old?")
    # a scenario file in JSON works the same
    survey.write_text(survey.read_text().replace("seasons.jsonl", "cities.json")
                      .replace("In {{ season }}", "In {{ city }}").replace("season == \"spring", "city == \"Oslo"))  # fmt: skip
    result = evalrun(
        "eval", str(survey), "-m", "mockllm/model", "--log-dir", str(tmp_path / "json")
    )
    assert result.code == 0, result.output
    answers = interviews(only_log(tmp_path / "json"))
    assert answers[("ann/scenario1", 1)]["old"]["status"] == "skipped"
    assert answers[("bob/scenario1", 1)]["old"]["prompt"].startswith("In Oslo, at 61")


def test_eval_retry_reruns_only_failed_and_unfinished_interviews(tmp_path: Path) -> None:
    """A survey killed mid-run, with some interviews failed by model errors: eval-retry
    runs exactly the failed and unfinished ones, and the final log has every interview
    exactly once, the finished ones as they were."""
    agents = "".join(f"  - {{name: a{i}, traits: {{n: {i}}}}}\n" for i in range(40))
    survey = colours(tmp_path, COLOURS.split("agents:")[0] + "agents:\n" + agents
                     + "scenarios: [{season: winter}, {season: summer}]\nmodels: [mockllm/model]\n"
                     + "model_args: {responses: responses.jsonl}\n")  # fmt: skip
    logs = tmp_path / "logs"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalrun", "eval", str(survey), "-M", "latency=0.02",
         "-M", "error_rate=0.1", "--no-fail-on-error", "--max-samples", "4",
         "--log-dir", str(logs), "--display", "plain"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    path = None
    while time.monotonic() < deadline and path is None:
        for candidate in logs_in(logs):
            try:
                if read_summary(candidate).samples_done >= 20:
                    path = candidate
            except Exception:
                pass
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert path is not None, "the survey did not get going"
    first = raw_log(path)
    finished = {(s["id"], s["epoch"]): s for s in first["samples"] if s["error"] is None}
    failed = {(s["id"], s["epoch"]) for s in first["samples"] if s["error"] is not None}
    assert first["status"] == "started" and failed and 0 < len(finished) < 80
    retry = run_forked("eval-retry", str(path), "-M", "error_rate=0", "--log-dir", str(logs))
    assert retry.code == 0, retry.output
    final = raw_log(next(p for p in logs_in(logs) if p != path))
    keys = [(s["id"], s["epoch"]) for s in final["samples"]]
    assert len(keys) == len(set(keys)) == 80  # every interview exactly once
    assert final["status"] == "success" and final["results"]["errored_samples"] == 0
    assert final["results"]["reused_samples"] == len(finished)
    after = {(s["id"], s["epoch"]): s for s in final["samples"]}
    for key, sample in finished.items():
        assert after[key] == sample  # reused as it was
    rerun = [k for k in keys if k not in finished]
    assert set(rerun) >= failed
    for key in rerun:
        assert after[key]["started_at"] >= final["header"]["started_at"]
        assert after[key]["store"]["survey"]["answers"]["has_favourite"]["status"] == "valid"


def test_a_questions_own_instructions_replace_its_types(tmp_path: Path, evalrun: Any) -> None:
    text = COLOURS.replace(
        "    options: [red, green, blue, other]\n",
        "    options: [red, green, blue, other]\n"
        '    instructions: "One word for {{ season }}, after {{ has_favourite.answer }}: ANSWER: <colour>"\n',
    )
    result = evalrun("eval", str(colours(tmp_path, text)), "--sample-id", "artist/scenario1")
    assert result.code == 0, result.output
    answers = interviews(only_log(tmp_path / "logs"))[("artist/scenario1", 1)]
    assert answers["favourite"]["prompt"] == (
        "Which colour do you like most in winter?\n\nOne word for winter, after Yes: ANSWER: <colour>"
    )
    assert answers["favourite"]["answer"] == "blue"
    # the type's own instructions otherwise
    assert answers["has_favourite"]["prompt"].endswith("COMMENT: <comment>")
