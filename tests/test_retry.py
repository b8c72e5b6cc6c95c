"""Logs that survive anything, and `evalrun eval-retry`."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import logs_in, raw_log, run_evalrun, run_forked, write_jsonl

TASK = """
dataset: {path: d.jsonl}
epochs: 2
scorer: [exact]
metrics: [accuracy, stderr, {bootstrap_stderr: {seed: 3}}]
fail_on_error: false
"""


@pytest.fixture
def task(tmp_path: Path) -> Path:
    rows = [
        {"id": f"s{i}", "input": f"q{i}", "target": f"q{i}" if i % 3 else "other"}
        for i in range(60)
    ]
    write_jsonl(tmp_path / "d.jsonl", rows)
    path = tmp_path / "t.yaml"
    path.write_text(TASK)
    return path


def start(task: Path, logs: Path, *options: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    return subprocess.Popen(
        [sys.executable, "-m", "evalrun", "eval", str(task), "-m", "mockllm/echo", "-M", "latency=0.05",
         "--max-samples", "4", "--log-dir", str(logs), "--display", "plain", *options],
        cwd=task.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for_samples(
    logs: Path, count: int, timeout: float = 30, proc: subprocess.Popen[str] | None = None
) -> Path:
    """The first log in `logs` holding `count` finished samples (`proc`, when given, must
    still be running meanwhile: a run that ended early fails the test at once)."""
    from evalrun.log import read_summary

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None:
            assert proc.poll() is None, proc.communicate()
        for path in logs_in(logs):
            try:
                if read_summary(path).samples_done >= count:
                    return path
            except Exception:
                pass
        time.sleep(0.02)
    raise AssertionError(f"no log in {logs} reached {count} samples")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def uninterrupted_results(task: Path, tmp_path: Path, *options: str) -> list[dict]:
    logs = tmp_path / "reference"
    result = run_forked("eval", str(task), "-m", "mockllm/echo", "--log-dir", str(logs), *options)
    assert result.code == 0, result.output
    return raw_log(logs_in(logs)[0])["results"]["scores"]


def check_complete(final: dict, first: dict, reference_scores: list[dict]) -> None:
    keys = [(s["id"], s["epoch"]) for s in final["samples"]]
    assert len(keys) == len(set(keys)) == 120  # exactly one sample per (id, epoch)
    assert final["status"] == "success" and final["results"]["completed_samples"] == 120
    finished_before = {(s["id"], s["epoch"]): s for s in first["samples"] if s["error"] is None}
    assert final["results"]["reused_samples"] == len(finished_before) > 0
    after = {(s["id"], s["epoch"]): s for s in final["samples"]}
    for key, sample in finished_before.items():
        assert after[key] == sample  # reused as it was: output, scores, timing and all
    assert final["results"]["scores"] == reference_scores
    assert final["header"]["eval_id"] == first["header"]["eval_id"]


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_sigkill_then_retry(fmt: str, task: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    proc = start(task, logs, "--log-format", fmt)
    path = wait_for_samples(logs, 20)
    proc.kill()
    proc.wait()
    first = raw_log(path)
    assert first["status"] == "started" and 20 <= len(first["samples"]) < 120
    before = digest(path)
    retry = run_forked("eval-retry", str(path), "--max-samples", "50")
    assert retry.code == 0, retry.output
    assert digest(path) == before  # the old log is left as it was
    new = [p for p in logs_in(logs) if p != path]
    assert len(new) == 1 and new[0].suffix == f".{fmt}"  # beside the old one
    final = raw_log(new[0])
    check_complete(final, first, uninterrupted_results(task, tmp_path))
    assert final["header"]["run_config"]["max_samples"] == 50  # the override is recorded
    assert final["header"]["retry_of"] == str(path)


def test_sigint_cancels_keeps_samples_and_prints_the_retry_command(
    task: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    proc = start(task, logs)
    path = wait_for_samples(logs, 12)
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 5
    assert proc.returncode == 1
    assert "Traceback" not in err
    assert f"To finish this run: evalrun eval-retry {path}" in err
    first = raw_log(path)
    assert first["status"] == "cancelled" and "SIGINT" in first["error"]["message"]
    assert len(first["samples"]) >= 12
    retry = run_forked("eval-retry", str(path))
    assert retry.code == 0, retry.output
    final = raw_log(next(p for p in logs_in(logs) if p != path))
    check_complete(final, first, uninterrupted_results(task, tmp_path))


def test_sigterm_cancels_too(task: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    proc = start(task, logs)
    path = wait_for_samples(logs, 8)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert raw_log(path)["status"] == "cancelled"


def test_errors_then_retry_reaches_zero_errors(task: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    result = run_forked(
        "eval", str(task), "-m", "mockllm/echo", "-M", "error_rate=0.2", "-M", "seed=1",
        "--no-fail-on-error", "--log-dir", str(logs),
    )  # fmt: skip
    assert result.code == 0, result.output
    (path,) = logs_in(logs)
    first = raw_log(path)
    errored = {(s["id"], s["epoch"]) for s in first["samples"] if s["error"]}
    assert 10 <= len(errored) <= 40
    for _ in range(5):  # each retry runs only what errored; seeded draws change with the attempt
        latest = max(logs_in(logs), key=lambda p: p.stat().st_mtime)
        retry = run_forked("eval-retry", str(latest))
        assert retry.code == 0, retry.output
        latest = max(logs_in(logs), key=lambda p: p.stat().st_mtime)
        if raw_log(latest)["results"]["errored_samples"] == 0:
            break
    final = raw_log(latest)
    assert final["results"]["errored_samples"] == 0 and final["results"]["completed_samples"] == 120
    retried = {(s["id"], s["epoch"]): s["attempt"] for s in final["samples"]}
    assert all(retried[key] >= 2 for key in errored)
    assert final["results"]["scores"] == uninterrupted_results(task, tmp_path)


def test_retry_after_task_file_and_dataset_are_deleted(task: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    proc = start(task, logs)
    path = wait_for_samples(logs, 10)
    proc.kill()
    proc.wait()
    reference = uninterrupted_results(task, tmp_path)
    task.unlink()
    (tmp_path / "d.jsonl").unlink()
    retry = run_forked("eval-retry", str(path), cwd=tmp_path)
    assert retry.code == 0, retry.output
    final = raw_log(next(p for p in logs_in(logs) if p != path))
    check_complete(final, raw_log(path), reference)


def test_complete_log_is_not_rerun(task: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    assert run_forked("eval", str(task), "-m", "mockllm/echo", "--log-dir", str(logs)).code == 0
    (path,) = logs_in(logs)
    retry = run_forked("eval-retry", str(path))
    assert retry.code == 0
    assert "already complete and successful" in retry.err
    assert logs_in(logs) == [path]


def test_retry_with_log_dir_and_fail_on_error_override(task: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    args = [
        "-m",
        "mockllm/echo",
        "-M",
        "error_rate=0.3",
        "--log-dir",
        str(logs),
        "--fail-on-error",
        "true",
    ]
    result = run_forked("eval", str(task), *args)
    assert result.code == 1
    (path,) = logs_in(logs)
    assert raw_log(path)["status"] == "error"
    other = tmp_path / "elsewhere"
    retry = run_forked(
        "eval-retry",
        str(path),
        "--log-dir",
        str(other),
        "--no-fail-on-error",
        "--max-connections",
        "7",
    )
    assert retry.code == 0, retry.output
    final = raw_log(logs_in(other)[0])
    assert final["header"]["task_spec"]["fail_on_error"] is False
    assert final["header"]["run_config"]["max_connections"] == 7
    assert final["results"]["completed_samples"] == 120  # scored + errored


def test_eval_retry_of_a_missing_log(tmp_path: Path) -> None:
    result = run_evalrun("eval-retry", str(tmp_path / "nope.eval"))
    assert result.code == 2
    assert result.err.strip() == f"{tmp_path / 'nope.eval'}: log file not found"


def test_retry_when_a_file_the_log_points_at_is_gone(tmp_path: Path) -> None:
    """The mock's responses file was deleted: one line, exit 2; `-M` points at another."""
    write_jsonl(
        tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}", "target": "yes"} for i in range(6)]
    )
    write_jsonl(tmp_path / "r.jsonl", [{"match": "q", "output": "yes"}])
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nscorer: [exact]\nfail_on_error: false\n")
    logs = tmp_path / "logs"
    first = run_forked(
        "eval", str(task), "-m", "mockllm/model", "-M", "responses=r.jsonl", "-M", "error_rate=1",
        "--log-dir", str(logs), cwd=tmp_path,
    )  # fmt: skip
    assert first.code == 0, first.output
    (path,) = logs_in(logs)
    moved = tmp_path / "moved.jsonl"
    (tmp_path / "r.jsonl").rename(moved)
    gone = run_forked("eval-retry", str(path), "-M", "error_rate=0")
    assert gone.code == 2 and "Traceback" not in gone.output
    assert (
        gone.err.strip()
        == f"{tmp_path / 'r.jsonl'}: cannot read responses file: No such file or directory"
    )
    retry = run_forked("eval-retry", str(path), "-M", f"responses={moved}", "-M", "error_rate=0")
    assert retry.code == 0, retry.output
    final = raw_log(next(p for p in logs_in(logs) if p != path))
    assert final["results"]["completed_samples"] == 6
    assert all(s["scores"]["exact"]["value"] == "C" for s in final["samples"])
    assert final["header"]["model_args"]["responses"] == str(moved)


