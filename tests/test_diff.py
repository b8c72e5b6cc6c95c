"""`evalrun diff` (issue 13): paired comparisons of two real runs with known answers.

The logs are written by running tasks through the CLI on mockllm with responses files
that make chosen samples wrong; the expected figures are computed here by hand.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest
from conftest import logs_in, write_jsonl

import evalrun as package
from evalrun.stats import (
    bootstrap_mean_ci,
    mcnemar_exact,
    paired_test,
    sign_flip_test,
    wilcoxon_signed_rank,
)
from evalrun.stats._paired import _binomial

TARGET = "the quick brown fox"


def make_task(
    folder: Path,
    *,
    ids: range = range(200),
    scorer: str = "[exact]",
    epochs: int = 1,
    name: str = "diffcheck",
    file: str = "task.yaml",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_jsonl(folder / f"{file}.data.jsonl",
                [{"id": i, "input": f"Question {i}: which fox?", "target": TARGET} for i in ids])  # fmt: skip
    task = folder / file
    task.write_text(
        f"name: {name}\ndataset: {{path: {file}.data.jsonl}}\n"
        f"epochs: {{count: {epochs}, reducer: mean}}\nscorer: {scorer}\n"
        "model: mockllm/model\nfail_on_error: false\n"
    )
    return task


def run(evalrun: Any, tmp_path: Path, task: Path, wrong: dict[int, str] | None = None) -> Path:
    """Run `task`; the samples in `wrong` answer what it gives them, the others TARGET.
    Returns the run's log."""
    rules = [{"match": rf"\bQuestion {i}:", "output": out} for i, out in (wrong or {}).items()]
    responses = write_jsonl(
        tmp_path / "responses.jsonl", [*rules, {"match": ".", "output": TARGET}]
    )
    logs = tmp_path / f"logs-{len(list(tmp_path.glob('logs-*')))}"
    result = evalrun(
        "eval", str(task), "-M", f"responses={responses}", "--log-dir", str(logs),
        "--display", "none",
    )  # fmt: skip
    assert result.code == 0, result.output
    (log,) = logs_in(logs)
    return log


