"""`evalrun results` and `api.results(log)`: rows of survey and task logs, their
summary in the terminal, CSV and JSONL exports, `--by`, `--select` and `--where`."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import TASKS, logs_in, write_jsonl

import evalrun as api
from evalrun.errors import InputError
from evalrun.log import dumps, open_writer

# --- a survey log written through the log writer, as the interview step records one ----

QUESTIONS = [
    {"name": "has_favourite", "type": "yes_no", "text": "Do you have a favourite colour?"},
    {"name": "favourite", "type": "multiple_choice", "text": "Which?", "options": ["red", "green", "blue", "other"]},
    {"name": "how_much", "type": "linear_scale", "text": "How much?", "scale": [1, 5]},
    {"name": "colours", "type": "checkbox", "text": "Which do you wear?", "options": ["red", "green", "blue"]},
    {"name": "age_guess", "type": "numerical", "text": "How old are you?"},
    {"name": "why", "type": "free_text", "text": "Why?"},
]  # fmt: skip
AGENTS = [
    {"name": "artist", "traits": {"persona": "You are an artist.", "age": 34}},
    {"name": "agent2", "traits": {"persona": "You are an accountant.", "age": 51}},
]
SCENARIOS = [{"season": "winter"}, {"season": "summer"}]


def _answer(status: str, answer: Any = None, comment: str | None = None) -> dict[str, Any]:
    return {
        "status": status, "answer": answer, "comment": comment,
        "prompt": None if status == "skipped" else "the prompt", "raw": "purple" if status == "invalid" else None,
        "reason": None, "attempts": 0 if status == "skipped" else 1, "tokens": 5, "cost": 0.0,
    }  # fmt: skip


def _answers(agent: int, scenario: int) -> dict[str, dict[str, Any]]:
    """artist: red/4 in winter, blue/5 in summer; agent2: no favourite in winter (the rest
    skipped), an invalid favourite in summer."""
    if agent == 0:
        return {
            "has_favourite": _answer("valid", "Yes"),
            "favourite": _answer("valid", ["red", "blue"][scenario], "I like it."),
            "how_much": _answer("valid", [4, 5][scenario]),
            "colours": _answer("valid", ["red", "blue"]),
            "age_guess": _answer("valid", 30),
            "why": _answer("valid", "I paint."),
        }
    if scenario == 0:
        rest = {q["name"]: _answer("skipped") for q in QUESTIONS[1:]}
        return {"has_favourite": _answer("valid", "No"), **rest}
    return {
        "has_favourite": _answer("valid", "Yes"),
        "favourite": _answer("invalid"),
        "how_much": _answer("valid", 2),
        "colours": _answer("valid", ["green"]),
        "age_guess": _answer("valid", 50.5),
        "why": _answer("valid", "Numbers."),
    }


def _usage(tokens: int) -> dict[str, Any]:
    return {"input_tokens": tokens, "output_tokens": 0, "reasoning_tokens": 0,
            "total_tokens": tokens, "calls": 1, "cost": 0.0, "unpriced": 0}  # fmt: skip


def write_survey_log(
    path: Path,
    model: str = "mockllm/model",
    iterations: int = 2,
    eval_id: str | None = None,
    created: str = "2026-01-01T00:00:00",
) -> Path:
    header = {
        "version": 2, "run_id": f"run-{model}", "eval_id": eval_id or f"eval-{model}", "created": created,
        "evalrun_version": "0.1.0", "task": "colours", "task_file": "colours.survey.yaml", "base_dir": ".",
        "task_spec": {"name": "colours", "solver": [{"interview": {"questions": QUESTIONS}}]},
        "model": model, "provider_model": model, "model_args": {}, "run_config": {},
        "samples": len(AGENTS) * len(SCENARIOS), "epochs": iterations, "retry_of": None, "retries": 0,
        "job": None, "tags": [], "metadata": {},
    }  # fmt: skip
    rows = [
        {
            "id": f"{a['name']}/scenario{s + 1}",
            "input": "",
            "metadata": {"agent": a, "scenario": sc},
        }
        for a in AGENTS
        for s, sc in enumerate(SCENARIOS)
    ]
    writer = open_writer(path, header, rows)
    for iteration in range(1, iterations + 1):
        for agent, who in enumerate(AGENTS):
            for scenario, where in enumerate(SCENARIOS):
                record = {
                    "id": f"{who['name']}/scenario{scenario + 1}", "epoch": iteration, "attempt": 1,
                    "input": "", "target": "", "choices": None,
                    "metadata": {"agent": who, "scenario": where}, "messages": [], "output": None,
                    "answer": None, "scores": {"answered": {"value": 1.0}}, "error": None,
                    "retries": [], "usage": _usage(30), "started_at": 0.0, "total_time": 0.1,
                    "store": {"survey": {"answers": _answers(agent, scenario), "order": [q["name"] for q in QUESTIONS]}},
                }  # fmt: skip
                writer.write_raw(dumps(record))
    writer.close("success", None, {}, None)
    return path


@pytest.fixture
def survey_log(tmp_path: Path) -> Path:
    return write_survey_log(tmp_path / "colours.eval")


def test_survey_rows_have_the_spec_columns(survey_log: Path) -> None:
    rows = api.results(survey_log)
    assert len(rows) == 8
    names = [q["name"] for q in QUESTIONS]
    assert list(rows[0]) == [
        "id", "agent.name", "agent.persona", "agent.age", "scenario.season", "model.name", "iteration",
        *(f"answer.{q}" for q in names), *(f"comment.{q}" for q in names),
        *(f"prompt.{q}" for q in names), *(f"status.{q}" for q in names), "tokens", "cost", "error",
    ]  # fmt: skip
    first = rows[0]
    assert first["id"] == "artist/scenario1" and first["iteration"] == 1
    assert first["agent.name"] == "artist" and first["agent.age"] == 34
    assert first["scenario.season"] == "winter" and first["model.name"] == "mockllm/model"
    assert first["answer.favourite"] == "red" and first["comment.favourite"] == "I like it."
    assert first["answer.colours"] == ["red", "blue"] and first["status.why"] == "valid"
    skipped = rows[2]
    assert skipped["id"] == "agent2/scenario1"
    assert skipped["status.favourite"] == "skipped" and skipped["answer.favourite"] is None
    assert rows[3]["status.favourite"] == "invalid" and rows[3]["answer.favourite"] is None
    assert first["tokens"] == 30 and first["cost"] == 0.0 and first["error"] is None


def test_csv_and_jsonl_exports(evalrun, survey_log: Path, tmp_path: Path) -> None:
    result = evalrun("results", str(survey_log), "--format", "csv")
    assert result.code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.out)))
    assert len(table) == 8
    assert table[0]["answer.colours"] == '["red","blue"]'
    assert table[0]["answer.has_favourite"] == "Yes" and table[0]["answer.how_much"] == "4"
    assert table[2]["answer.favourite"] == "" and table[2]["status.favourite"] == "skipped"
    assert table[3]["answer.age_guess"] == "50.5"
    out = tmp_path / "rows.jsonl"
    result = evalrun("results", str(survey_log), "--format", "jsonl", "--output", str(out))
    assert result.code == 0 and result.out == "", result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == api.results(survey_log)


def test_summary_counts_shares_numbers_invalid_and_skipped(evalrun, survey_log: Path) -> None:
    result = evalrun("results", str(survey_log))
    assert result.code == 0, result.output
    out = result.out
    assert out.startswith("colours: 8 interviews\n")
    assert "has_favourite (yes_no): 8 valid, 0 invalid, 0 skipped" in out
    assert "favourite (multiple_choice): 4 valid, 2 invalid, 2 skipped" in out
    lines = out.splitlines()
    favourite = lines.index("favourite (multiple_choice): 4 valid, 2 invalid, 2 skipped")
    bars = lines[favourite + 1 : favourite + 5]
    assert [(b.split()[0], b.split()[-2], b.split()[-1]) for b in bars] == [
        ("red", "2", "50%"), ("green", "0", "0%"), ("blue", "2", "50%"), ("other", "0", "0%"),
    ]  # fmt: skip
    assert "█" * 10 in bars[0] and "█" not in bars[1]
    assert "how_much (linear_scale): 6 valid, 0 invalid, 2 skipped" in out
    assert "mean 3.67  median 4  std 1.37  min 2  max 5" in out
    colours = lines.index("colours (checkbox): 6 valid, 0 invalid, 2 skipped")
    assert [line.split()[-2:] for line in lines[colours + 1 : colours + 4]] == [
        ["4", "67%"], ["2", "33%"], ["4", "67%"],
    ]  # fmt: skip
    assert "mean 36.83  median 30  std 10.59  min 30  max 50.5" in out
    assert "why (free_text): 6 valid, 0 invalid, 2 skipped" in out
    assert all(len(line) <= 80 for line in lines)


def test_summary_by_agent_trait_and_by_model(evalrun, survey_log: Path, tmp_path: Path) -> None:
    result = evalrun("results", str(survey_log), "--by", "agent.age")
    assert result.code == 0, result.output
    assert "; by agent.age\n  34: 4\n  51: 4\n" in result.out
    assert "  51: 2 valid, 2 invalid, 0 skipped" not in result.out
    lines = result.out.splitlines()
    favourite = lines.index("favourite (multiple_choice): 4 valid, 2 invalid, 2 skipped")
    assert lines[favourite + 1] == "  34: 4 valid, 0 invalid, 0 skipped"
    assert lines[favourite + 6] == "  51: 0 valid, 2 invalid, 2 skipped"
    other = write_survey_log(tmp_path / "other.eval", "mockllm/other", iterations=1)
    result = evalrun("results", str(survey_log), str(other))
    assert result.code == 0, result.output
    assert result.out.startswith(
        "colours: 12 interviews; by model\n  mockllm/model: 8\n  mockllm/other: 4\n"
    )
    assert "  mockllm/other: 3 valid, 0 invalid, 1 skipped" in result.out  # how_much


def test_select_columns_and_globs(evalrun, survey_log: Path) -> None:
    rows = api.results(survey_log, select="agent.persona,answer.*")
    assert list(rows[0]) == ["agent.persona", *(f"answer.{q['name']}" for q in QUESTIONS)]
    result = evalrun("results", str(survey_log), "--format", "jsonl", "--select", "id,status.fav*")
    assert result.code == 0, result.output
    assert json.loads(result.out.splitlines()[0]) == {
        "id": "artist/scenario1", "status.favourite": "valid",
    }  # fmt: skip
    result = evalrun("results", str(survey_log), "--format", "csv", "--select", "answer.favorite")
    assert result.code == 2
    assert (
        result.err
        == "--select: unknown column `answer.favorite`; did you mean `answer.favourite`?\n"
    )
    result = evalrun("results", str(survey_log), "--select", "answr.*")
    assert result.code == 2
    assert result.err == "--select: `answr.*` matches no column; did you mean `answer.*`?\n"
    result = evalrun("results", str(survey_log), "--select", "answer.how_much")
    assert result.code == 0 and "favourite (" not in result.out and "how_much (" in result.out
    result = evalrun("results", str(survey_log), "--by", "agent.ag")
    assert (
        result.code == 2
        and result.err == "--by: unknown column `agent.ag`; did you mean `agent.age`?\n"
    )


def test_where_filters_rows(evalrun, survey_log: Path) -> None:
    rows = api.results(survey_log, where="agent.age > 40 and scenario.season == 'summer'")
    assert [(r["id"], r["iteration"]) for r in rows] == [
        ("agent2/scenario2", 1), ("agent2/scenario2", 2),
    ]  # fmt: skip
    # bare question names read valid answers, as in survey rules; others are no answer
    assert len(api.results(survey_log, where="favourite == 'red'")) == 2
    assert len(api.results(survey_log, where="favourite == null")) == 4
    assert len(api.results(survey_log, where="status.favourite == 'invalid'")) == 2
    assert len(api.results(survey_log, where="'blue' in colours and how_much >= 5")) == 2
    result = evalrun(
        "results", str(survey_log), "--where", "iteration == 2 and agent.name == 'artist'"
    )
    assert result.code == 0, result.output
    assert result.out.startswith("colours: 2 interviews\n")
    result = evalrun("results", str(survey_log), "--where", "len(x) > 1", "--format", "csv")
    assert result.code == 2 and result.out == ""
    assert result.err.startswith("--where: ") and result.err.endswith(" at column 4\n")
    assert "calls are not allowed" in result.err and result.err.count("\n") == 1
    with pytest.raises(InputError, match=r"^where: .* at column 9$"):
        api.results(survey_log, where="age > 1 ;")


def test_retried_log_supersedes_the_one_it_retried(evalrun, tmp_path: Path) -> None:
    logs = tmp_path / "several"
    old = write_survey_log(logs / "a.eval", eval_id="same", created="2026-01-01T00:00:00")
    write_survey_log(logs / "b.eval", eval_id="same", created="2026-01-02T00:00:00")
    result = evalrun("results", str(logs))
    assert result.code == 0, result.output
    assert result.out.startswith("colours: 8 interviews\n")
    assert result.err == f"skipping {old}: {logs / 'b.eval'} (its eval-retry) holds its samples\n"


def test_summary_fits_the_width(survey_log: Path) -> None:
    from evalrun.rows import open_table, summarise
    from evalrun.rows._render import summary_lines
    from evalrun.rows._rows import QuestionInfo
    from evalrun.rows._summary import Answers

    table = open_table(survey_log)
    summary = summarise(
        iter(table),
        kind="survey",
        tasks=["colours"],
        questions=table.questions,
        by=["agent.persona"],
    )
    long = QuestionInfo("a_question_with_a_long_name", "multiple_choice", "choice", ("x" * 70, "y"))
    answers = Answers(valid=1000, invalid=12345, skipped=3)
    answers.counts.update({"x" * 70: 999, "y": 1})
    summary.questions.append((long, {"You are an artist.": answers}))
    for width in (40, 60, 80, 120):
        lines = summary_lines(summary, width)
        assert all(len(line) <= width for line in lines), (width, lines)
        assert any(line.strip().startswith("xxxx") and line.endswith("999 100%") for line in lines)


def test_api_errors_and_pandas(tmp_path: Path, survey_log: Path) -> None:
    with pytest.raises(InputError, match="log file not found"):
        api.results(tmp_path / "missing.eval")
    with pytest.raises(
        InputError, match=r"select: unknown column `agent\.nam`; did you mean `agent\.name`"
    ):
        api.results(survey_log, select="agent.nam")
    if importlib.util.find_spec("pandas") is None:
        with pytest.raises(InputError, match="pip install pandas"):
            api.results(survey_log, as_frame=True)
    else:
        frame = api.results(survey_log, as_frame=True, select="answer.*")
        assert frame.shape == (8, len(QUESTIONS))


def test_api_imports_no_rich(survey_log: Path) -> None:
    code = (
        "import sys, evalrun\n"
        f"rows = evalrun.results({str(survey_log)!r})\n"
        "assert len(rows) == 8, rows\n"
        "assert 'rich' not in sys.modules, 'rich imported'\n"
        "assert callable(evalrun.results)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# --- task logs -------------------------------------------------------------------------


def test_task_rows_summary_and_groups(evalrun, tmp_path: Path) -> None:
    task = str(TASKS / "arithmetic.yaml")
    assert evalrun("eval", task, "--epochs", "2").code == 0
    log = logs_in(tmp_path / "logs")[0]
    rows = api.results(log)
    assert len(rows) == 40
    assert list(rows[0]) == [
        "id", "epoch", "model.name", "metadata.topic", "target", "answer", "score.match",
        "error", "tokens", "cost",
    ]  # fmt: skip
    assert rows[0]["id"] == "add-01" and rows[0]["score.match"] == "C"
    assert rows[0]["answer"].endswith("64") and rows[0]["target"] == "64"
    result = evalrun("results", str(log))
    assert result.code == 0, result.output
    assert result.out.startswith("arithmetic: 40 samples × epochs\n")
    assert "score.match: mean\n  all " in result.out and " 0.800 (40 scored)" in result.out
    result = evalrun("results", str(log), "--by", "metadata.topic")
    assert result.code == 0, result.output
    topics = {row["metadata.topic"] for row in rows}
    for topic in topics:
        share = sum(r["score.match"] == "C" for r in rows if r["metadata.topic"] == topic) / sum(
            r["metadata.topic"] == topic for r in rows
        )
        assert f" {share:.3f} " in result.out
    # (exit 1: mockllm/other scores 0, below the task's threshold; the log is complete)
    assert evalrun("eval", task, "-m", "mockllm/other").code == 1
    result = evalrun("results", str(tmp_path / "logs"))
    assert result.code == 0, result.output
    assert "by model\n  mockllm/model: 40\n  mockllm/other: 20\n" in result.out
    assert all(len(line) <= 80 for line in result.out.splitlines())


def test_bad_arguments(evalrun, tmp_path: Path, survey_log: Path) -> None:
    result = evalrun("results", str(tmp_path / "nope.eval"))
    assert result.code == 2 and result.err.endswith("nope.eval: log file not found\n")
    result = evalrun("results", str(survey_log), "--format", "xml")
    assert result.code == 2 and result.err == "--format: `xml` is not one of table, csv, jsonl\n"


# --- real survey logs: `evalrun eval FILE.survey.yaml`, then `evalrun results` -------------

PETS = """
kind: survey
name: pets
questions:
  - name: has_pet
    type: yes_no
    text: "Do you have a pet?"
  - name: pet
    type: multiple_choice
    text: "Which pet?"
    options: [cat, dog, fish]
  - name: hours
    type: numerical
    text: "How many hours a week do you spend with it in {{ season }}?"
  - name: likes
    type: checkbox
    text: "What do you like about pets?"
    options: [company, walks, quiet]
