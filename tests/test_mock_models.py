"""The mock models of docs/mock-models.md, used offline by every other test."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import clear_logs, only_log, write_jsonl


def test_default_echo_and_responses(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"id": 1, "input": "hello there"}, {"id": 2, "input": "unmatched"}]
    )
    write_jsonl(
        tmp_path / "r.jsonl",
        [{"match": "^Be", "output": "system first"}, {"match": "hel+o", "output": "hi!"}],
    )
    task = write(
        "t.yaml", "dataset: {path: d.jsonl}\nsolver: [{system_message: 'Be brief.'}, generate]\n"
    )
    outputs = {}
    for model, args in (
        ("mockllm/model", []),
        ("mockllm/echo", []),
        ("mockllm/model", ["-M", "responses=r.jsonl"]),
    ):
        clear_logs(tmp_path / "logs")
        assert evalrun("eval", str(task), "-m", model, *args).code == 0
        log = only_log(tmp_path / "logs")
        outputs[(model, bool(args))] = {s["id"]: s["output"]["completion"] for s in log["samples"]}
    assert outputs[("mockllm/model", False)] == {
        1: "Default output from mockllm/model",
        2: "Default output from mockllm/model",
    }
    assert outputs[("mockllm/echo", False)] == {1: "hello there", 2: "unmatched"}
    # the prompt is all messages joined by newlines: the system message matches first
    assert outputs[("mockllm/model", True)] == {1: "system first", 2: "system first"}


def test_usage_is_counted_on_real_text(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "x" * 400}])
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    assert evalrun("eval", str(task), "-m", "mockllm/echo").code == 0
    log = only_log(tmp_path / "logs")
    usage = log["samples"][0]["usage"]
    assert usage["output_tokens"] == 100 and usage["input_tokens"] >= 100
    assert log["stats"]["usage"]["total_tokens"] == usage["total_tokens"]


def test_latency_is_concurrent(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(40)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    started = time.monotonic()
    result = evalrun(
        "eval", str(task), "-m", "mockllm/model", "-M", "latency=0.5", "--max-samples", "40"
    )
    assert result.code == 0
    log = only_log(tmp_path / "logs")
    assert all(s["total_time"] >= 0.49 for s in log["samples"])
    assert log["stats"]["duration"] < 0.5 * 40 / 4  # far from serial (20 s)
    assert time.monotonic() - started < 15


def test_error_rate_with_request_retries(evalrun, write, tmp_path: Path) -> None:
    """Simulated errors are transient: with --max-retries they are retried and succeed."""
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(30)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    result = evalrun(
        "eval", str(task), "-m", "mockllm/model", "-M", "error_rate=0.3", "--max-retries", "10"
    )
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["results"]["errored_samples"] == 0
    assert sum(s["output"]["retries"] for s in log["samples"]) > 0


def test_every_failed_attempt_is_in_the_sample_record(evalrun, write, tmp_path: Path) -> None:
    """Whether a call finally succeeded or gave up, its sample lists every failed attempt."""
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(30)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\nfail_on_error: false\n")
    result = evalrun(
        "eval", str(task), "-m", "mockllm/model", "-M", "error_rate=0.6", "-M", "seed=2",
        "--max-retries", "3",
    )  # fmt: skip
    assert result.code == 0, result.output
    samples = only_log(tmp_path / "logs")["samples"]
    gave_up = [s for s in samples if s["error"]]
    overcame = [s for s in samples if not s["error"] and s["retries"]]
    assert gave_up and overcame
    for sample in gave_up:  # four attempts, four failures; the last one waited for nothing
        assert [r["wait"] is None for r in sample["retries"]] == [False, False, False, True]
        assert all("simulated transient error" in r["error"] for r in sample["retries"])
    for sample in overcame:
        assert len(sample["retries"]) == sample["output"]["retries"]
        assert all(r["wait"] is not None for r in sample["retries"])
