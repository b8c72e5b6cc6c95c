"""The JSON log: what it holds, and that a log cut short is still readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TASKS, logs_in, only_log

from evalrun.errors import InputError
from evalrun.log import read_log


def test_log_holds_resolved_task_run_config_samples_and_results(evalrun, tmp_path: Path) -> None:
    result = evalrun(
        "eval",
        str(TASKS / "arithmetic.yaml"),
        "--epochs",
        "2",
        "--max-samples",
        "3",
        "--job",
        "nightly",
    )
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["version"] == 1 and log["status"] == "success"
    header = log["header"]
    assert header["task"] == "arithmetic" and header["model"] == "mockllm/model"
    assert header["task_spec"]["epochs"]["count"] == 2  # the resolved task, overrides applied
    assert header["task_spec"]["solver"][1] == {"prompt_template": "{{ input }}\n{{ instruction }}"}
    assert header["run_config"]["max_samples"] == 3 and header["job"] == "nightly"
    assert header["model_args"]["responses"].endswith("arithmetic.responses.jsonl")
    assert len(log["dataset"]) == 20 and log["dataset"][0]["metadata"] == {"topic": "small"}
    assert len(log["samples"]) == 40
    sample = log["samples"][0]
    for key in (
        "id",
        "epoch",
        "input",
        "target",
        "messages",
        "output",
        "scores",
        "error",
        "usage",
        "started_at",
        "total_time",
    ):
        assert key in sample
    assert sample["messages"][0] == {"role": "system", "content": "You are a careful calculator."}
    assert sample["output"]["usage"]["total_tokens"] > 0
    assert sample["scores"]["match"]["value"] in ("C", "I")
    results = log["results"]
    assert results["total_samples"] == 40 and results["completed_samples"] == 40
    assert results["scores"][0]["metrics"]["accuracy"] == pytest.approx(0.8)
    assert log["stats"]["usage"]["calls"] == 40


def test_truncated_log_recovers_finished_samples(evalrun, tmp_path: Path) -> None:
    assert evalrun("eval", str(TASKS / "arithmetic.yaml")).code == 0
    path = logs_in(tmp_path / "logs")[0]
    data = path.read_bytes()
    full = read_log(path)
    assert full.status == "success" and len(full.samples) == 20
    samples_start = data.index(b'"samples": [')
    for cut in (samples_start + 20, len(data) // 2, len(data) - 300, len(data) - 2):
        damaged = tmp_path / f"cut_{cut}.json"
        damaged.write_bytes(data[:cut])
        log = read_log(damaged)
        assert log.status == "started"
        assert log.header.task == "arithmetic" and len(log.dataset) == 20
        assert 0 <= len(log.samples) <= 20
        assert all(s in full.samples for s in log.samples)


@pytest.mark.parametrize("cut", [0, 5, 60])
def test_log_without_header_is_a_clear_error(evalrun, tmp_path: Path, cut: int) -> None:
    assert evalrun("eval", str(TASKS / "dates.yaml")).code == 0
    path = logs_in(tmp_path / "logs")[0]
    damaged = tmp_path / "damaged.json"
    damaged.write_bytes(path.read_bytes()[:cut])
    with pytest.raises(InputError):
        read_log(damaged)


def test_api_eval_returns_results_and_writes_logs(tmp_path: Path) -> None:
    import evalrun

    results = evalrun.eval([TASKS / "trivia.yaml"], log_dir=str(tmp_path), epochs=2)
    assert len(results) == 1 and results[0].ok
    assert results[0].completed == 14
    log = evalrun.read_log(results[0].log_path)
    assert log.results is not None and log.results.scores[0].scorer == "f1"
    assert json.loads(results[0].log_path.read_text())["status"] == "success"
