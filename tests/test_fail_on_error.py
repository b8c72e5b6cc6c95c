"""fail_on_error: each of its four forms trips exactly when the spec says.

With `-M error_rate=0.3 seed=3` the mock fails a fixed, seeded set of requests; the
tests first count those errors with `--no-fail-on-error`, then check each rule
against that count (errors are counted over samples x epochs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import clear_logs, only_log, write_jsonl

MOCK = ["-m", "mockllm/model", "-M", "error_rate=0.3", "-M", "seed=3", "--max-samples", "4"]


@pytest.fixture
def task(write, tmp_path: Path) -> Path:
    write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": i, "input": f"question {i}", "target": "x"} for i in range(1, 21)],
    )
    return write("t.yaml", "dataset: {path: d.jsonl}\nepochs: 2\nscorer: [exact]\n")


def run(evalrun, task: Path, tmp_path: Path, *options: str) -> tuple[int, dict, str]:
    clear_logs(tmp_path / "logs")
    result = evalrun("eval", str(task), *MOCK, *options)
    return result.code, only_log(tmp_path / "logs"), result.output


def count_errors(evalrun, task: Path, tmp_path: Path) -> int:
    code, log, _ = run(evalrun, task, tmp_path, "--no-fail-on-error")
    assert code == 0 and log["status"] == "success"
    assert log["results"]["completed_samples"] == 40  # scored + errored
    errors = log["results"]["errored_samples"]
    assert 5 <= errors <= 20, errors  # 30% of 40, seeded
    for sample in log["samples"]:
        if sample["error"]:
            assert (
                sample["error"]["kind"] == "model"
                and "simulated transient error" in sample["error"]["message"]
            )
    return errors


def test_false_never_fails(evalrun, task: Path, tmp_path: Path) -> None:
    count_errors(evalrun, task, tmp_path)


def test_errors_are_deterministic_under_concurrency(evalrun, task: Path, tmp_path: Path) -> None:
    failed = []
    for max_samples in ("1", "40"):
        clear_logs(tmp_path / "logs")
        assert (
            evalrun(
                "eval", str(task), *MOCK, "--no-fail-on-error", "--max-samples", max_samples
            ).code
            == 0
        )
        log = only_log(tmp_path / "logs")
        failed.append(sorted((s["id"], s["epoch"]) for s in log["samples"] if s["error"]))
    assert 5 <= len(failed[0]) <= 20  # errors happen (30% of 40, seeded)...
    assert failed[0] == failed[1]  # ...and the same ones, whatever the concurrency


def test_true_fails_on_first_error(evalrun, task: Path, tmp_path: Path) -> None:
    code, log, output = run(evalrun, task, tmp_path, "--fail-on-error", "true")
    assert code == 1
    assert log["status"] == "error"
    assert log["results"]["errored_samples"] >= 1
    assert (
        "fail_on_error: " in log["error"]["message"]
        and "no errors allowed" in log["error"]["message"]
    )
    assert "fail_on_error" in output
    # stopped promptly: far fewer than all 40 sample-epochs ran
    assert len(log["samples"]) < 40


def test_true_is_the_default(evalrun, task: Path, tmp_path: Path) -> None:
    code, log, _ = run(evalrun, task, tmp_path)
    assert code == 1 and log["status"] == "error"


def test_share(evalrun, task: Path, tmp_path: Path) -> None:
    errors = count_errors(evalrun, task, tmp_path)
    share_below = (errors - 1) / 40  # errors > share * 40: trips
    share_at = errors / 40  # errors == share * 40, not more: does not trip
    code, log, _ = run(evalrun, task, tmp_path, "--fail-on-error", f"{share_below:.4f}")
    assert code == 1 and log["status"] == "error", (errors, share_below)
    assert f"{share_below:.4f}".rstrip("0") in log["error"]["message"]
    code, log, _ = run(evalrun, task, tmp_path, "--fail-on-error", f"{share_at:.4f}")
    assert code == 0 and log["status"] == "success"
    assert log["results"]["errored_samples"] == errors


def test_count(evalrun, task: Path, tmp_path: Path) -> None:
    errors = count_errors(evalrun, task, tmp_path)
    code, log, _ = run(evalrun, task, tmp_path, "--fail-on-error", str(errors - 1))
    assert code == 1 and log["status"] == "error"
    assert log["results"]["errored_samples"] == errors  # tripped at the error past the count
    code, log, _ = run(evalrun, task, tmp_path, "--fail-on-error", str(errors))
    assert code == 0 and log["status"] == "success"


def test_task_file_value_is_used(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"question {i}"} for i in range(1, 21)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\nepochs: 2\nfail_on_error: 1000\n")
    result = evalrun("eval", str(task), *MOCK)
    assert result.code == 0
    assert only_log(tmp_path / "logs")["header"]["task_spec"]["fail_on_error"] == 1000


def test_error_is_recorded_with_traceback(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "boom"}])
    write("bad_scorer.py", "def score(state, target):\n    return 1 / 0\n")
    task = write("t.yaml", "dataset: {path: d.jsonl}\nscorer: [{python: 'bad_scorer:score'}]\n")
    result = evalrun("eval", str(task), "-m", "mockllm/model")
    assert result.code == 1
    log = only_log(tmp_path / "logs")
    error = log["samples"][0]["error"]
    assert error["message"] == "ZeroDivisionError: division by zero"
    assert "bad_scorer.py" in error["traceback"] and "Traceback" in error["traceback"]
    assert "Traceback" not in result.output  # the user sees one line