def diff_json(evalrun: Any, a: Path, b: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = evalrun("diff", str(a), str(b), "--format", "json", *args)
    assert result.code in (0, 1), result.output
    return result.code, json.loads(result.out)


def only_scorer(data: dict[str, Any]) -> dict[str, Any]:
    (scorer,) = data["scorers"]
    return scorer


def test_identical_runs_differ_in_nothing(evalrun, tmp_path: Path) -> None:
    task = make_task(tmp_path)
    a = run(evalrun, tmp_path, task, {i: "no" for i in range(0, 40, 4)})
    b = run(evalrun, tmp_path, task, {i: "no" for i in range(0, 40, 4)})
    code, data = diff_json(evalrun, a, b, "--fail-on-regression")
    assert code == 0
    s = only_scorer(data)
    assert (s["metric"], s["paired"], s["a"], s["b"]) == ("accuracy", 200, 0.95, 0.95)
    assert (s["difference"], s["ci_low"], s["ci_high"]) == (0.0, 0.0, 0.0)
    assert (s["test"], s["p_value"], s["significant"]) == ("mcnemar", 1.0, False)
    assert s["regressions"] == s["improvements"] == []
    assert s["cells"] == {"both_correct": 190, "a_only": 0, "b_only": 0, "both_incorrect": 10}
    assert data["regressed"] is False and data["only_a"] == data["only_b"] == []
    table = evalrun("diff", str(a), str(b), "--fail-on-regression")
    assert table.code == 0, table.output
    assert "no significant difference at alpha 0.05" in table.out


def test_thirty_regressions_of_200_fail_the_gate(evalrun, tmp_path: Path) -> None:
    task = make_task(tmp_path)
    regressed = list(range(0, 90, 3))  # 30 samples right in A, wrong in B
    a = run(evalrun, tmp_path, task)
    b = run(evalrun, tmp_path, task, {i: "a lazy dog" for i in regressed})
    code, data = diff_json(evalrun, a, b)
    assert code == 0  # no gate asked for
    s = only_scorer(data)
    assert (s["a"], s["b"], s["difference"]) == (1.0, 0.85, pytest.approx(-0.15))
    assert s["cells"] == {"both_correct": 170, "a_only": 30, "b_only": 0, "both_incorrect": 0}
    # McNemar by hand: b = 30, c = 0: every discordant pair went A's way
    assert s["p_value"] == 2 * 0.5**30
    assert s["ci_low"] < s["ci_high"] < 0
    assert s["regressions"] == regressed and s["improvements"] == []
    assert s["worse"] and data["regressed"]

    gate = evalrun("diff", str(a), str(b), "--fail-on-regression")
    assert gate.code == 1, gate.output
    assert "regression: B is significantly worse on exact" in gate.err
    assert "B is significantly worse on exact (p 1.9e-09) (alpha 0.05)" in gate.out
    assert "regressions (30): 0, 3, 6," in gate.out
    assert all(len(line) <= 80 for line in gate.out.splitlines()), gate.out
    # a stricter alpha than the p-value lets it pass; the other way round (A vs B) too
    assert evalrun("diff", str(a), str(b), "--fail-on-regression", "--alpha", "1e-10").code == 0
    back = evalrun("diff", str(b), str(a), "--fail-on-regression", "--format", "markdown")
    assert back.code == 0, back.output
    assert "| exact | accuracy | 0.850 | 1.000 | +0.150 |" in back.out
    assert "**better**" in back.out and "improvements: `0`, `3`," in back.out


def test_mcnemar_mixed_case_against_a_hand_computation(evalrun, tmp_path: Path) -> None:
    task = make_task(tmp_path)
    a = run(evalrun, tmp_path, task, {i: "no" for i in range(100, 110)})  # B right on these
    b = run(evalrun, tmp_path, task, {i: "no" for i in range(30)})  # A right on these
    code, data = diff_json(evalrun, a, b, "--fail-on-regression")
    s = only_scorer(data)
    assert s["cells"] == {"both_correct": 160, "a_only": 30, "b_only": 10, "both_incorrect": 0}
    n = 40
    expected = 2 * sum(math.comb(n, i) for i in range(10 + 1)) / 2**n
    assert s["p_value"] == pytest.approx(expected, rel=1e-12)
    assert 0.001 < expected < 0.01
    assert s["improvements"] == list(range(100, 110)) and s["regressions"] == list(range(30))
    assert s["difference"] == pytest.approx(-0.1)
    assert code == 1


def test_numeric_scores(evalrun, tmp_path: Path) -> None:
    """f1 gives 2/3 to `the quick red fox`: 40 samples lose a third each."""
    task = make_task(tmp_path, scorer="[f1]")
    a = run(evalrun, tmp_path, task)
    b = run(evalrun, tmp_path, task, {i: "the quick red fox" for i in range(40)})
    code, data = diff_json(evalrun, a, b, "--fail-on-regression")
    s = only_scorer(data)
    assert (s["metric"], s["test"], s["cells"]) == ("mean", "permutation", None)
    assert s["a"] == 1.0
    assert s["difference"] == pytest.approx(-40 * (1 - 0.666667) / 200, abs=1e-6)
    # every flip of 40 equal differences but the two all-same-sign ones has a smaller
    # sum: no Monte Carlo draw of 10,000 reaches it
    assert s["p_value"] == pytest.approx(1 / 10_001)
    assert s["regressions"] == list(range(40)) and code == 1
    same = diff_json(evalrun, a, a)[1]
    assert only_scorer(same)["p_value"] == 1.0 and not same["regressed"]


def test_unmatched_ids_are_reported(evalrun, tmp_path: Path) -> None:
    a = run(evalrun, tmp_path, make_task(tmp_path / "a", ids=range(200)))
    b = run(evalrun, tmp_path, make_task(tmp_path / "b", ids=range(10, 210)))
    _, data = diff_json(evalrun, a, b)
    assert data["only_a"] == list(range(10)) and data["only_b"] == list(range(200, 210))
    assert data["paired"] == 190 and only_scorer(data)["paired"] == 190
    assert data["a"]["samples"] == data["b"]["samples"] == 200
    table = evalrun("diff", str(a), str(b))
    assert "only in A (10): 0, 1, 2, 3, 4, 5, 6, 7, 8, 9" in table.out
    assert "only in B (10): 200, 201," in table.out
    assert "paired 190 samples; only in A: 10; only in B: 10" in table.out


def test_different_tasks_are_refused(evalrun, tmp_path: Path) -> None:
    a = run(evalrun, tmp_path, make_task(tmp_path / "a", name="one"))
    b = run(evalrun, tmp_path, make_task(tmp_path / "b", name="two"))
    result = evalrun("diff", str(a), str(b))
    assert result.code == 2
    assert result.err.strip() == f"not runs of the same task: {a} is `one`, {b} is `two`"
    missing = evalrun("diff", str(a), str(tmp_path / "nope.eval"))
    assert missing.code == 2 and "log file not found" in missing.err
    assert evalrun("diff", str(a), str(a), "--format", "yaml").code == 2


EPOCH_SCORER = """
def score(state, target, worse_below=0):
    # epoch 2 of the samples below `worse_below` is wrong
    return "I" if state.epoch == 2 and state.sample.id < worse_below else "C"
"""


def test_epochs_are_reduced_with_the_runs_reducer(evalrun, tmp_path: Path) -> None:
    (tmp_path / "epochs.py").write_text(EPOCH_SCORER)
    scorer = "[{{python: {{function: 'epochs:score', args: {{worse_below: {}}}}}}}]"
    a = run(
        evalrun, tmp_path, make_task(tmp_path, scorer=scorer.format(0), epochs=2, file="a.yaml")
    )
    b = run(
        evalrun, tmp_path, make_task(tmp_path, scorer=scorer.format(50), epochs=2, file="b.yaml")
    )
    code, data = diff_json(evalrun, a, b, "--fail-on-regression")
    assert data["a"]["epochs"] == 2 and data["a"]["reducer"] == "mean"
    s = only_scorer(data)
    # the mean of C and I is 0.5: numeric, not 0/1
    assert (s["metric"], s["test"], s["paired"]) == ("mean", "permutation", 200)
    assert (s["a"], s["b"]) == (1.0, pytest.approx((50 * 0.5 + 150) / 200))
    assert s["regressions"] == list(range(50)) and code == 1


def test_python_api(tmp_path: Path, evalrun) -> None:
    task = make_task(tmp_path)
    a = run(evalrun, tmp_path, task)
    b = run(evalrun, tmp_path, task, {i: "no" for i in range(30)})
    comparison = package.diff(a, b, alpha=0.01, seed=3)
    assert type(comparison).__name__ == "Comparison" and comparison.regressed
    data = comparison.to_dict()
    assert data["alpha"] == 0.01 and data["confidence"] == pytest.approx(0.99)
    assert json.loads(json.dumps(data)) == data
    assert "diff" in dir(package) and "Comparison" in dir(package)


# --- the statistics, apart ----------------------------------------------------------------


def test_mcnemar_exact_by_hand() -> None:
    assert mcnemar_exact(0, 0) == 1.0 and mcnemar_exact(7, 7) == 1.0
    assert mcnemar_exact(30, 0) == mcnemar_exact(0, 30) == 2 * 0.5**30
    assert mcnemar_exact(1, 0) == 1.0  # 2 * 1/2, capped
    # beyond 1,000 discordant pairs it works in log space: the same as exact integers
    for b, c in ((700, 800), (3000, 3200), (600, 420)):
        n = b + c
        exact = 2 * sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
        assert mcnemar_exact(b, c) == pytest.approx(exact, rel=1e-9)


def test_sign_flip_and_wilcoxon() -> None:
    # exact: of 8 sign vectors for (1, 2, 3), only all + and all - reach |6|
    assert sign_flip_test([1.0, 2.0, 3.0, 0.0]) == 2 / 8
    assert sign_flip_test([0.0, 0.0]) == 1.0
    # symmetric differences: nothing to see
    assert paired_test([0.5, -0.5] * 100)[1] > 0.5
    # many distinct values: too many for a permutation test, Wilcoxon instead
    rng = random.Random(1)
    noisy = [rng.gauss(0.3, 1) for _ in range(5_000)]
    name, p = paired_test(noisy)
    assert name == "wilcoxon" and p < 1e-6
    assert wilcoxon_signed_rank([1.0, -1.0] * 50) == 1.0


def test_bootstrap_interval() -> None:
    cells = [-1.0] * 30 + [0.0] * 170  # 30 regressions of 200
    interval = bootstrap_mean_ci(cells, seed=0)
    assert interval == bootstrap_mean_ci(cells, seed=0)  # seeded
    assert interval.resamples == 2000
    assert -0.21 < interval.low < -0.15 < interval.high < -0.09
    assert bootstrap_mean_ci([0.0] * 50) == bootstrap_mean_ci([0.0] * 50, seed=9)
    # many distinct values and many pairs: the normal interval, no resample
    rng = random.Random(2)
    big = [rng.gauss(0, 1) for _ in range(20_000)]
    assert bootstrap_mean_ci(big).resamples == 0
    assert bootstrap_mean_ci(big[:1000]).resamples == 1000


@pytest.mark.parametrize(("n", "p"), [(40, 0.1), (100_000, 0.3), (1000, 0.97)])
def test_binomial_draws(n: int, p: float) -> None:
    rng = random.Random(5)
    draws = [_binomial(rng, n, p) for _ in range(4000)]
    mean = sum(draws) / len(draws)
    sd = math.sqrt(n * p * (1 - p))
    assert abs(mean - n * p) < 4 * sd / math.sqrt(len(draws))
    assert all(0 <= d <= n for d in draws)


def test_reading_b_in_a_forked_process_gives_the_same(tmp_path: Path, evalrun) -> None:
    """Big logs are read side by side (B in a forked process): the same comparison, and
    B's errors are reported as when it is read in this process."""
    task = make_task(tmp_path)
    a = run(evalrun, tmp_path, task)
    b = run(evalrun, tmp_path, task, {i: "no" for i in range(30)})
    assert package.diff(a, b, parallel=True) == package.diff(a, b, parallel=False)
    broken = tmp_path / "broken.eval"
    broken.write_bytes(b"PK\x03\x04 not a zip")
    errors = []
    for parallel in (True, False):
        with pytest.raises(package.InputError) as raised:
            package.diff(a, broken, parallel=parallel)
        errors.append(str(raised.value))
    assert errors[0] == errors[1]
