"""The example tasks in tasks/ run offline on mockllm and give the scores their
responses files are built for (neither 0 nor 1: the examples show real scoring)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import TASKS, logs_in, metric, only_log

EXPECTED = {
    "arithmetic.yaml": ("match", "accuracy", 0.8),
    "capitals.yaml": ("choice", "accuracy", 0.7),
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
    result = evalrun("eval", str(TASKS), "--display", "plain")
    assert result.code == 0, result.output
    assert len(logs_in(tmp_path / "logs")) == len(EXPECTED)
    for name in ("arithmetic", "capitals", "dates", "trivia"):
        assert f"start  {name} x mockllm/model" in result.err


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