rules:
  - skip: pet
    if: "has_pet == 'No'"
  - skip: hours
    if: "has_pet == 'No'"
answer_retries: 0
agents:
  - name: ann
    traits: {age: 30, city: Oslo}
  - name: bob
    traits: {age: 60, city: Rome}
  - name: cy
    traits: {age: 45, city: Oslo}
scenarios:
  - {season: winter}
  - {season: summer}
iterations: 2
models: [mockllm/model]
model_args: {responses: pets.responses.jsonl}
"""
#: ann: a cat, 10 hours, company and quiet; bob: no pet (pet and hours skipped), walks;
#: cy: a parrot (invalid for good: no retries), 5 hours in winter and 7 in summer, company
PETS_RESPONSES = [
    {"match": "(?s)age: 60.*Do you have a pet\\?", "output": "ANSWER: No"},
    {"match": "Do you have a pet\\?", "output": "Yes"},
    {
        "match": "(?s)age: 30.*Which pet\\?",
        "output": "ANSWER: cat\nCOMMENT: She sleeps on my desk.",
    },
    {"match": "(?s)age: 45.*Which pet\\?", "output": "ANSWER: a parrot"},
    {"match": "(?s)age: 30.*How many hours", "output": "ANSWER: 10"},
    {"match": "(?s)How many hours.*winter", "output": "5"},
    {"match": "How many hours", "output": "7"},
    {"match": "(?s)age: 30.*What do you like", "output": "ANSWER: company, quiet"},
    {"match": "(?s)age: 60.*What do you like", "output": "ANSWER: walks"},
    {"match": "What do you like", "output": "company"},
]
PET_COLUMNS = [
    "id", "agent.name", "agent.age", "agent.city", "scenario.season", "model.name", "iteration",
    "answer.has_pet", "answer.pet", "answer.hours", "answer.likes",
    "comment.has_pet", "comment.pet", "comment.hours", "comment.likes",
    "prompt.has_pet", "prompt.pet", "prompt.hours", "prompt.likes",
    "status.has_pet", "status.pet", "status.hours", "status.likes",
    "tokens", "cost", "error",
]  # fmt: skip


@pytest.fixture
def pets(evalrun, tmp_path: Path) -> Path:
    """The pets survey run on mockllm/model (its responses) and mockllm/other (no
    responses: every answer invalid); the folder of the two logs."""
    (tmp_path / "pets.survey.yaml").write_text(PETS, encoding="utf-8")
    write_jsonl(tmp_path / "pets.responses.jsonl", PETS_RESPONSES)
    result = evalrun("eval", "pets.survey.yaml", "-m", "mockllm/model", "-m", "mockllm/other")
    assert result.code == 0, result.output
    assert len(logs_in(tmp_path / "logs")) == 2
    return tmp_path / "logs"


def _by_key(rows: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {(r["model.name"], r["id"], r["iteration"]): r for r in rows}


def test_survey_log_exports(evalrun, pets: Path, tmp_path: Path) -> None:
    result = evalrun(
        "results", str(pets), "--format", "csv", "--output", str(tmp_path / "pets.csv")
    )
    assert result.code == 0 and result.out == "", result.output
    with (tmp_path / "pets.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == PET_COLUMNS
        table = list(reader)
    assert len(table) == 24
    rows = {(r["model.name"], r["id"], r["iteration"]): r for r in table}
    ann = rows[("mockllm/model", "ann/scenario1", "2")]
    assert (ann["agent.age"], ann["agent.city"], ann["scenario.season"]) == ("30", "Oslo", "winter")
    assert ann["answer.pet"] == "cat" and ann["comment.pet"] == "She sleeps on my desk."
    assert ann["answer.hours"] == "10" and ann["answer.likes"] == '["company","quiet"]'
    assert ann["prompt.pet"].startswith("Which pet?\n\n") and ann["status.pet"] == "valid"
    assert int(ann["tokens"]) > 0 and ann["cost"] == "0.0" and ann["error"] == ""
    bob = rows[("mockllm/model", "bob/scenario2", "1")]
    assert (bob["answer.has_pet"], bob["status.pet"], bob["answer.pet"]) == ("No", "skipped", "")
    assert bob["prompt.pet"] == "" and bob["answer.likes"] == '["walks"]'
    cy = rows[("mockllm/model", "cy/scenario1", "1")]
    assert (cy["status.pet"], cy["answer.pet"], cy["answer.hours"]) == ("invalid", "", "5")
    assert rows[("mockllm/model", "cy/scenario2", "1")]["answer.hours"] == "7"
    other = rows[("mockllm/other", "ann/scenario1", "1")]
    assert {other[f"status.{q}"] for q in ("has_pet", "pet", "hours", "likes")} == {"invalid"}

    result = evalrun("results", str(pets), "--format", "jsonl")
    assert result.code == 0, result.output
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert len(lines) == 24 and all(list(line) == PET_COLUMNS for line in lines)
    jsonl = _by_key(lines)
    assert jsonl[("mockllm/model", "ann/scenario1", 2)]["answer.likes"] == ["company", "quiet"]
    assert jsonl[("mockllm/model", "ann/scenario1", 2)]["agent.age"] == 30
    assert jsonl[("mockllm/model", "bob/scenario1", 1)]["answer.pet"] is None
    assert _by_key(api.results(pets)) == jsonl


def test_survey_log_summary_by_model(evalrun, pets: Path) -> None:
    result = evalrun("results", str(pets))
    assert result.code == 0, result.output
    assert result.out == (
        "pets: 24 interviews; by model\n"
        "  mockllm/model: 12\n"
        "  mockllm/other: 12\n"
        "\n"
        "has_pet (yes_no): 12 valid, 12 invalid, 0 skipped\n"
        "  mockllm/model: 12 valid, 0 invalid, 0 skipped\n"
        "    Yes ██████████████████████████▋············· 8  67%\n"
        "    No  █████████████▍·························· 4  33%\n"
        "  mockllm/other: 0 valid, 12 invalid, 0 skipped\n"
        "\n"
        "pet (multiple_choice): 4 valid, 16 invalid, 4 skipped\n"
        "  mockllm/model: 4 valid, 4 invalid, 4 skipped\n"
        "    cat  ████████████████████████████████████████ 4 100%\n"
        "    dog  ········································ 0   0%\n"
        "    fish ········································ 0   0%\n"
        "  mockllm/other: 0 valid, 12 invalid, 0 skipped\n"
        "\n"
        "hours (numerical): 8 valid, 12 invalid, 4 skipped\n"
        "  mockllm/model: 8 valid, 0 invalid, 4 skipped\n"
        "    mean 8  median 8.5  std 2.27  min 5  max 10\n"
        "  mockllm/other: 0 valid, 12 invalid, 0 skipped\n"
        "\n"
        "likes (checkbox): 12 valid, 12 invalid, 0 skipped\n"
        "  mockllm/model: 12 valid, 0 invalid, 0 skipped\n"
        "    company ██████████████████████████▋············· 8  67%\n"
        "    walks   █████████████▍·························· 4  33%\n"
        "    quiet   █████████████▍·························· 4  33%\n"
        "  mockllm/other: 0 valid, 12 invalid, 0 skipped\n"
    )


def test_survey_log_by_select_where(evalrun, pets: Path) -> None:
    model_log = next(p for p in logs_in(pets) if "mockllm-model" in p.name)
    result = evalrun("results", str(model_log), "--by", "agent.city", "--select", "answer.h*")
    assert result.code == 0, result.output
    assert result.out == (
        "pets: 12 interviews; by agent.city\n"
        "  Oslo: 8\n"
        "  Rome: 4\n"
        "\n"
        "has_pet (yes_no): 12 valid, 0 invalid, 0 skipped\n"
        "  Oslo: 8 valid, 0 invalid, 0 skipped\n"
        "    Yes ████████████████████████████████████████ 8 100%\n"
        "    No  ········································ 0   0%\n"
        "  Rome: 4 valid, 0 invalid, 0 skipped\n"
        "    Yes ········································ 0   0%\n"
        "    No  ████████████████████████████████████████ 4 100%\n"
        "\n"
        "hours (numerical): 8 valid, 0 invalid, 4 skipped\n"
        "  Oslo: 8 valid, 0 invalid, 0 skipped\n"
        "    mean 8  median 8.5  std 2.27  min 5  max 10\n"
        "  Rome: 0 valid, 0 invalid, 4 skipped\n"
    )
    result = evalrun(
        "results", str(pets), "--by", "model,scenario.season", "--select", "answer.hours"
    )
    assert result.code == 0, result.output
    assert "  mockllm/model / summer: 6\n" in result.out
    assert "  mockllm/model / winter: 4 valid, 0 invalid, 2 skipped\n    mean 7.5  median 7.5" in (
        result.out
    )
    where = "agent.age < 50 and scenario.season == 'winter' and pet != 'cat'"
    result = evalrun(
        "results",
        str(pets),
        "--format",
        "csv",
        "--select",
        "id,model.name,status.*",
        "--where",
        where,
    )
    assert result.code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.out)))
    assert sorted((r["model.name"], r["id"]) for r in table) == [
        ("mockllm/model", "cy/scenario1"), ("mockllm/model", "cy/scenario1"),
        ("mockllm/other", "ann/scenario1"), ("mockllm/other", "ann/scenario1"),
        ("mockllm/other", "cy/scenario1"), ("mockllm/other", "cy/scenario1"),
    ]  # fmt: skip
    assert list(table[0]) == [
        "id",
        "model.name",
        "status.has_pet",
        "status.pet",
        "status.hours",
        "status.likes",
    ]
    rows = api.results(pets, where="'quiet' in likes or hours < 6", select=["id", "answer.hours"])
    assert sorted((r["id"], r["answer.hours"]) for r in rows) == [
        ("ann/scenario1", 10), ("ann/scenario1", 10), ("ann/scenario2", 10), ("ann/scenario2", 10),
        ("cy/scenario1", 5), ("cy/scenario1", 5),
    ]  # fmt: skip
    result = evalrun("results", str(pets), "--where", "hours >")
    assert result.code == 2 and result.err.startswith("--where: ") and "at column" in result.err


def test_errored_interviews_are_counted_not_asked(evalrun, tmp_path: Path) -> None:
    (tmp_path / "pets.survey.yaml").write_text(PETS, encoding="utf-8")
    write_jsonl(tmp_path / "pets.responses.jsonl", PETS_RESPONSES)
    result = evalrun(
        "eval",
        "pets.survey.yaml",
        "-M",
        "error_rate=0.3",
        "--max-retries",
        "0",
        "--no-fail-on-error",
    )
    assert result.code == 0, result.output
    rows = api.results(tmp_path / "logs")
    errored = [r for r in rows if r["error"] is not None]
    assert 0 < len(errored) < 12
    assert all("simulated transient error" in r["error"] for r in errored)
    assert len(api.results(tmp_path / "logs", where="error != null")) == len(errored)
    result = evalrun("results", str(tmp_path / "logs"))
    assert result.code == 0, result.output
    assert result.out.startswith(f"pets: 12 interviews, {len(errored)} errored\n")
    not_asked = sum(r["status.likes"] is None for r in rows)
    assert f" 0 skipped, {not_asked} not asked\n" in result.out  # likes: never skipped


TYPES = """
kind: survey
name: types
questions:
  - {name: agree, type: likert_five, text: "Pets are good."}
  - {name: names, type: list, text: "Name some pets."}
  - {name: order, type: rank, text: "Rank these.", options: [cat, dog, fish]}
  - {name: best, type: top_k, text: "Pick two.", options: [cat, dog, fish], k: 2}
  - {name: spend, type: budget, text: "Split 100.", options: [food, toys]}
  - {name: grid, type: matrix, text: "Rate.", items: [cat, dog], options: [good, bad]}
  - {name: facts, type: extract, text: "Facts.", fields: {age: integer, name: text, ok: boolean}}
