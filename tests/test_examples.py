"""The example tasks in tasks/ run offline on mockllm and give the scores their
responses files are built for (neither 0 nor 1: the examples show real scoring); the
example surveys give the varied, valid answers theirs are built for."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TASKS, logs_in, metric, only_log

from evalrun import read_log
from evalrun import results as log_rows

EXPECTED = {
    "arithmetic.yaml": ("match", "accuracy", 0.8),
    "capitals.yaml": ("choice", "accuracy", 0.7),
    "city_density.yaml": ("match", "accuracy", 0.8),
    "dates.yaml": ("pattern", "accuracy", 0.75),
    "trivia.yaml": ("f1", "mean", 0.7238095238),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_task_scores(name: str, evalrun, tmp_path: Path) -> None:
    result = evalrun("eval", str(TASKS / name))
    assert result.code == 0, result.output
    scorer, metric_name, expected = EXPECTED[name]
    log = only_log(tmp_path / "logs")
    assert log["status"] == "success"
    assert metric(log, metric_name, scorer) == pytest.approx(expected, abs=1e-6)
    assert "Results" in result.out and scorer in result.out


def test_whole_tasks_folder_runs_every_task(evalrun, tmp_path: Path) -> None:
    """Tasks and surveys alike."""
    result = evalrun("eval", str(TASKS), "--display", "plain")
    assert result.code == 0, result.output
    assert len(logs_in(tmp_path / "logs")) == len(EXPECTED) + len(SURVEYS)
    for name in ("arithmetic", "capitals", "city_density", "dates", "trivia", "colours", "coffee"):
        assert f"start  {name} x mockllm/model" in result.err


def test_agentic_example_records_each_step(evalrun, tmp_path: Path) -> None:
    """city_density.yaml: Tokyo's agent misspells the city, reads the tool's error, looks
    it up again, divides and submits; the efficiency reward reads the trajectory."""
    assert evalrun("eval", str(TASKS / "city_density.yaml")).code == 0
    log = read_log(next((tmp_path / "logs").glob("*.eval")))
    tokyo = next(s for s in log.samples if s.id == "tokyo")
    assert tokyo.trajectory is not None
    steps = [(s.type, s.name, s.error is not None) for s in tokyo.trajectory.steps]
    assert steps == [
        ("model", None, False),
        ("tool", "city_facts", True),
        ("model", None, False),
        ("tool", "city_facts", False),
        ("model", None, False),
        ("tool", "calculator", False),
        ("model", None, False),
        ("tool", "submit", False),
    ]
    assert "no city named 'Tokio'" in (tokyo.trajectory.steps[1].error or "")
    assert (tokyo.trajectory.end, tokyo.answer, tokyo.trajectory.tool_errors) == (
        "submit",
        "15509",
        1,
    )
    assert tokyo.scores["match"].value == "C" and tokyo.scores["efficiency"].value == 0.75
    assert metric(log.model_dump(), "mean", "efficiency") == pytest.approx(0.9)


# --- surveys: every interview's answers, as the responses files give them ----------------

#: interview -> question -> answer (None: skipped); every asked question is answered validly
SURVEYS: dict[str, dict[str, dict[str, object]]] = {
    "colours.survey.yaml": {
        "artist/scenario1": {"has_favourite": "Yes", "favourite": "blue", "how_much": 5,
                             "why": "Winter light on snow is blue, and I mix that blue every morning."},
        "artist/scenario2": {"has_favourite": "Yes", "favourite": "other", "how_much": None,
                             "why": "Summer here is terracotta and ochre, and neither was on your list."},
        "agent2/scenario1": {"has_favourite": "No", "favourite": None, "how_much": None, "why": None},
        "agent2/scenario2": {"has_favourite": "Yes", "favourite": "green", "how_much": 3,
                             "why": "Green is calm. It reminds me of a quiet park at lunch, and of balanced books."},
    },
    "coffee.survey.yaml": {
        "student/scenario1": {"drinks": ["espresso", "filter coffee"], "max_price": 2.5, "value": "Agree",
                              "priorities": ["price", "caffeine"],
                              "budget": {"home brewing": 70, "café visits": 20, "ready-to-drink": 10},
                              "times": {"morning": "always", "afternoon": "sometimes", "evening": "sometimes"}},
        "student/scenario2": {"drinks": ["espresso", "filter coffee"], "max_price": 3, "value": "Disagree",
                              "priorities": ["price", "caffeine"],
                              "budget": {"home brewing": 70, "café visits": 20, "ready-to-drink": 10},
                              "times": {"morning": "always", "afternoon": "sometimes", "evening": "sometimes"}},
        "nurse/scenario1": {"drinks": ["filter coffee", "cold brew", "tea"], "max_price": 4, "value": "Agree",
                            "priorities": ["caffeine", "convenience"],
                            "budget": {"home brewing": 30, "café visits": 30, "ready-to-drink": 40},
                            "times": {"morning": "sometimes", "afternoon": "sometimes", "evening": "always"}},
        "nurse/scenario2": {"drinks": ["filter coffee", "cold brew", "tea"], "max_price": 5,
                            "value": "Strongly agree", "priorities": ["taste", "caffeine"],
                            "budget": {"home brewing": 30, "café visits": 30, "ready-to-drink": 40},
                            "times": {"morning": "sometimes", "afternoon": "sometimes", "evening": "always"}},
        "retiree/scenario1": {"drinks": ["latte", "tea"], "max_price": 1, "value": None,
                              "priorities": ["taste", "sustainability"],
                              "budget": {"home brewing": 20, "café visits": 80, "ready-to-drink": 0},
                              "times": None},
        "retiree/scenario2": {"drinks": ["latte", "tea"], "max_price": 4.5, "value": "Neutral",
                              "priorities": ["taste", "sustainability"],
                              "budget": {"home brewing": 20, "café visits": 80, "ready-to-drink": 0},
                              "times": None},
    },
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_example_survey_answers(name: str, evalrun, tmp_path: Path) -> None:
    result = evalrun("eval", str(TASKS / name))
    assert result.code == 0, result.output
    assert "answered" in result.out
    (path,) = logs_in(tmp_path / "logs")
    log = read_log(path)
    assert log.status == "success"
    got = {}
    for sample in log.samples:
        answers = sample.store["survey"]["answers"]
        got[sample.id] = {q: a["answer"] for q, a in answers.items()}
        assert all(a["status"] in ("valid", "skipped") for a in answers.values()), answers
        assert sample.scores["answered"].value == 1.0
    assert got == SURVEYS[name]


def test_example_surveys_show_comments_bare_answers_and_a_retry(evalrun, tmp_path: Path) -> None:
    """The responses files also give comments, bare answers and one invalid answer that
    is asked again: what a real survey's results hold."""
    assert evalrun("eval", str(TASKS / "coffee.survey.yaml")).code == 0
    rows = {row["id"]: row for row in log_rows(tmp_path / "logs")}
    assert rows["student/scenario1"]["comment.value"] == "Cheaper than a café."  # bare answer
    assert rows["nurse/scenario1"]["comment.times"] == "My mornings are my evenings."
    assert rows["retiree/scenario1"]["status.value"] == "skipped"  # 1 < 3.5 / 2
    assert rows["retiree/scenario1"]["status.times"] == "skipped"  # agent.habit == 'rarely'
    (path,) = logs_in(tmp_path / "logs")
    nurse = next(s for s in read_log(path).samples if s.id == "nurse/scenario2")
    price = nurse.store["survey"]["answers"]["max_price"]
    assert (price["answer"], price["attempts"], price["comment"]) == (5, 2, None)
    assert any("That answer is not valid: " in m.content for m in nurse.messages)


def test_example_run_config(evalrun, tmp_path: Path) -> None:
    """configs/run.yaml is a working example (its log_dir is overridden here)."""
    result = evalrun(
        "eval", str(TASKS / "arithmetic.yaml"), "--config", str(TASKS.parent / "configs" / "run.yaml"),
        "--log-dir", str(tmp_path / "logs"),
    )  # fmt: skip
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["header"]["run_config"]["max_samples"] == 50
    assert log["header"]["tags"] == ["math", "smoke", "example"]
    assert log["header"]["metadata"] == {"owner": "evals-team", "purpose": "demo"}