def test_retry_against_a_server_that_moved(tmp_path: Path) -> None:
    from fake_openai import FakeOpenAI

    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"say {i}"} for i in range(8)])
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nfail_on_error: false\n")
    logs = tmp_path / "logs"
    with FakeOpenAI(fault_rate=1.0, faults=("500",)) as old:
        first = run_forked(
            "eval", str(task), "-m", "openai-compatible/fake", "--model-base-url", old.base_url,
            "--max-retries", "0", "--log-dir", str(logs),
        )  # fmt: skip
    assert first.code == 0 and raw_log(logs_in(logs)[0])["results"]["errored_samples"] == 8
    (path,) = logs_in(logs)
    with FakeOpenAI() as new:
        retry = run_forked("eval-retry", str(path), "--model-base-url", new.base_url)
        calls = new.stats.calls
    assert retry.code == 0, retry.output
    assert calls == 8
    final = raw_log(next(p for p in logs_in(logs) if p != path))
    assert final["results"]["completed_samples"] == 8 and final["results"]["errored_samples"] == 0
    assert final["header"]["model_args"]["base_url"] == new.base_url


def test_retry_of_several_logs_runs_them_as_one_set(tmp_path: Path) -> None:
    """--max-tasks units at once, sharing one connection limit per endpoint."""
    from test_concurrency import overlap

    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(12)])
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text("dataset: {path: d.jsonl}\nfail_on_error: false\n")
    logs = tmp_path / "logs"
    first = run_forked(
        "eval", *(str(tmp_path / f"{n}.yaml") for n in "abc"), "-m", "mockllm/model",
        "-M", "error_rate=1", "--log-dir", str(logs),
    )  # fmt: skip
    assert first.code == 0, first.output
    old = logs_in(logs)
    assert len(old) == 3
    retry = run_forked(
        "eval-retry", *map(str, old), "-M", "error_rate=0", "-M", "latency=0.2",
        "--max-tasks", "3", "--max-connections", "4",
    )  # fmt: skip
    assert retry.code == 0, retry.output
    new = [raw_log(p) for p in logs_in(logs) if p not in old]
    assert len(new) == 3 and all(log["results"]["completed_samples"] == 12 for log in new)
    samples = [s for log in new for s in log["samples"]]
    calls = [  # each model call, from its slot to the sample's end (less 2 ms each side)
        {"started_at": s["started_at"] + s["total_time"] - s["output"]["time"] + 0.002,
         "total_time": s["output"]["time"] - 0.004}
        for s in samples
    ]  # fmt: skip
    assert overlap(calls) == 4  # one limit of 4 for the endpoint, not 4 per unit
    spans = [
        (min(s["started_at"] for s in log["samples"]), max(s["started_at"] for s in log["samples"]))
        for log in new
    ]
    assert max(start for start, _ in spans) < min(end for _, end in spans)  # side by side
