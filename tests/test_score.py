"""`evalrun score`: rescoring a finished log's outputs, with no model under test called."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import logs_in

from evalrun.log import iter_samples, read_summary
from evalrun.scorer._text import squash

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def task(tmp_path: Path) -> Path:
    """tasks/arithmetic.yaml and its data (mockllm with its responses file), in tmp_path."""
    shutil.copy(ROOT / "tasks" / "arithmetic.yaml", tmp_path / "arithmetic.yaml")
    shutil.copytree(ROOT / "tasks" / "data", tmp_path / "data")
    return tmp_path / "arithmetic.yaml"


def _run_task(evalrun, tmp_path: Path, *args: str) -> Path:
    result = evalrun("eval", "arithmetic.yaml", "--display", "none", *args)
    assert result.code in (0, 1), result.output
    (log,) = logs_in(tmp_path / "logs")
    return log


def _new_log(tmp_path: Path, old: Path) -> Path:
    (new,) = [p for p in logs_in(tmp_path / "logs") if p != old]
    return new


def _accuracy(path: Path, scorer: str) -> float:
    (found,) = [s for s in read_summary(path).results.scores if s.scorer == scorer]
    value = found.metrics["accuracy"]
    assert value is not None
    return value


def test_rescoring_changes_the_metric_and_calls_no_model(evalrun, task, tmp_path) -> None:
    old = _run_task(evalrun, tmp_path)
    before = old.read_bytes()
    samples = list(iter_samples(old))
    # by hand: `exact` holds when the whole answer is the target
    right = [
        s
        for s in samples
        if squash(s.output.completion, ignore_case=True) == squash(str(s.target), ignore_case=True)
    ]
    expected = len(right) / len(samples)
    assert 0 < expected < _accuracy(old, "match")
    # the model under test cannot even be made now: rescoring must not need it
    (tmp_path / "data" / "arithmetic.responses.jsonl").unlink()

    result = evalrun("score", str(old), "--scorer", "exact", "--display", "none")

    new = _new_log(tmp_path, old)
    summary = read_summary(new)
    assert summary.status == "success"
    assert summary.results.errored_samples == 0
    assert summary.results.scored_samples == len(samples)
    assert _accuracy(new, "exact") == pytest.approx(expected)
    assert summary.header.rescored_from == str(old)
    assert summary.header.task_spec["scorer"] == ["exact"]
    assert summary.header.model == "mockllm/model"
    assert old.read_bytes() == before  # the old log is never changed
    # the task's threshold (accuracy >= 0.7) still names a metric: the CI rule applies
    assert summary.header.task_spec["thresholds"] == {"accuracy": 0.7}
    assert result.code == (0 if expected >= 0.7 else 1), result.output
    assert "exact" in result.out and f"log: {new}" in result.out
    # the recorded outputs are what was scored, record by record
    rescored = {(s.id, s.epoch): s for s in iter_samples(new)}
    for sample in samples:
        again = rescored[(sample.id, sample.epoch)]
        assert again.output.completion == sample.output.completion
        assert [m.content for m in again.messages] == [m.content for m in sample.messages]
        assert again.usage == sample.usage
        assert again.scores["exact"].value == ("C" if sample in right else "I")


def test_rescoring_with_the_tasks_own_scorers_gives_the_same_results(
    evalrun, task, tmp_path
) -> None:
    old = _run_task(evalrun, tmp_path)
    result = evalrun("score", str(old), "--display", "none")
    assert result.code == 0, result.output
    new = _new_log(tmp_path, old)
    assert read_summary(new).results.scores == read_summary(old).results.scores
    assert read_summary(new).results.thresholds == read_summary(old).results.thresholds


def test_the_python_api(evalrun, task, tmp_path) -> None:
    import evalrun as api

    old = _run_task(evalrun, tmp_path)
    result = api.score(old, scorers=["{match: {location: any}}", "exact"])
    assert result.ok and result.counts.errored == 0
    assert [s["scorer"] for s in result.scores] == ["match", "exact"]
    assert result.log_path.parent == old.parent and result.log_path != old
    assert "score" in dir(api)


def test_a_bad_scorer_is_one_line_exit_2(evalrun, task, tmp_path) -> None:
    old = _run_task(evalrun, tmp_path)
    for spec, words in [
        ("nosuch", "nosuch"),
        ("{match: {locaton: any}}", "locaton"),
        ("{match: {location: nowhere}}", "--scorer:1:"),
        ("[unclosed", "invalid YAML"),
    ]:
        result = evalrun("score", str(old), "--scorer", spec, "--display", "none")
        assert result.code == 2, (spec, result.output)
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and words in lines[0], (spec, result.err)
        assert "Traceback" not in result.output
    assert logs_in(tmp_path / "logs") == [old]  # nothing written


def test_errored_samples_stay_errored(evalrun, task, tmp_path) -> None:
    old = _run_task(evalrun, tmp_path, "-M", "error_rate=0.3", "--no-fail-on-error")
    errored = {(s.id, s.epoch): s.error for s in iter_samples(old) if s.error is not None}
    assert errored
    result = evalrun("score", str(old), "--scorer", "{match: {location: any}}")
    new = _new_log(tmp_path, old)
    assert read_summary(new).results.errored_samples == len(errored)
    again = {(s.id, s.epoch): s for s in iter_samples(new)}
    for key, error in errored.items():
        assert again[key].error == error and again[key].scores == {}
    assert all("match" in s.scores for k, s in again.items() if k not in errored)
    # the same CI rule as the run's (errors under --no-fail-on-error, the threshold met)
    assert result.code == 0, result.output
    assert f"errored {len(errored)}" in result.out
    assert read_summary(new).results.thresholds == read_summary(old).results.thresholds


def test_a_scorer_that_calls_the_model_under_test_fails_its_samples(
    evalrun, task, tmp_path
) -> None:
    old = _run_task(evalrun, tmp_path)
    result = evalrun("score", str(old), "--scorer", "model_graded_qa", "--display", "none")
    assert result.code == 1
    new = _new_log(tmp_path, old)
    records = list(iter_samples(new))
    assert records and all(s.error is not None for s in records)
    assert "rescoring calls no model under test" in records[0].error.message
    # a grader (another model) is called as in a run
    grader = "{model_graded_qa: {grader: mockllm/grader}}"
    for path in logs_in(tmp_path / "logs"):
        if path != old:
            path.unlink()
    result = evalrun("score", str(old), "--scorer", grader, "--display", "none")
    new = _new_log(tmp_path, old)
    records = list(iter_samples(new))
    assert all(s.error is None for s in records)
    assert records[0].scores["model_graded_qa"].metadata["grader"]["model"] == "mockllm/grader"
    assert read_summary(new).results.scores[0].unparsed == len(records)


def test_a_config_file_with_scorers_and_thresholds(evalrun, task, write, tmp_path) -> None:
    old = _run_task(evalrun, tmp_path)
    write(
        "score.yaml",
        """
        scorer:
          - {match: {location: any, numeric: true}}
        metrics: [accuracy]
        thresholds:
          accuracy: 0.99
        """,
    )
    result = evalrun("score", str(old), "--config", "score.yaml", "--display", "none")
    assert result.code == 1, result.output
    new = _new_log(tmp_path, old)
    summary = read_summary(new)
    (score,) = summary.results.scores
    assert list(score.metrics) == ["accuracy"]
    (check,) = summary.results.thresholds
    assert check.metric == "accuracy" and check.threshold == 0.99 and check.status == "fail"
    assert re.search(r"threshold .*accuracy", result.output)

    write("bad.yaml", "scorer: [exact]\nthreshold:\n  accuracy: 0.5\n")
    result = evalrun("score", str(old), "--config", "bad.yaml")
    assert result.code == 2
    assert result.err.strip().startswith("bad.yaml:2:1") or "bad.yaml:2:1" in result.err
    assert "threshold" in result.err and len(result.err.strip().splitlines()) == 1

    write("bad2.yaml", "scorer: [exact]\nthresholds:\n  f1: 0.5\n")
    result = evalrun("score", str(old), "--config", "bad2.yaml")
    assert result.code == 2 and "bad2.yaml:3:3" in result.err, result.err
