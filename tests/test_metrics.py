"""Metrics and reducers against values computed by hand."""

from __future__ import annotations

import math
import statistics
from pathlib import Path

import pytest
from conftest import metric, only_log, write_jsonl

from evalrun.registry import BuildContext, lookup
from evalrun.scorer import Score, to_float

CTX = BuildContext(Path("."), frozenset(), seed=None)


def build_metric(name: str, **args):
    entry = lookup("metric", name)
    return entry.factory(CTX, **args) if entry.takes_context else entry.factory(**args)


def reduce(name: str, values: list) -> float:
    return to_float(lookup("reducer", name).factory()([Score(v) for v in values]).value)


def test_accuracy_mean_std_stderr() -> None:
    values = [1.0, 0.0, 1.0, 1.0]
    assert build_metric("accuracy")(values) == 0.75
    assert build_metric("mean")(values) == 0.75
    # sample variance: ((.25^2)*3 + .75^2) / 3 = 0.25 -> std 0.5, stderr 0.5 / 2
    assert build_metric("std")(values) == pytest.approx(0.5)
    assert build_metric("stderr")(values) == pytest.approx(0.25)
    assert build_metric("stderr")([1.0]) == 0.0


def test_bootstrap_stderr_is_seeded_and_close_to_the_analytic_value() -> None:
    values = [1.0] * 60 + [0.0] * 40
    first = build_metric("bootstrap_stderr", seed=11)(values)
    assert first == build_metric("bootstrap_stderr", seed=11)(values)
    assert first != build_metric("bootstrap_stderr", seed=12)(values)
    analytic = math.sqrt(0.6 * 0.4 / 100)  # population std / sqrt(n) = 0.04899
    assert first == pytest.approx(analytic, rel=0.1)
    assert build_metric("bootstrap_stderr", seed=11)([0.5] * 10) == 0.0


def test_pass_at_k_matches_the_unbiased_estimator() -> None:
    # n=5 epochs, c=2 correct: pass@1 = 2/5, pass@2 = 1 - C(3,2)/C(5,2) = 1 - 3/10, pass@4 = 1
    values = ["C", "I", "C", "I", "I"]
    assert reduce("pass_at_1", values) == pytest.approx(0.4)
    assert reduce("pass_at_2", values) == pytest.approx(0.7)
    assert reduce("pass_at_4", values) == 1.0
    assert reduce("pass_at_3", ["I", "I", "I"]) == 0.0


def test_at_least_k() -> None:
    assert reduce("at_least_2", [True, False, True]) == 1.0
    assert reduce("at_least_3", [True, False, True]) == 0.0


def test_reducers_on_numbers_and_letters() -> None:
    assert reduce("mean", [1, 0.5, 0]) == 0.5
    assert reduce("median", [0.1, 0.9, 0.3]) == 0.3
    assert reduce("max", ["I", "P", "I"]) == 0.5
    assert reduce("min", [0.2, 0.9]) == 0.2
    assert reduce("mode", ["C", "I", "I"]) == 0.0


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("C", 1.0),
        ("I", 0.0),
        ("P", 0.5),
        ("N", 0.0),
        (True, 1.0),
        (False, 0.0),
        ("correct", 1.0),
        ("0.25", 0.25),
        (3, 3.0),
    ],
)
def test_value_conversion(value, number: float) -> None:
    assert to_float(value) == number


def test_metrics_end_to_end(evalrun, write, tmp_path: Path) -> None:
    """Known per-sample values through a python scorer: mean, std, stderr in the log."""
    values = [0.0, 0.5, 1.0, 1.0, 0.25]
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": str(v)} for i, v in enumerate(values)])
    write("val.py", "def score(state, target):\n    return float(state.sample.input)\n")
    task = write(
        "t.yaml",
        "dataset: {path: d.jsonl}\nscorer: [{python: 'val:score'}]\n"
        "metrics: [mean, std, stderr, {bootstrap_stderr: {seed: 5, num_samples: 2000}}]\n",
    )
    assert evalrun("eval", str(task), "-m", "mockllm/model").code == 0
    log = only_log(tmp_path / "logs")
    assert metric(log, "mean") == pytest.approx(statistics.fmean(values))
    assert metric(log, "std") == pytest.approx(statistics.stdev(values))
    assert metric(log, "stderr") == pytest.approx(statistics.stdev(values) / math.sqrt(5))
    assert metric(log, "bootstrap_stderr") == pytest.approx(
        statistics.pstdev(values) / math.sqrt(5), rel=0.1
    )
