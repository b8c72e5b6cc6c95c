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
from conftest import TASKS, logs_in

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
    assert evalrun("eval", task, "-m", "mockllm/other").code == 0
    result = evalrun("results", str(tmp_path / "logs"))
    assert result.code == 0, result.output
    assert "by model\n  mockllm/model: 40\n  mockllm/other: 20\n" in result.out
    assert all(len(line) <= 80 for line in result.out.splitlines())


def test_bad_arguments(evalrun, tmp_path: Path, survey_log: Path) -> None:
    result = evalrun("results", str(tmp_path / "nope.eval"))
    assert result.code == 2 and result.err.endswith("nope.eval: log file not found\n")
    result = evalrun("results", str(survey_log), "--format", "xml")
    assert result.code == 2 and result.err == "--format: `xml` is not one of table, csv, jsonl\n"
