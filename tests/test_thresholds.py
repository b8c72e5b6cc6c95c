"""Thresholds gate the exit status of `eval` and `eval-set`: the task's `thresholds:`,
`--fail-under` (a metric, or a scorer's), and "not checked" for runs that did not finish."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import logs_in, only_log, raw_log, run_forked, write_jsonl

from evalrun.errors import InputError
from evalrun.log import read_summary

#: mockllm/echo answers each input: 3 of 4 are right (accuracy 0.75)
ROWS = [{"id": i, "input": f"a{i}", "target": f"a{i}" if i < 3 else "other"} for i in range(4)]


@pytest.fixture
def task(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "d.jsonl", ROWS)
    path = tmp_path / "t.yaml"
    path.write_text("dataset: {path: d.jsonl}\nscorer: [exact, includes]\nmodel: mockllm/echo\n")
    return path


def checks(folder: Path) -> dict[str, dict[str, Any]]:
    return {c["metric"]: c for c in only_log(folder)["results"]["thresholds"]}


@pytest.mark.parametrize("command", ["eval", "eval-set"])
@pytest.mark.parametrize(
    "gate, code, status",
    [
        ("accuracy=0.7", 0, "pass"),
        ("accuracy=0.8", 1, "fail"),
        ("exact.accuracy=0.75", 0, "pass"),  # at the threshold passes
        ("includes.accuracy=0.9", 1, "fail"),
    ],
)
def test_fail_under(
    task: Path, tmp_path: Path, command: str, gate: str, code: int, status: str
) -> None:
    logs = tmp_path / "logs"
    result = run_forked(
        command, str(task), "--fail-under", gate, "--log-dir", str(logs), cwd=tmp_path
    )
    assert result.code == code, result.output
    metric = gate.split("=")[0]
    assert checks(logs)[metric]["status"] == status
    if code:
        assert f"threshold {metric} 0.75 < {gate.split('=')[1]}" in result.err


def test_the_tasks_thresholds_and_fail_under_together(task: Path, tmp_path: Path) -> None:
    task.write_text(task.read_text() + "thresholds: {exact.accuracy: 0.5}\n")
    logs = tmp_path / "logs"
    passed = run_forked("eval", str(task), "--log-dir", str(logs), cwd=tmp_path)
    assert passed.code == 0 and checks(logs)["exact.accuracy"]["status"] == "pass"
    for path in logs_in(logs):
        path.unlink()
    # the command line's threshold for the same metric wins over the task's
    failed = run_forked("eval", str(task), "--fail-under", "exact.accuracy=0.9", "--log-dir", str(logs), cwd=tmp_path)  # fmt: skip
    assert failed.code == 1 and checks(logs)["exact.accuracy"]["threshold"] == 0.9


def test_a_metric_no_task_has_is_bad_input(task: Path, tmp_path: Path) -> None:
    for command in ("eval", "eval-set"):
        result = run_forked(command, str(task), "--fail-under", "acuracy=0.5", "--log-dir", str(tmp_path / "logs"), cwd=tmp_path)  # fmt: skip
        assert result.code == 2
        assert (
            "--fail-under: `acuracy` is not a metric of any task here; did you mean `accuracy`?"
            in result.err
        )
    assert not (tmp_path / "logs").exists() or not logs_in(tmp_path / "logs")


@pytest.mark.parametrize("command", ["eval", "eval-set"])
def test_a_cancelled_run_reports_not_checked(task: Path, tmp_path: Path, command: str) -> None:
    logs = tmp_path / "logs"
    write_jsonl(tmp_path / "d.jsonl", [{**r, "id": i} for i, r in enumerate(ROWS * 50)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalrun", command, str(task), "--fail-under", "accuracy=0.1",
         "-M", "latency=0.05", "--max-samples", "2", "--log-dir", str(logs), "--display", "plain"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        paths = logs_in(logs) if logs.exists() else []
        try:  # (a log just created may not hold its header yet)
            if paths and read_summary(paths[0]).samples_done >= 4:
                break
        except InputError:
            pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    log = raw_log(logs_in(logs)[0])
    assert log["status"] == "cancelled"
    (check,) = log["results"]["thresholds"]
    assert (check["status"], check["passed"], check["value"]) == ("not checked", False, None)
    assert "not checked" in out
