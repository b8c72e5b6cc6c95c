"""Malformed survey files: exit status 2, one line `file:line:col: message`, nothing run.

Each case changes one thing in a small valid survey (`BASE`), so the expected line and
column below are where that one change is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import logs_in, one_error_line

BASE = """\
kind: survey
questions:
  - name: q1
    type: multiple_choice
    text: "Pick one in {{ season }}"
    options: [red, blue]
  - name: q2
    type: free_text
    text: "Why {{ q1.answer }}?"
rules:
  - skip: q2
    if: "q1 == 'red'"
scenarios:
  - {season: winter}
"""


def _set(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


CASES: dict[str, tuple[str, str]] = {
    "unknown_question_in_rule": (
        _set("skip: q2", "skip: q3"),
        ":11:11: rule: no question named `q3`",
    ),
    "unknown_name_in_expression": (
        _set("q1 == 'red'", "q11 == 'red'"),
        ":12:10: unknown name `q11`; did you mean `q1`?",
    ),
    "cycle": (
        _set("q1 == 'red'", "q2 == 'red'"),
        ":12:10: a cycle: the rule reads `q2` to decide about `q2`, and `q2` is not answered "
        "before it is asked",
    ),
    "jump_backwards": (
        _set("skip: q2", "jump: {from: q2, to: q1}"),
        ":11:26: jump from `q2` to `q1` goes backwards: a jump can only skip ahead",
    ),
    "unknown_placeholder": (
        _set("{{ season }}", "{{ seasn }}"),
        ":5:11: sample `agent1/scenario1` has no scenario value `seasn`, which question `q1` "
        "reads; did you mean `season`?",
    ),
    "placeholder_names_a_later_question": (
        _set("Pick one in {{ season }}", "Pick {{ q2.answer }}"),
        ":5:11: placeholder `q2` names a later question: a question can only pipe in answers "
        "given before it",
    ),
    "placeholder_names_no_question": (
        _set("Why {{ q1.answer }}?", "Why {{ q3.answer }}?"),
        ":9:11: placeholder `q3.answer`: no earlier question named `q3` (earlier questions: q1)",
    ),
    "duplicate_question_name": (
        _set("name: q2", "name: q1"),
        ":7:11: question name `q1` is used twice (first by question 1)",
    ),
    "question_name_not_an_identifier": (
        _set("name: q2", "name: 2q"),
        ":7:11: `2q` is not a valid name: use letters, digits and `_`, not starting with a digit",
    ),
    "options_missing": (
        _set("    options: [red, blue]\n", ""),
        ":3:5: a multiple_choice question needs `options`",
    ),
    "options_duplicated": (
        _set("options: [red, blue]", "options: [red, red]"),
        ":6:20: option `red` is listed twice",
    ),
    "scale_reversed": (
        _set("    type: free_text\n", "    type: linear_scale\n    scale: [5, 1]\n"),
        ":9:12: `scale` is [5, 1]; the first bound must be below the second",
    ),
    "unknown_type": (
        _set("type: free_text", "type: free_txt"),
        ":8:11: unknown question type `free_txt`; did you mean `free_text`?",
    ),
    "unknown_key_of_a_type": (
        _set("options: [red, blue]", "options: [red, blue]\n    optons: [x]"),
        ":7:5: unknown key `optons` for a multiple_choice question; did you mean `options`?",
    ),
    "bad_expression": (
        _set("q1 == 'red'", "q1 == "),
        ":12:15: expected an expression after `==`",
    ),
    "call_in_expression": (
        _set("q1 == 'red'", "len(q1) > 2"),
        ":12:13: calls are not allowed: `len(...)`",
    ),
    "rule_with_two_kinds": (
        _set("  - skip: q2\n", "  - skip: q2\n    stop_after: q1\n"),
        ":11:5: rules.0: a rule has exactly one of `skip`, `stop_after` or `jump`",
    ),
    "memory_names_a_later_question": (
        BASE + "memory: {q1: [q2]}\n",
        ":15:15: memory of `q1` names `q2`, which is not asked before it",
    ),
    "memory_mode": (BASE + "memory: everything\n", ":15:9: memory: input should be 'none'"),
    "duplicate_agent": (
        BASE + "agents:\n  - {name: a}\n  - {name: a}\n",
        ":17:5: agent name `a` is used twice (first at",
    ),
    "agent_trait_in_rule": (
        _set("q1 == 'red'", "agent.agee > 3") + "agents:\n  - traits: {age: 3}\n",
        ":12:9: sample `agent1/scenario1` has no agent trait `agee`, which the rule reads; "
        "did you mean `age`?",
    ),
    "no_questions": (
        "kind: survey\nquestions: []\n",
        ":2:12: questions: a survey needs at least one question",
    ),
    "unknown_survey_key": (
        BASE + "agent_instructions: hi\n",
        ":15:1: unknown key `agent_instructions`; did you mean `agent_instruction`?",
    ),
    "iterations": (BASE + "iterations: 0\n", ":15:13: iterations: input should be greater than"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_survey_file(case: str, tmp_path: Path, evalrun: Any) -> None:
    text, expected = CASES[case]
    path = tmp_path / "s.survey.yaml"
    path.write_text(text)
    result = evalrun("eval", str(path), "-m", "mockllm/model")
    line = one_error_line(result)
    assert line.startswith(f"{path}{expected}"), line
    assert not logs_in(tmp_path / "logs")


A_FILE_SCENARIO = "kind: survey\nquestions:\n  - {name: q, type: free_text, text: '{{ city }}'}\nscenarios: {path: s.jsonl}\n"


def test_a_scenario_file_missing_a_placeholder_fails_before_any_call(
    tmp_path: Path, evalrun: Any
) -> None:
    (tmp_path / "s.jsonl").write_text('{"city": "Oslo"}\n{"town": "Bergen"}\n')
    path = tmp_path / "s.survey.yaml"
    path.write_text(A_FILE_SCENARIO)
    result = evalrun("eval", str(path), "-m", "mockllm/model")
    assert result.code == 2
    assert result.err.strip() == (
        f"{path}:3:38: sample `agent1/scenario2` has no scenario value `city`, which question "
        "`q` reads (its scenario values: town)"
    )


#: rule expressions that would run code, if rules could (each touches MARKER in the run's
#: folder); tests/test_agent_runs.py sends them to the calculator tool too
ATTACKS = [
    "__import__('os').system('touch MARKER')",
    "().__class__.__bases__",
    "q1.__class__",
    "open('MARKER', 'w')",
    "(lambda: __import__('os').system('touch MARKER'))()",
    "[__import__('os').system('touch MARKER') for x in q1]",
    "import os",
    "q1[0]",
    'exec(\'open("MARKER", "w")\')',
]


@pytest.mark.parametrize("expression", ATTACKS)
def test_rule_expressions_cannot_run_code(tmp_path: Path, evalrun: Any, expression: str) -> None:
    path = tmp_path / "s.survey.yaml"
    quoted = expression.replace('"', '\\"')
    path.write_text(_set("q1 == 'red'", quoted))
    result = evalrun("eval", str(path), "-m", "mockllm/model")
    assert result.code == 2, result.output
    assert ":12:" in result.err and "Traceback" not in result.output
    assert not (tmp_path / "MARKER").exists()
    assert not logs_in(tmp_path / "logs")
