"""One truth per run: every view prints the same counts, with the same words, and the
results table stays readable, numbers whole, at 80, 100 and 120 columns."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from conftest import logs_in, write_jsonl
from rich.console import Console

from evalrun.display import results_table
from evalrun.engine import EvalResult
from evalrun.log import COUNT_NAMES, SampleCounts, read_summary

WORDS = "completed {completed}/{total}, scored {scored}, errored {errored}, limited {limited}, reused {reused}, cached {cached}"


def _task(write, tmp_path: Path, fail_on_error: str) -> Path:
    write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": i, "input": f"question {i}", "target": "x"} for i in range(1, 21)],
    )
    return write(
        "t.yaml",
        f"""
        name: counted
        dataset: {{path: d.jsonl}}
        scorer: [exact]
        model: mockllm/model
        model_args: {{error_rate: 0.5, seed: 3}}
        fail_on_error: {fail_on_error}
        """,
    )


@pytest.mark.parametrize("fail_on_error", ["true", "false"])
def test_every_view_of_a_run_with_errors_gives_the_same_counts(
    evalrun, write, tmp_path: Path, fail_on_error: str
) -> None:
    task = _task(write, tmp_path, fail_on_error)
    run = evalrun("eval", str(task), "--max-samples", "1", "--display", "plain")
    assert run.code == (1 if fail_on_error == "true" else 0), run.output
    (path,) = logs_in(tmp_path / "logs")
    counts = read_summary(path, verify=True).counts
    assert counts.errored >= 1 and counts.completed == counts.scored + counts.errored
    if fail_on_error == "false":
        assert counts.completed == counts.total == 20 and 5 <= counts.errored <= 15
    words = WORDS.format(**counts.to_dict())
    assert words == counts.describe()

    # the results table, the plain progress line, `log show`, `log list` and its JSON
    assert words in run.out and words in run.err
    show = evalrun("log", "show", str(path))
    assert show.code == 0 and words in show.out
    listed = json.loads(evalrun("log", "list", "--json").out)
    assert {name: listed[name] for name in COUNT_NAMES} == counts.to_dict()
    table = evalrun("log", "list").out
    row = next(line for line in table.splitlines() if "counted" in line)
    assert f"{counts.completed}/{counts.total}" in row and f" {counts.errored} " in row
    for text in (run.out, show.out, table):
        assert "samples" in text and "×epochs" in text  # the count column says what it counts

    # runs with errors are found whatever their status
    with_errors = evalrun("log", "list", "--errors", "--json").out.splitlines()
    assert len(with_errors) == 1
    assert evalrun("log", "list", "--status", "bogus").code == 2


def test_a_killed_log_is_counted_from_its_records(evalrun, write, tmp_path: Path) -> None:
    """A log that never finished has no summary: its counts come from its records, and a
    retry tells the records it copied from those it ran."""
    task = _task(write, tmp_path, "false")
    assert evalrun("eval", str(task)).code == 0
    (first,) = logs_in(tmp_path / "logs")
    scored = read_summary(first).counts.scored
    retry = evalrun("eval-retry", str(first), "-M", "error_rate=0")
    assert retry.code == 0, retry.output
    second = next(p for p in logs_in(tmp_path / "logs") if p != first)
    finished = read_summary(second).counts
    assert finished.reused == scored and finished.errored == 0 and finished.completed == 20
    # the same log without its summary, as a kill would leave it: counted from records
    from evalrun.log import open_log

    reader = open_log(second)
    try:
        header = reader.header()
        recounted = reader.tally(20, header["started_at"])
    finally:
        reader.close()
    assert recounted == finished


def test_version_1_results_are_read_with_their_meaning() -> None:
    """Version 1 logs counted only scored samples as `completed_samples`."""
    old = {"total_samples": 20, "completed_samples": 4, "errored_samples": 2, "reused_samples": 0}
    counts = SampleCounts.from_results(old)
    assert (counts.scored, counts.errored, counts.completed) == (4, 2, 6)
    from evalrun.log import EvalResults

    validated = EvalResults.model_validate({**old, "scores": [], "thresholds": []})
    assert validated.completed_samples == 6 and validated.scored_samples == 4


def _result(task: str, scores: list[dict], tokens: int, cost: float) -> EvalResult:
    counts = SampleCounts(total=400_000, scored=399_990, errored=10, limited=3, cached=12)
    return EvalResult(
        task,
        "openai/gpt-4o-mini-2024-07-18",
        "error",
        Path("x.eval"),
        counts,
        scores=scores,
        usage={"total_tokens": tokens, "cost": cost, "unpriced": 0},
        duration=12345.6,
    )


RESULTS = [
    _result(
        "arithmetic",
        [
            {"scorer": "match", "reducer": "mean", "metrics": {"accuracy": 0.8, "stderr": 0.0917}},
            {"scorer": "concise", "reducer": "mean", "metrics": {"mean": 0.123456}},
        ],
        4_000_000_000,
        1234.5678,
    ),
    _result(
        "trivia_with_a_longer_name",
        [
            {
                "scorer": "f1",
                "reducer": "mean",
                "metrics": {"mean": 0.7243, "stderr": 0.1, "bootstrap_stderr": 0.0981},
            },
            {
                "scorer": "model_graded_fact",
                "reducer": "mean",
                "metrics": {"accuracy": 0.5},
                "unparsed": 7,
            },
        ],
        205,
        0.00012,
    ),
]


@pytest.mark.parametrize("width", [80, 100, 120])
def test_the_results_table_never_cuts_a_number(width: int) -> None:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(results_table(RESULTS))
    text = out.getvalue()
    assert "…" not in text and "..." not in text
    assert max(len(line) for line in text.splitlines()) <= width
    flat = re.sub(r"\s+", " ", text)
    for number in (
        "0.800", "0.092", "0.123", "0.724", "0.100", "0.098", "0.500",
        "400,000/400,000", "4,000,000,000 tokens",
        "$1,234.57", "12345.6s", "limited 3", "cached 12",
    ):  # fmt: skip
        assert number in flat, (number, text)
    assert "unparsed" in text and " 7" in text


@pytest.mark.parametrize("width", [40, 80, 120])
def test_the_live_display_never_wraps(width: int) -> None:
    import time

    from evalrun.display import FullReporter
    from evalrun.display._report import _Progress

    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None)
    reporter = FullReporter(console)
    reporter.units[1] = _Progress(
        "arithmetic x mockllm/model", 200_000, time.monotonic(), done=123_456, tokens=9_876_543
    )
    reporter.units[2] = _Progress(
        "a_task_with_a_long_name x openai-compatible/a-model-with-a-long-name", 20, time.monotonic()
    )
    console.print(reporter._render())
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and all(len(line) < width for line in lines), lines
    assert "123,456/200,000" in lines[0] and "0 errors" in lines[1]
