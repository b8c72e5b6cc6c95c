"""The log schema is the source of truth: real records from every code path of the engine
(success, error, limit, retry, cached, reused, fatal, run-level error, oversized) are
validated against it, with every required key present and no key it does not define."""

from __future__ import annotations

from pathlib import Path

from conftest import logs_in, run_forked, write_jsonl
from fake_openai import FakeOpenAI

from evalrun.log import read_log, unknown_keys

SCORER = """
from evalrun import Score

def score(state, target):
    return Score("C", answer=state.completion, explanation="looked", metadata={"n": 1})

def huge(state):
    state.messages[-1].content = "x" * 100_000_001
"""


def run(tmp_path: Path, *args: str, code: int = 0, env: dict[str, str] | None = None) -> None:
    result = run_forked(*args, "--log-dir", str(tmp_path / "logs"), env=env)
    assert result.code == code, result.output


def test_records_from_every_code_path_match_the_schema_exactly(tmp_path: Path) -> None:
    write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": i, "input": f"q{i}", "target": f"q{i}", "topic": "t"} for i in range(8)],
    )
    (tmp_path / "mine.py").write_text(SCORER)
    task = tmp_path / "t.yaml"
    task.write_text(
        "dataset: {path: d.jsonl, fields: {metadata: [topic]}}\n"
        "scorer: [exact, {python: 'mine:score'}]\nepochs: 2\nfail_on_error: false\n"
    )
    echo = ["eval", str(task), "-m", "mockllm/echo"]
    run(tmp_path, *echo)  # success
    run(tmp_path, *echo, "-M", "error_rate=0.5", "--max-retries", "4")  # retried, then fine
    run(tmp_path, *echo, "-M", "error_rate=0.6", "--max-retries", "1", "--retry-on-error", "1")
    logs = logs_in(tmp_path / "logs")
    (errored,) = [p for p in logs if read_log(p).header.model_args.get("error_rate") == 0.6]
    run_forked("eval-retry", str(errored), "-M", "error_rate=0")  # reused records, and new ones
    run(tmp_path, *echo, "--token-limit", "3")  # limits
    run(tmp_path, *echo, "--cache", "--cache-dir", str(tmp_path / "cache"))
    run(tmp_path, *echo, "--cache", "--cache-dir", str(tmp_path / "cache"), "--log-format", "json")
    huge = tmp_path / "huge.yaml"
    huge.write_text(
        "dataset: {path: d.jsonl}\nsolver: [{python: 'mine:huge'}]\nfail_on_error: false\n"
    )
    run(tmp_path, "eval", str(huge), "-m", "mockllm/echo", "--limit", "1")  # not logged whole
    with FakeOpenAI(api_key="right") as server:  # a fatal error, and a run-level error
        run(
            tmp_path, "eval", str(task), "-m", "openai-compatible/fake", "--model-base-url",
            server.base_url, "-M", "api_key_env=EVALRUN_SCHEMA_KEY", code=1,
            env={"EVALRUN_SCHEMA_KEY": "wrong-key"},
        )  # fmt: skip
    paths = logs_in(tmp_path / "logs")
    assert len(paths) == 9
    seen: set[str] = set()
    for path in paths:
        log = read_log(path)  # validates: every required key present, every value typed
        assert log.damage is None
        assert unknown_keys(log) == [], path
        for sample in log.samples:
            output = sample.output
            seen.update(
                name
                for name, present in {
                    "success": sample.error is None and not sample.retries,
                    "retried": output is not None and bool(output.retry_log),
                    "gave up": bool(sample.retries) and sample.retries[-1].wait is None,
                    "earlier errors": bool(sample.errors),
                    "limit": sample.limit is not None and sample.error is None,
                    "cached": output is not None and output.cached,
                    "explained": any(s.explanation for s in sample.scores.values()),
                    "fatal": sample.error is not None and sample.error.fatal,
                    "too large": sample.error is not None and "too large" in sample.error.message,
                }.items()
                if present
            )
        if log.header.retry_of:
            seen.add("reused")
            assert log.results is not None and log.results.reused_samples > 0
        if log.error is not None:
            seen.add("run error")
    assert seen == {
        "success", "retried", "gave up", "earlier errors", "limit", "cached", "explained",
        "fatal", "too large", "reused", "run error",
    }  # fmt: skip


def test_unknown_keys_finds_what_the_schema_does_not_define(tmp_path: Path) -> None:
    from evalrun.log import EvalSample

    record = {
        "id": 1, "epoch": 1, "attempt": 1, "input": "q", "target": "", "choices": None,
        "metadata": {"free": "form"}, "messages": [{"role": "user", "content": "q", "extra": 1}],
        "output": None, "answer": None, "scores": {"s": {"value": 1, "typo": 2}}, "error": None,
        "retries": [], "reties": [], "started_at": 0.0, "total_time": 0.0,
        "usage": {"input_tokens": 0, "output_tokens": 0, "reasoning_tokens": 0,
                  "total_tokens": 0, "calls": 0, "cost": 0.0, "unpriced": 0},
    }  # fmt: skip
    assert sorted(unknown_keys(EvalSample.model_validate(record))) == [
        "messages.0.extra",
        "reties",
        "scores.s.typo",
    ]
