"""Engine behaviour: --retry-on-error, many tasks x models, progress output."""

from __future__ import annotations

from pathlib import Path

from conftest import TASKS, clear_logs, logs_in, metric, only_log, raw_log, write_jsonl


def test_retry_on_error_retries_at_the_back_and_keeps_earlier_errors(
    evalrun, write, tmp_path: Path
) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}", "target": f"q{i}"} for i in range(40)]
    )
    task = write("t.yaml", "dataset: {path: d.jsonl}\nscorer: [exact]\n")
    args = ["-m", "mockllm/echo", "-M", "error_rate=0.3", "-M", "seed=2", "--max-samples", "1"]
    # without retries the first error fails the task (fail_on_error defaults to true)
    assert evalrun("eval", str(task), *args).code == 1
    clear_logs(tmp_path / "logs")
    result = evalrun("eval", str(task), *args, "--retry-on-error", "5")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["results"]["errored_samples"] == 0 and metric(log, "accuracy") == 1.0
    retried = [s for s in log["samples"] if s.get("errors")]
    assert retried, "some samples needed a retry"
    for sample in retried:
        assert sample["attempt"] == len(sample["errors"]) + 1
        assert all("simulated transient error" in e["message"] for e in sample["errors"])
    # retried samples went to the back of the queue: with one worker they finish last
    order = [s["id"] for s in log["samples"]]
    first_retry = min(order.index(s["id"]) for s in retried)
    assert all(s.get("errors") for s in log["samples"][first_retry:])


def test_retry_on_error_gives_up_after_n(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "q"}])
    task = write("t.yaml", "dataset: {path: d.jsonl}\nfail_on_error: false\n")
    result = evalrun(
        "eval", str(task), "-m", "mockllm/model", "-M", "error_rate=1", "--retry-on-error", "2"
    )
    assert result.code == 0
    sample = only_log(tmp_path / "logs")["samples"][0]
    assert sample["attempt"] == 3 and len(sample["errors"]) == 2 and sample["error"] is not None


def test_two_tasks_two_models_max_tasks_2(evalrun, tmp_path: Path) -> None:
    result = evalrun(
        "eval", str(TASKS / "arithmetic.yaml"), str(TASKS / "dates.yaml"),
        "-m", "mockllm/model", "-m", "mockllm/echo", "--max-tasks", "2", "-M", "latency=0.02",
        "-M", f"responses={TASKS / 'data' / 'arithmetic.responses.jsonl'}",
    )  # fmt: skip
    # exit 1: arithmetic x echo scores 0.0, below the task's threshold (all four complete)
    assert result.code == 1, result.output
    assert "arithmetic x mockllm/echo: threshold accuracy 0 < 0.7" in result.err
    logs = {
        (log["header"]["task"], log["header"]["model"]): log
        for log in map(raw_log, logs_in(tmp_path / "logs"))
    }
    assert len(logs) == 4
    assert metric(logs[("arithmetic", "mockllm/model")], "accuracy") == 0.8
    assert metric(logs[("arithmetic", "mockllm/echo")], "accuracy") == 0.0
    assert (
        metric(logs[("dates", "mockllm/model")], "accuracy", "pattern") == 0.0
    )  # no rule matches dates
    assert all(log["status"] == "success" for log in logs.values())
    # at most two units overlapped in time
    spans = sorted((min(s["started_at"] for s in log["samples"]),
                    max(s["started_at"] + s["total_time"] for s in log["samples"])) for log in logs.values())  # fmt: skip
    running = [sum(1 for s, e in spans if s <= start < e) for start, _ in spans]
    assert max(running) == 2  # two at a time: never more, and not one after another


def test_plain_display_in_a_non_terminal(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(30)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    result = evalrun(
        "eval", str(task), "-m", "mockllm/model", "-M", "latency=0.3", "--max-samples", "5",
        "--heartbeat", "0.2",
    )  # fmt: skip
    assert result.code == 0
    lines = result.err.splitlines()
    assert lines[0].startswith("start  t x mockllm/model: 30 samples×epochs -> ")
    heartbeats = [line for line in lines if line.startswith("...    t x mockllm/model: ")]
    assert heartbeats and "/30 done, 0 errors" in heartbeats[0] and "eta " in heartbeats[0]
    assert lines[-1].startswith(
        "finish t x mockllm/model: success, completed 30/30, scored 30, errored 0, limited 0"
    )
    assert "Results" in result.out
    none = evalrun("eval", str(task), "-m", "mockllm/model", "--display", "none")
    assert none.err == "" and "Results" in none.out


def test_a_score_value_no_metric_can_use_fails_its_sample_not_the_run(
    evalrun, write, tmp_path: Path
) -> None:
    write(
        "judge.py",
        "def score(state, target):\n    return 'maybe' if state.sample.id == 2 else 'C'\n",
    )
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(1, 5)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\nscorer: [{python: 'judge:score'}]\n")
    result = evalrun("eval", str(task), "-m", "mockllm/model", "--no-fail-on-error")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["status"] == "success" and log["results"]["errored_samples"] == 1
    (bad,) = [s for s in log["samples"] if s["error"]]
    assert bad["id"] == 2 and "'maybe' is not a number or C/I/P/N" in bad["error"]["message"]
    assert log["results"]["scores"][0]["metrics"]["accuracy"] == 1.0
