"""Real providers through litellm, against a local OpenAI-compatible server with faults.

Runs are forked from a warm Python (`run_forked`: litellm is imported once per worker,
not for seconds in every run); that no process prints a key is checked in a fresh one
too, which imports litellm itself (`run_evalrun`)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import (
    TASKS,
    logs_in,
    metric,
    only_log,
    raw_log,
    run_evalrun,
    run_forked,
    write_jsonl,
)
from fake_openai import FakeOpenAI

KEY = "sk-evalrun-test-0123456789abcdef"


def write_task(folder: Path, rows: int = 20) -> Path:
    data = [
        {"id": i, "input": f"say {i}", "target": f"say {i}" if i % 2 == 0 else "something else"}
        for i in range(rows)
    ]
    write_jsonl(folder / "d.jsonl", data)
    task = folder / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nscorer: [exact]\n")
    return task


def run(task: Path, server: FakeOpenAI, *options: str, env: dict[str, str] | None = None):
    return run_forked(
        "eval", str(task), "-m", "openai-compatible/fake", "--model-base-url", server.base_url,
        "--log-dir", str(task.parent / "logs"), "-M", "retry_backoff=0.05", *options, env=env,
    )  # fmt: skip


def test_survives_30_percent_faults(tmp_path: Path) -> None:
    """429 with Retry-After, 500, answers past the timeout, malformed JSON and dropped
    connections on 30% of calls: every sample still ends scored, with correct results."""
    task = write_task(tmp_path, rows=200)
    with FakeOpenAI(fault_rate=0.3, slow_seconds=3.0, retry_after="0.3", seed=4) as server:
        result = run(
            task, server, "--timeout", "1.5", "--max-retries", "10", "--max-connections", "20"
        )
        faults = dict(server.stats.faults)
    assert result.code == 0, result.output
    assert set(faults) == {"429", "500", "slow", "malformed", "drop"}, faults
    assert sum(faults.values()) >= 40
    log = only_log(tmp_path / "logs")
    assert log["results"]["completed_samples"] == 200 and log["results"]["errored_samples"] == 0
    assert metric(log, "accuracy") == 0.5  # exactly the samples whose target is the echo
    retries = [r for s in log["samples"] for r in s["retries"]]
    # every injected fault is in the log (a busy test machine may add a timeout or two)
    assert len(retries) >= sum(faults.values())
    kinds = ("rate limited (429)", "InternalServerError (500)", "timed out")
    for words in kinds:
        assert words in " ".join(r["error"] for r in retries)
    assert all(any(k in r["error"] for k in kinds) for r in retries)
    rate_limited = [r for r in retries if "429" in r["error"]]
    assert all(r["wait"] >= 0.3 for r in rate_limited)  # Retry-After honoured
    assert log["stats"]["usage"]["calls"] == 200
    assert log["stats"]["usage"]["input_tokens"] > 0


def test_bad_key_fails_fast_with_one_clear_line(tmp_path: Path) -> None:
    task = write_task(tmp_path, rows=50)
    with FakeOpenAI(api_key="the-right-key") as server:
        models = tmp_path / "models.yaml"
        models.write_text(f"models:\n  fake:\n    model: openai-compatible/fake\n    base_url: {server.base_url}\n"
                          "    api_key_env: EVALRUN_TEST_KEY\n")  # fmt: skip
        result = run_forked("eval", str(task), "-m", "fake", "--models", str(models), "--log-dir",
                             str(tmp_path / "logs"), env={"EVALRUN_TEST_KEY": KEY})  # fmt: skip
        calls = server.stats.calls
    assert result.code == 1
    assert calls <= 10  # stopped at once, not after 50 samples x retries
    lines = [line for line in result.err.splitlines() if "authentication failed" in line]
    assert len(lines) == 1
    assert (
        "fake: openai-compatible/fake: authentication failed (401): Incorrect API key provided: ***."
        in lines[0]
    )
    assert "Traceback" not in result.output


def test_context_length_error_fails_only_that_sample(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": "short", "input": "hi", "target": "hi"},
                                       {"id": "long", "input": "x" * 500, "target": "x"}])  # fmt: skip
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nscorer: [exact]\nfail_on_error: false\n")
    with FakeOpenAI(context_limit=100) as server:
        result = run(task, server)
    assert result.code == 0, result.output
    samples = {s["id"]: s for s in only_log(tmp_path / "logs")["samples"]}
    assert samples["short"]["error"] is None and samples["short"]["scores"]["exact"]["value"] == "C"
    error = samples["long"]["error"]
    assert error["kind"] == "model" and not error.get("fatal")
    assert (
        "prompt too long for the model (400): This model's maximum context length is 100 tokens"
        in error["message"]
    )
    assert samples["long"]["retries"] == []  # a permanent error is not retried


def test_api_key_never_written_anywhere(tmp_path: Path) -> None:
    task = write_task(tmp_path, rows=30)
    cache = tmp_path / "cache"
    with FakeOpenAI(api_key=KEY, fault_rate=0.3, slow_seconds=2.0, retry_after="0.1") as server:
        models = tmp_path / "models.yaml"
        models.write_text(f"models:\n  fake:\n    model: openai-compatible/fake\n    base_url: {server.base_url}\n"
                          "    api_key_env: EVALRUN_TEST_KEY\n    args: {retry_backoff: 0.05}\n")  # fmt: skip
        env = {"EVALRUN_TEST_KEY": KEY}
        base = [
            "--models",
            str(models),
            "--log-dir",
            str(tmp_path / "logs"),
            "--cache",
            "--cache-dir",
            str(cache),
        ]
        # in a fresh process: what litellm itself prints passes the CLI's scrubbing too
        ok = run_evalrun("eval", str(task), "-m", "fake", *base, "--timeout", "0.5", env=env)
        bad = run_forked(
            "eval",
            str(task),
            "-m",
            "fake",
            *base,
            "--no-cache",
            env={"EVALRUN_TEST_KEY": KEY + "x"},
        )
        shown = run_forked("prompts", str(task), "-m", "fake", "--models", str(models), env=env)
    assert ok.code == 0, ok.output
    assert bad.code == 1 and "***" in bad.err
    written = [p for folder in (tmp_path / "logs", cache) for p in folder.rglob("*") if p.is_file()]
    assert len(written) >= 3
    for text in [
        ok.output,
        bad.output,
        shown.output,
        *(p.read_bytes().decode("latin-1") for p in written),
    ]:
        assert KEY not in text


def test_cache(tmp_path: Path) -> None:
    task = write_task(tmp_path, rows=10)
    cache = tmp_path / "cache"
    with FakeOpenAI() as server, FakeOpenAI() as other:
        args = ["--cache", "--cache-dir", str(cache)]
        assert run(task, server, *args).code == 0
        first = server.stats.calls
        assert first == 10
        assert run(task, server, *args).code == 0
        assert server.stats.calls == first  # an identical run makes no request at all
        hits = raw_log(max(logs_in(tmp_path / "logs"), key=lambda p: p.stat().st_mtime))
        assert all(s["output"]["cached"] for s in hits["samples"])
        assert run(task, server, *args, "--temperature", "0.7").code == 0
        assert server.stats.calls == first + 10  # another temperature misses
        assert run(task, server, *args, "--epochs", "2").code == 0
        assert server.stats.calls == first + 20  # epoch 1 hits, epoch 2 misses
        assert run(task, other, *args).code == 0
        assert other.stats.calls == 10  # another base URL misses
        assert run(task, server, "--no-cache").code == 0
        assert server.stats.calls == first + 30
    listing = run_forked("cache", "size", "--cache-dir", str(cache))
    assert listing.code == 0 and listing.out.startswith("40 entries")
    assert run_forked("cache", "clear", "--cache-dir", str(cache)).out.startswith(
        "removed 40 entries"
    )


def test_errored_and_truncated_calls_are_not_cached(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl", [{"id": "long", "input": "y" * 300}, {"id": "cut", "input": "z" * 80}]
    )
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nfail_on_error: false\n")
    cache = tmp_path / "cache"
    with FakeOpenAI(context_limit=200) as server:
        for _ in range(2):
            assert (
                run(task, server, "--cache", "--cache-dir", str(cache), "--max-tokens", "5").code
                == 0
            )
        assert server.stats.calls == 4  # neither the 400 nor the answer cut at max_tokens was kept
    assert not list(cache.rglob("*.json"))


def test_model_alias_settings_and_prices(tmp_path: Path) -> None:
    from test_concurrency import overlap

    task = write_task(tmp_path, rows=6)
    with FakeOpenAI(latency=0.3) as server:
        models = tmp_path / "models.yaml"
        models.write_text(
            f"models:\n  cheap:\n    model: openai-compatible/fake\n    base_url: {server.base_url}\n"
            "    max_connections: 2\n    prices: {input: 1000000, output: 2000000}\n    config: {temperature: 0.3}\n"
        )
        result = run_forked(
            "eval",
            str(task),
            "-m",
            "cheap",
            "--models",
            str(models),
            "--log-dir",
            str(tmp_path / "logs"),
        )
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert (
        log["header"]["model"] == "cheap"
        and log["header"]["provider_model"] == "openai-compatible/fake"
    )
    usage = log["stats"]["usage"]
    assert usage["cost"] == pytest.approx(
        usage["input_tokens"] * 1.0 + usage["output_tokens"] * 2.0
    )
    assert log["stats"]["cost"] == usage["cost"]
    assert "$" in result.out
    assert log["header"]["model_args"]["config"] == {"temperature": 0.3}
    assert overlap(log["samples"]) == 2  # the alias's max_connections


def test_unknown_price_is_shown_as_unknown(tmp_path: Path) -> None:
    task = write_task(tmp_path, rows=2)
    with FakeOpenAI() as server:
        result = run(task, server)
    assert result.code == 0
    log = only_log(tmp_path / "logs")
    assert log["stats"]["cost"] is None and log["stats"]["usage"]["unpriced"] == 2
    assert re.search(r"\d tokens, unknown, ", result.out)  # the cost (not the log's path)


def test_missing_base_url_and_unknown_provider_are_input_errors(tmp_path: Path) -> None:
    task = write_task(tmp_path, rows=1)
    missing = run_forked("eval", str(task), "-m", "openai-compatible/x", "--log-dir", str(tmp_path))
    assert missing.code == 2 and "needs a base URL: --model-base-url URL" in missing.err
    unknown = run_forked("eval", str(task), "-m", "nosuchprovider/x", "--log-dir", str(tmp_path))
    assert unknown.code == 2 and "unknown provider `nosuchprovider`" in unknown.err


def test_prompts_and_estimate_on_the_examples() -> None:
    shown = run_forked("prompts", str(TASKS / "arithmetic.yaml"), "--limit", "2")
    assert shown.code == 0, shown.output
    assert shown.out.count("=== arithmetic x mockllm/model") == 2
    assert "[system] You are a careful calculator.\n[user] What is " in shown.out
    assert 'settings: {"temperature": 0.0, "max_tokens": 64}' in shown.out
    mc = run_forked("prompts", str(TASKS / "capitals.yaml"), "--limit", "1", "--json")
    assert '"sample": "cap-1"' in mc.out and "A) " in mc.out
    estimate = run_forked("estimate", str(TASKS))
    assert estimate.code == 0, estimate.output
    for task in ("arithmetic", "capitals", "dates", "trivia", "total"):
        assert task in estimate.out
    assert "20 - 1,280" in estimate.out  # arithmetic: typical answer to max_tokens, 20 samples
    priced = run_forked("estimate", str(TASKS / "arithmetic.yaml"), "-m", "openai/gpt-4o-mini")
    assert priced.code == 0 and "unknown" not in priced.out


def test_model_graded_scorers(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": "Capital of France?", "target": "Paris"},
                                       {"input": "Capital of Spain?", "target": "Madrid"}])  # fmt: skip
    write_jsonl(tmp_path / "r.jsonl", [
        {"match": r"\[Submission\]: Paris", "output": "Looks right. GRADE: C"},
        {"match": r"\[Submission\]", "output": "Wrong city. GRADE: I"},
        {"match": "France", "output": "Paris"}, {"match": "Spain", "output": "Barcelona"},
    ])  # fmt: skip
    task = tmp_path / "t.yaml"
    task.write_text(
        "dataset: {path: d.jsonl}\nscorer:\n  - model_graded_qa\n  - model_graded_fact: {grader: mockllm/model, partial_credit: true}\n"
        "model: mockllm/model\nmodel_args: {responses: r.jsonl}\n"
    )
    result = run_forked("eval", str(task), "--log-dir", str(tmp_path / "logs"), "--display", "none")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert metric(log, "accuracy", "model_graded_qa") == 0.5
    sample = next(s for s in log["samples"] if s["input"] == "Capital of France?")
    assert sample["scores"]["model_graded_qa"]["explanation"] == "Looks right. GRADE: C"
    assert sample["usage"]["calls"] == 3  # the answer and both graders
    # the separately named grader (no responses file) answers by default: no grade, so I
    assert sample["scores"]["model_graded_fact"]["value"] == "I"