agents:
  - traits: {age: 30}
  - traits: {age: 60}
scenarios: [{season: winter}]
models: [mockllm/model]
model_args: {responses: types.responses.jsonl}
"""
TYPES_RESPONSES = [
    {"match": "(?s)age: 60.*Pets are good", "output": "ANSWER: Disagree"},
    {"match": "Pets are good", "output": "ANSWER: Strongly agree"},
    {"match": "Name some pets", "output": "ANSWER: Rex, Tom, Nemo"},
    {"match": "(?s)age: 60.*Rank these", "output": "ANSWER: dog, cat, fish"},
    {"match": "Rank these", "output": "ANSWER: cat, dog, fish"},
    {"match": "Pick two", "output": "ANSWER: cat, dog"},
    {"match": "(?s)age: 60.*Split 100", "output": 'ANSWER: {"food": 80, "toys": 20}'},
    {"match": "Split 100", "output": 'ANSWER: {"food": 50, "toys": 50}'},
    {"match": "Rate\\.", "output": 'ANSWER: {"cat": "good", "dog": "bad"}'},
    {"match": "Facts\\.", "output": 'ANSWER: {"age": 3, "name": "Tom", "ok": true}'},
]


def test_summaries_of_every_kind_of_answer(evalrun, tmp_path: Path) -> None:
    (tmp_path / "types.survey.yaml").write_text(TYPES, encoding="utf-8")
    write_jsonl(tmp_path / "types.responses.jsonl", TYPES_RESPONSES)
    result = evalrun("eval", "types.survey.yaml")
    assert result.code == 0, result.output
    result = evalrun("results", str(tmp_path / "logs"), "--select", "answer.*")
    assert result.code == 0, result.output
    assert result.out.split("\n\n")[1:] == [
        "agree (likert_five): 2 valid, 0 invalid, 0 skipped\n"
        "  Strongly disagree ········································ 0   0%\n"
        "  Disagree          ████████████████████···················· 1  50%\n"
        "  Neutral           ········································ 0   0%\n"
        "  Agree             ········································ 0   0%\n"
        "  Strongly agree    ████████████████████···················· 1  50%",
        "names (list): 2 valid, 0 invalid, 0 skipped\n"
        "  most named:\n"
        "  Rex  ████████████████████████████████████████ 2 100%\n"
        "  Tom  ████████████████████████████████████████ 2 100%\n"
        "  Nemo ████████████████████████████████████████ 2 100%\n"
        "  items: mean 3  median 3  std 0  min 3  max 3",
        "order (rank): 2 valid, 0 invalid, 0 skipped\n"
        "  ranked first:\n"
        "  cat  ████████████████████···················· 1  50%\n"
        "  dog  ████████████████████···················· 1  50%\n"
        "  fish ········································ 0   0%\n"
        "  mean place:  cat 1.5  dog 1.5  fish 3",
        "best (top_k): 2 valid, 0 invalid, 0 skipped\n"
        "  cat  ████████████████████████████████████████ 2 100%\n"
        "  dog  ████████████████████████████████████████ 2 100%\n"
        "  fish ········································ 0   0%",
        "spend (budget): 2 valid, 0 invalid, 0 skipped\n"
        "  food: mean 65  median 65  std 21.21  min 50  max 80\n"
        "  toys: mean 35  median 35  std 21.21  min 20  max 50",
        "grid (matrix): 2 valid, 0 invalid, 0 skipped\n  cat: good 2\n  dog: bad 2",
        "facts (extract): 2 valid, 0 invalid, 0 skipped\n"
        "  age: mean 3  median 3  std 0  min 3  max 3\n"
        "  name: Tom 2\n"
        "  ok: true 2\n",
    ]
    result = evalrun(
        "results", str(tmp_path / "logs"), "--format", "csv", "--where", "agent.age == 60"
    )
    row = next(csv.DictReader(io.StringIO(result.out)))
    assert row["answer.order"] == '["dog","cat","fish"]'
    assert row["answer.spend"] == '{"food":80,"toys":20}'
    assert row["answer.facts"] == '{"age":3,"name":"Tom","ok":true}'
