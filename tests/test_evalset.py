"""`evalrun eval-set`: idempotent re-runs, per-unit retries, interruption, foreign logs,
and the CI exit contract for every status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import logs_in, raw_log, run_forked, write_jsonl

from evalrun.engine import EvalResult
from evalrun.log import SampleCounts, read_summary

ROWS = [{"id": i, "input": f"q{i}", "target": f"q{i}"} for i in range(10)]


def tasks(folder: Path, flaky: str = "") -> list[str]:
    """Three tasks on mockllm/echo (every answer right); `flaky` gives the third model
    arguments of its own (`error_rate: ...`)."""
    write_jsonl(folder / "d.jsonl", ROWS)
    paths = []
    for name in ("alpha", "beta", "gamma"):
        extra = f"model_args: {{{flaky}}}\n" if name == "gamma" and flaky else ""
        path = folder / f"{name}.yaml"
        path.write_text(
            f"name: {name}\ndataset: {{path: d.jsonl}}\nscorer: [exact]\nmodel: mockllm/echo\n"
            + extra
        )
        paths.append(str(path))
    return paths


def quiet_seed(rate: float = 0.3) -> int:
    """A mock seed under which, at `rate`, exactly one sample of ROWS fails its first
    attempt and that sample passes its second (the mock's draws are a hash of the seed,
    the prompt and the attempt: found with the mock's own draw)."""
    from evalrun.model import ChatMessage, GenerateConfig, ModelRequest
    from evalrun.model._mock import MockLLM, _unit

    mock = MockLLM("mockllm/echo", {"error_rate": rate})

    def fails(seed: int, attempt: int, row: dict[str, Any]) -> bool:
        mock._seed = seed
        request = ModelRequest([ChatMessage("user", row["input"])], GenerateConfig(), 1, attempt)
        return _unit(mock._draw(request, request.prompt_text()), 0) < rate

    for seed in range(1000):
        first = [row for row in ROWS if fails(seed, 1, row)]
        if len(first) == 1 and not fails(seed, 2, first[0]):
            return seed
    raise AssertionError("no seed found")


def set_command(paths: list[str], logs: Path, *options: str) -> list[str]:
    return ["eval-set", *paths, "--log-dir", str(logs), "--display", "plain", *options]


def state(logs: Path) -> dict[str, tuple[int, int]]:
    """Every log file's size and modification time."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in logs_in(logs)}


def test_a_failed_unit_fails_the_set_and_the_same_command_finishes_it(tmp_path: Path) -> None:
    """gamma's model fails some samples (error_rate, seeded): the first run exits 1; the
    same command again runs only gamma's failed samples, which now pass, and exits 0."""
    logs = tmp_path / "logs"
    flaky = f"error_rate: 0.3, seed: {quiet_seed()}"
    command = set_command(  # one sample at a time: the first error stops gamma there
        tasks(tmp_path, flaky), logs, "--retry-attempts", "0", "--max-samples", "1"
    )
    first = run_forked(*command, cwd=tmp_path)
    assert first.code == 1, first.output
    assert "gamma x mockllm/echo" in first.err
    before = state(logs)
    (failed,) = [p for p in logs_in(logs) if read_summary(p).status == "error"]
    finished = {(s["id"], s["epoch"]) for s in raw_log(failed)["samples"] if not s["error"]}
    errored = {(row["id"], 1) for row in ROWS} - finished  # failed, or never run
    assert errored and finished
    second = run_forked(*command, cwd=tmp_path)
    assert second.code == 0, second.output
    after = state(logs)
    assert {k: v for k, v in after.items() if k in before} == before  # nothing rewritten
    (new,) = set(after) - set(before)  # one new log: gamma's, resumed
    final = raw_log(logs / new)
    assert final["header"]["task"] == "gamma" and final["status"] == "success"
    rerun = {(s["id"], s["epoch"]) for s in final["samples"] if s["started_at"] >= final["header"]["started_at"]}  # fmt: skip
    assert rerun == errored  # only what had failed or not run, ran
    assert final["results"]["reused_samples"] == len(finished)
    # a third run has nothing to do: every unit is complete
    third = run_forked(*command, cwd=tmp_path)
    assert third.code == 0 and state(logs) == after


def test_a_unit_that_fails_is_retried_at_once(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    command = set_command(
        tasks(tmp_path, f"error_rate: 0.3, seed: {quiet_seed()}"), logs, "--retry-wait", "0",
        "--max-samples", "1",
    )  # fmt: skip
    result = run_forked(*command, cwd=tmp_path)
    assert result.code == 0, result.output
    gamma = sorted(
        (raw_log(p) for p in logs_in(logs) if read_summary(p).header.task == "gamma"),
        key=lambda log: log["header"]["started_at"],
    )
    assert [log["status"] for log in gamma] == ["error", "success"]
    assert gamma[1]["header"]["retry_of"] == str(
        logs_in(logs)[0].parent / Path(gamma[1]["header"]["retry_of"]).name
    )
    manifest = json.loads((logs / ".evalrun-set.json").read_text())
    assert len(manifest["units"]) == 3 and manifest["name"] == "eval-set logs"


def test_sigint_mid_set_then_the_same_command(tmp_path: Path) -> None:
    """Interrupted while its second unit runs: the first unit's log is untouched by the
    re-run, the second resumes, the third runs; no sample runs twice."""
    logs = tmp_path / "logs"
    paths = tasks(tmp_path)
    command = set_command(
        paths, logs, "--max-tasks", "1", "--max-samples", "1", "-M", "latency=0.1"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalrun", *command], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in logs_in(logs) if _status(p) == "success"]
        running = [
            p
            for p in logs_in(logs)
            if _status(p) == "started" and read_summary(p).samples_done >= 3
        ]
        if done and running:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    first = {p.name: _status(p) for p in logs_in(logs)}
    # the unit that had not started yet is cancelled too (an empty log, resumable)
    assert sorted(first.values()) == ["cancelled", "cancelled", "success"], first
    finished_before = state(logs)
    again = run_forked(*command, cwd=tmp_path)
    assert again.code == 0, again.output
    after = state(logs)
    completed = next(name for name, status in first.items() if status == "success")
    assert after[completed] == finished_before[completed]  # same file, same mtime
    by_task: dict[str, list[dict[str, Any]]] = {}
    for path in logs_in(logs):
        log = raw_log(path)
        by_task.setdefault(log["header"]["task"], []).append(log)
    assert sorted(len(v) for v in by_task.values()) == [1, 2, 2]  # the cancelled ones twice
    for logs_of_task in by_task.values():
        final = max(logs_of_task, key=lambda log: log["header"]["started_at"])
        keys = [(s["id"], s["epoch"]) for s in final["samples"]]
        assert final["status"] == "success" and len(keys) == len(set(keys)) == 10
    resumed = max(
        next(v for v in by_task.values() if len(v) == 2),
        key=lambda log: log["header"]["started_at"],
    )
    assert resumed["results"]["reused_samples"] >= 3


def _status(path: Path) -> str:
    try:
        return read_summary(path).status
    except Exception:
        return "unreadable"


def test_logs_of_no_unit_are_refused_unless_allowed(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    paths = tasks(tmp_path)
    assert run_forked(*set_command(paths, logs), cwd=tmp_path).code == 0
    # beta changes: its old log belongs to no unit of the set any more
    Path(paths[1]).write_text(Path(paths[1]).read_text() + "epochs: 2\n")
    refused = run_forked(*set_command(paths, logs), cwd=tmp_path)
    assert refused.code == 2
    assert "1 log(s) here belong to no unit of this set" in refused.err
    assert "--log-dir-allow-dirty" in refused.err
    allowed = run_forked(*set_command(paths, logs, "--log-dir-allow-dirty"), cwd=tmp_path)
    assert allowed.code == 0, allowed.output
    beta = [raw_log(p) for p in logs_in(logs) if read_summary(p).header.task == "beta"]
    assert sorted(log["header"]["epochs"] for log in beta) == [1, 2]  # a new unit ran


@pytest.mark.parametrize(
    "status, counts, thresholds, passes",
    [
        ("success", {"total": 10, "scored": 10}, [], True),
        ("success", {"total": 10, "scored": 10},
         [{"metric": "accuracy", "threshold": 0.5, "value": 0.9, "passed": True, "status": "pass"}], True),
        ("success", {"total": 10, "scored": 10},
         [{"metric": "accuracy", "threshold": 0.95, "value": 0.9, "passed": False, "status": "fail"}], False),
        ("success", {"total": 10, "scored": 8}, [], False),  # incomplete
        ("error", {"total": 10, "scored": 10}, [], False),
        ("cancelled", {"total": 10, "scored": 4}, [
            {"metric": "accuracy", "threshold": 0.5, "value": None, "passed": False, "status": "not checked"}], False),
        ("started", {"total": 10, "scored": 10}, [], False),
        ("planned", {"total": 10}, [], False),
    ],
)  # fmt: skip
def test_only_a_complete_success_passes(
    status: str, counts: dict[str, int], thresholds: list[dict[str, Any]], passes: bool
) -> None:
    result = EvalResult(
        "t", "m", status, Path("x.eval"), SampleCounts(**counts), thresholds=thresholds
    )
    assert (result.failure is None) is passes, result.failure


def test_exit_status_of_each_log_status_through_the_cli(tmp_path: Path) -> None:
    """eval-set over an errored, a cancelled and a started (killed) log: exit 1 for each
    until the unit completes; a successful set exits 0."""
    logs = tmp_path / "logs"
    paths = tasks(tmp_path, "error_rate: 1")
    errored = run_forked(*set_command(paths, logs, "--retry-attempts", "0"), cwd=tmp_path)
    assert errored.code == 1
    statuses = sorted(_status(p) for p in logs_in(logs))
    assert statuses == ["error", "success", "success"]
    junit = tmp_path / "junit.xml"
    again = run_forked(*set_command(paths, logs, "--retry-attempts", "0", "--junit", str(junit)), cwd=tmp_path)  # fmt: skip
    assert again.code == 1  # still failing: error_rate 1
    import xml.etree.ElementTree as ET

    suite = ET.parse(junit).getroot()
    cases = suite.findall(".//testcase")
    assert len(cases) == 3
    assert (
        sum(1 for c in cases if c.find("error") is not None or c.find("failure") is not None) == 1
    )
