"""Model-graded scorers you can trust: the grader as an alias or a mapping with its own
arguments and settings, what it was asked and answered recorded in the score, and a reply
with no grade scored 0, marked and counted in the results."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import clear_logs, logs_in, metric, only_log, write_jsonl

from evalrun import eval as run_eval
from evalrun import read_log

QUESTIONS = [
    {"id": "fr", "input": "Capital of France?", "target": "Paris"},
    {"id": "es", "input": "Capital of Spain?", "target": "Madrid"},
    {"id": "it", "input": "Capital of Italy?", "target": "Rome"},
]
#: the model under test: right, wrong, right
ANSWERS = [
    {"match": "France", "output": "Paris"},
    {"match": "Spain", "output": "Barcelona"},
    {"match": "Italy", "output": "Rome"},
]
#: the grader: a grade, a grade, and no grade at all for the third
GRADES = [
    {"match": r"Submission\]: Paris", "output": "Right city.\nGRADE: C"},
    {"match": r"Submission\]: Barcelona", "output": "Wrong city.\nGRADE: I"},
    {"match": r"Submission\]: Rome", "output": "Hmm, hard to say. Maybe yes?"},
]


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    """The data, the model's answers (beside the task) and the grader's (in a subfolder)."""
    write_jsonl(tmp_path / "q.jsonl", QUESTIONS)
    write_jsonl(tmp_path / "answers.jsonl", ANSWERS)
    write_jsonl(tmp_path / "grading" / "grades.jsonl", GRADES)
    return tmp_path


def scores_by_id(log: dict, scorer: str) -> dict:
    return {s["id"]: s["scores"][scorer] for s in log["samples"]}


def test_grader_mapping_with_its_own_model_args(evalrun, write, graded: Path) -> None:
    task = write(
        "tasks/t.yaml",
        """
        dataset: {path: ../q.jsonl}
        model: mockllm/model
        model_args: {responses: ../answers.jsonl}
        scorer:
          - model_graded_fact:
              grader:
                model: mockllm/model
                model_args: {responses: ../grading/grades.jsonl}
                config: {max_tokens: 50}
        epochs: 2
        fail_on_error: false
        """,
    )
    # run from another folder: the grader's responses file resolves against the task's
    elsewhere = graded / "elsewhere"
    elsewhere.mkdir()
    result = evalrun("eval", str(task), cwd=elsewhere)
    assert result.code == 0, result.output
    log = only_log(graded / "logs")
    assert all(s["error"] is None for s in log["samples"])
    # C, I and an unparsed grade (scored I): 1/3, the unparsed grade counted 0
    assert metric(log, "accuracy", "model_graded_fact") == pytest.approx(1 / 3)
    (entry,) = log["results"]["scores"]
    assert entry["unparsed"] == 2  # one sample x two epochs
    for sample in log["samples"]:
        score = sample["scores"]["model_graded_fact"]
        grader = score["metadata"]["grader"]
        assert grader["model"] == "mockllm/model"
        assert (
            grader["reply"]
            == {"fr": GRADES[0], "es": GRADES[1], "it": GRADES[2]}[sample["id"]]["output"]
        )
        assert f"[Question]: {sample['input']}" in grader["prompt"]
        assert f"[Submission]: {sample['output']['completion']}" in grader["prompt"]
        # the grader's call counts in the sample's usage
        assert sample["usage"]["calls"] == 2
    by_id = {(s["id"], s["epoch"]): s["scores"]["model_graded_fact"] for s in log["samples"]}
    assert by_id[("fr", 1)]["value"] == "C" and "unparsed" not in by_id[("fr", 1)]["metadata"]
    assert by_id[("es", 2)]["value"] == "I" and "unparsed" not in by_id[("es", 2)]["metadata"]
    unparsed = by_id[("it", 1)]
    assert unparsed["value"] == "I"
    assert unparsed["metadata"]["unparsed"] is True
    assert unparsed["explanation"].startswith("no grade found in the grader's reply")
    assert "GRADE: X" in unparsed["explanation"]


def test_grader_as_alias_carries_its_model_args(evalrun, write, graded: Path) -> None:
    # the alias's responses file is relative to the models file's folder
    models = write(
        "config/models.yaml",
        """
        models:
          judge:
            model: mockllm/model
            model_args: {responses: ../grading/grades.jsonl}
        """,
    )
    task = write(
        "t.yaml",
        """
        dataset: {path: q.jsonl}
        model: mockllm/model
        model_args: {responses: answers.jsonl}
        scorer:
          - model_graded_qa: {grader: judge}
        """,
    )
    result = evalrun("eval", str(task), "--models", str(models))
    assert result.code == 0, result.output
    log = only_log(graded / "logs")
    assert metric(log, "accuracy", "model_graded_qa") == pytest.approx(1 / 3)
    assert log["results"]["scores"][0]["unparsed"] == 1
    scores = scores_by_id(log, "model_graded_qa")
    assert scores["fr"]["value"] == "C"
    assert scores["fr"]["metadata"]["grader"]["reply"] == GRADES[0]["output"]
    assert "[Criterion]: Paris" in scores["fr"]["metadata"]["grader"]["prompt"]
    assert scores["it"]["metadata"]["unparsed"] is True

    # a mapping naming the alias: its model_args go over the alias's own
    write_jsonl(graded / "all_correct.jsonl", [{"match": ".", "output": "GRADE: C"}])
    task.write_text(
        task.read_text().replace(
            "{grader: judge}",
            "{grader: {model: judge, model_args: {responses: all_correct.jsonl}}}",
        )
    )
    clear_logs(graded / "logs")
    result = evalrun("eval", str(task), "--models", str(models))
    assert result.code == 0, result.output
    log = only_log(graded / "logs")
    assert metric(log, "accuracy", "model_graded_qa") == 1.0
    assert log["results"]["scores"][0]["unparsed"] == 0


def test_prompt_recorded_is_the_prompt_sent(graded: Path) -> None:
    """`mockllm/echo` answers with the prompt it received: the recorded prompt is that text.
    (Its reply holds no `GRADE: C` or `GRADE: I`, so every grade is unparsed: 0, counted.)"""
    task = graded / "t.yaml"
    task.write_text(
        "dataset: {path: q.jsonl}\n"
        "scorer:\n"
        "  - model_graded_qa:\n"
        "      grader: mockllm/echo\n"
        "      instructions: 'Grade it now.'\n"
    )
    (result,) = run_eval(
        [str(task)],
        model=["mockllm/model"],
        model_args={"responses": str(graded / "answers.jsonl")},
        log_dir=str(graded / "logs"),
    )
    assert result.status == "success"
    log = read_log(result.log_path)
    (entry,) = log.results.scores
    assert entry.unparsed == 3 and entry.samples == 3
    assert entry.metrics["accuracy"] == 0.0
    for sample in log.samples:
        score = sample.scores["model_graded_qa"]
        assert score.value == "I"
        grader = score.metadata["grader"]
        assert grader["model"] == "mockllm/echo"
        assert grader["prompt"] == grader["reply"]  # what the grader received, exactly
        assert grader["prompt"].endswith("?\n\nGrade it now.")
        assert f"[Task]: {sample.input}" in grader["prompt"]


def test_a_grade_not_allowed_is_unparsed(evalrun, write, graded: Path) -> None:
    """`GRADE: P` is a grade only with partial_credit; otherwise it cannot count."""
    write_jsonl(graded / "partial.jsonl", [{"match": ".", "output": "GRADE: P"}])
    text = """
        dataset: {path: q.jsonl}
        scorer:
          - model_graded_qa:
              grader: {model: mockllm/model, model_args: {responses: partial.jsonl}}
              partial_credit: PARTIAL
        """
    task = write("t.yaml", text.replace("PARTIAL", "false"))
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    log = only_log(graded / "logs")
    assert metric(log, "accuracy") == 0.0
    assert log["results"]["scores"][0]["unparsed"] == 3
    score = log["samples"][0]["scores"]["model_graded_qa"]
    assert "grade `P` is not allowed" in score["explanation"]

    clear_logs(graded / "logs")
    write("t.yaml", text.replace("PARTIAL", "true"))
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    log = only_log(graded / "logs")
    assert metric(log, "accuracy") == 0.5
    assert log["results"]["scores"][0]["unparsed"] == 0


@pytest.mark.parametrize(
    ("grader", "expected"),
    [
        (
            "{model: mockllm/model, args: {}}",
            ":4:38: unknown key `args` (allowed: model, model_args, config)",
        ),
        (
            "{model: mockllm/model, modelargs: {}}",
            ":4:38: unknown key `modelargs`; did you mean `model_args`? "
            "(allowed: model, model_args, config)",
        ),
        (
            "{model: mockllm/model, config: {temprature: 0}}",
            ":4:47: unknown key `temprature`; did you mean `temperature`?",
        ),
        ("{model_args: {}}", ":4:15: missing required key `model`"),
        ("''", ":4:15: grader: string should have at least 1 character"),
        ("[mockllm/model]", ":4:15: grader must be a model name (`provider/name` or an alias)"),
    ],
)
def test_bad_grader_is_refused_at_its_line(
    evalrun, write, graded: Path, grader: str, expected: str
) -> None:
    task = write(
        "bad.yaml",
        f"dataset: {{path: q.jsonl}}\nscorer:\n  - model_graded_qa:\n      grader: {grader}\n",
    )
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 2, result.output
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.err
    assert lines[0].startswith(str(task)), lines[0]
    assert expected in lines[0], lines[0]
    assert not logs_in(graded / "logs")


def test_models_file_refuses_both_spellings_of_model_args(evalrun, write, graded: Path) -> None:
    models = write(
        "models.yaml",
        "models:\n  judge:\n    model: mockllm/model\n    model_args: {}\n    args: {}\n",
    )
    task = write("t.yaml", "dataset: {path: q.jsonl}\n")
    result = evalrun("eval", str(task), "-m", "judge", "--models", str(models))
    assert result.code == 2, result.output
    assert "models.yaml:3:5: models.judge: give `model_args` or `args`, not both" in result.err


def test_a_grader_that_cannot_be_called_stops_the_run_before_any_sample(
    evalrun, write, graded: Path
) -> None:
    """The grader is made and checked with the model under test: a bad argument is an
    error at its line, a missing key one line naming the variable; no sample runs."""
    bad_arg = write(
        "arg.yaml",
        "dataset: {path: q.jsonl}\nscorer:\n  - model_graded_qa:\n      grader:\n"
        "        model: mockllm/model\n        model_args: {error_rate: 2}\n",
    )
    result = evalrun("eval", str(bad_arg), "-m", "mockllm/model")
    assert result.code == 2 and "Traceback" not in result.output, result.output
    assert result.err.startswith(f"{bad_arg}:6:") and "error_rate" in result.err, result.err
    assert not logs_in(graded / "logs")

    no_key = write(
        "key.yaml",
        "dataset: {path: q.jsonl}\nscorer: [{model_graded_qa: {grader: openai/gpt-4o}}]\n",
    )
    result = evalrun("eval", str(no_key), "-m", "mockllm/model", env={"OPENAI_API_KEY": ""})
    assert result.code == 1 and "OPENAI_API_KEY" in result.err, result.output
    assert len(result.err.strip().splitlines()) == 1 and not logs_in(graded / "logs")
