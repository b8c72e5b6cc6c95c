"""Limits end a sample's trajectory; they do not take it out of the metrics.

A sample past its token, message or time limit is scored on its state there and marked
`limited` with which limit; it is not an error, so `fail_on_error` ignores it. Before,
it became an error and dropped out, so a model that rambled past its budget raised its
own accuracy.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import logs_in, only_log, write_jsonl

from evalrun.log import read_summary


def _task(write, tmp_path: Path, limits: str, solver: str = "[{generate: {}}]") -> Path:
    write_jsonl(
        tmp_path / "d.jsonl",
        [
            {"id": i, "input": f"short {i}" if i <= 2 else f"ramble {i}", "target": "4"}
            for i in range(1, 5)
        ],
    )
    write_jsonl(
        tmp_path / "r.jsonl",
        [
            {"match": "short", "output": "4"},
            {"match": "ramble", "output": "well, let me think about it " * 200},
        ],
    )
    return write(
        "t.yaml",
        f"""
        name: budget
        dataset: {{path: d.jsonl}}
        solver: {solver}
        scorer: [{{match: {{location: end, numeric: true}}}}]
        model: mockllm/model
        model_args: {{responses: r.jsonl}}
        limits: {limits}
        """,
    )


def test_a_model_that_rambles_past_its_token_budget_scores_zero_not_excluded(
    evalrun, write, tmp_path: Path
) -> None:
    task = _task(write, tmp_path, "{tokens: 100}")
    result = evalrun("eval", str(task))  # fail_on_error defaults to true: limits are not errors
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["status"] == "success"
    results = log["results"]
    assert results["scores"][0]["metrics"]["accuracy"] == 0.5  # 2 of 4, not 2 of 2
    assert results["scored_samples"] == 4 and results["errored_samples"] == 0
    assert results["limited_samples"] == 2 and results["completed_samples"] == 4
    limited = {s["id"]: s for s in log["samples"] if s["limit"]}
    assert sorted(limited) == [3, 4]
    for sample in limited.values():
        assert sample["error"] is None
        assert sample["limit"]["kind"] == "tokens" and sample["limit"]["limit"] == 100
        assert sample["limit"]["used"] > 100
        assert sample["scores"]["match"]["value"] == "I"
    assert "limited 2" in result.output


def test_a_model_that_never_answers_is_stopped_by_the_time_limit_and_scored(
    evalrun, write, tmp_path: Path
) -> None:
    task = _task(write, tmp_path, "{time: 0.5}")
    result = evalrun("eval", str(task), "-M", "latency=3600", "--display", "plain")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    results = log["results"]
    assert results["scores"][0]["metrics"]["accuracy"] == 0.0
    assert results["limited_samples"] == 4 and results["errored_samples"] == 0
    for sample in log["samples"]:
        assert sample["limit"]["kind"] == "time" and sample["limit"]["used"] >= 0.5
        assert sample["answer"] is None and sample["output"] is None
        assert sample["scores"]["match"]["value"] == "I"
    assert "limited 4" in result.out and "limited 4" in result.err  # table and progress line
    summary = read_summary(logs_in(tmp_path / "logs")[0])
    assert summary.counts.limited == 4 and summary.counts.scored == 4


def test_the_message_limit_stops_a_chain_and_scores_what_it_has(
    evalrun, write, tmp_path: Path
) -> None:
    # the first answer (3 messages: user, assistant, critique) is there; the second
    # generate would go past 3 messages, so the sample is scored on the first answer
    task = _task(
        write,
        tmp_path,
        "{messages: 3}",
        "[{generate: {}}, {user_message: 'Sure?'}, {generate: {}}]",
    )
    result = evalrun("eval", str(task), "--no-fail-on-error")
    assert result.code == 0, result.output
    log = only_log(tmp_path / "logs")
    assert log["results"]["limited_samples"] == 4
    short = next(s for s in log["samples"] if s["id"] == 1)
    assert short["limit"]["kind"] == "messages" and short["scores"]["match"]["value"] == "C"
    assert [m["role"] for m in short["messages"]] == ["user", "assistant", "user"]


def test_a_limited_sample_is_reused_by_eval_retry_not_run_again(
    evalrun, write, tmp_path: Path
) -> None:
    task = _task(write, tmp_path, "{tokens: 100}")
    assert evalrun("eval", str(task)).code == 0
    (first,) = logs_in(tmp_path / "logs")
    # a finished, successful run: nothing to retry
    again = evalrun("eval-retry", str(first))
    assert again.code == 0 and len(logs_in(tmp_path / "logs")) == 1
    assert json.loads(evalrun("log", "list", "--json").out)["limited"] == 2
