"""Extension points, named and discoverable: `python:` scorers and steps with `name:`,
their keys checked at their line, and the public API listed by `dir(evalrun)`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import logs_in, metric, only_log, write_jsonl

import evalrun as evalrun_module
from evalrun import read_log

USER_CODE = """
from evalrun import ChatMessage, Score

def short(state, target, limit=5):
    return Score("C" if len(state.completion) <= limit else "I", answer=state.completion)

def length(state, target):
    return len(state.completion)

def shout(state, suffix="!"):
    state.add_message(ChatMessage("user", state.sample.input.upper() + suffix))
"""


@pytest.fixture
def user_code(tmp_path: Path) -> Path:
    write_jsonl(
        tmp_path / "d.jsonl",
        [{"id": "a", "input": "hi", "target": "HI?"}, {"id": "b", "input": "hello", "target": "x"}],
    )
    (tmp_path / "mine.py").write_text(USER_CODE, encoding="utf-8")
    return tmp_path


def test_named_python_scorer_in_results_metrics_and_thresholds(
    evalrun, write, user_code: Path
) -> None:
    task = write(
        "t.yaml",
        """
        dataset: {path: d.jsonl}
        solver:
          - python: {function: "mine:shout", args: {suffix: "?"}, name: loud}
          - generate
        scorer:
          - exact
          - python: {function: "mine:short", args: {limit: 3}, name: concise}
          - python: "mine:length"
          - python: {function: "mine:length", name: size}
        metrics:
          exact: [accuracy]
          concise: [accuracy, stderr]
          python: [mean]
          size: [mean]
        thresholds: {concise.accuracy: 0.5, size.mean: 5}
        """,
    )
    result = evalrun("eval", str(task), "-m", "mockllm/echo")
    assert result.code == 1, result.output  # size.mean 4.5 misses its threshold of 5
    assert "t x mockllm/echo: threshold size.mean 4.5 < 5" in result.err
    log = only_log(user_code / "logs")
    assert [s["scorer"] for s in log["results"]["scores"]] == ["exact", "concise", "python", "size"]
    # echo answers "HI?" and "HELLO?": the named step ran with its args
    assert metric(log, "accuracy", "exact") == 0.5
    assert metric(log, "accuracy", "concise") == 0.5
    assert set(log["results"]["scores"][1]["metrics"]) == {"accuracy", "stderr"}
    assert metric(log, "mean", "python") == 4.5
    assert metric(log, "mean", "size") == 4.5
    checks = {c["metric"]: c for c in log["results"]["thresholds"]}
    assert checks["concise.accuracy"] == {
        "metric": "concise.accuracy",
        "threshold": 0.5,
        "value": 0.5,
        "passed": True,
        "status": "pass",
    }
    assert checks["size.mean"]["passed"] is False
    sample = next(s for s in log["samples"] if s["id"] == "a")
    assert set(sample["scores"]) == {"exact", "concise", "python", "size"}
    assert sample["scores"]["concise"] == {"value": "C", "answer": "HI?"}
    assert "concise.accuracy 0.500 >= 0.5: pass" in result.out
    # the task as recorded keeps the name, so eval-retry rebuilds the same keys
    assert log["header"]["task_spec"]["scorer"][1]["python"]["name"] == "concise"

    # and through the API
    (api_result,) = evalrun_module.eval(
        [str(task)], model=["mockllm/echo"], log_dir=str(user_code / "api_logs")
    )
    scores = read_log(api_result.log_path).results.scores
    assert [s.scorer for s in scores] == ["exact", "concise", "python", "size"]


BAD = {
    "scorer_key": (
        "scorer:\n  - python: {function: 'mine:short', nme: x}\n",
        ":3:38: unknown key `nme`; did you mean `name`? (allowed: function, args, name)",
    ),
    "solver_key": (
        "solver:\n  - python: {function: 'mine:shout', arg: {}}\n",
        ":3:38: unknown key `arg`; did you mean `args`? (allowed: function, args, name)",
    ),
    "builtin_key": (
        "scorer:\n  - match: {locaton: end}\n",
        ":3:13: unknown key `locaton`; did you mean `location`? "
        "(allowed: location, numeric, tolerance, ignore_case)",
    ),
    "name_not_identifier": (
        "scorer:\n  - python: {function: 'mine:short', name: 'a.b'}\n",
        ":3:44: `a.b` is not a valid name: use letters, digits and `_`, not starting with a digit",
    ),
    "name_starts_with_digit": (
        "solver:\n  - python: {function: 'mine:shout', name: 1st}\n",
        ":3:44: `1st` is not a valid name",
    ),
    "duplicate_names": (
        "scorer:\n  - python: {function: 'mine:short', name: x}\n"
        "  - python: {function: 'mine:length', name: x}\n",
        ":4:45: scorer name `x` is already used by scorer 1; give each scorer its own name",
    ),
    "name_of_another_scorer": (
        "scorer:\n  - exact\n  - python: {function: 'mine:short', name: exact}\n",
        ":4:44: scorer name `exact` is already used by scorer 1",
    ),
    "threshold_on_unnamed_key": (
        "scorer:\n  - python: {function: 'mine:short', name: concise}\n"
        "thresholds: {python.accuracy: 0.5}\n",
        ":4:14: thresholds: `python.accuracy` is not a metric of this task",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_extension_refused_at_its_line(evalrun, write, user_code: Path, case: str) -> None:
    text, expected = BAD[case]
    task = write(f"{case}.yaml", "dataset: {path: d.jsonl}\n" + text)
    result = evalrun("eval", str(task), "-m", "mockllm/echo")
    assert result.code == 2, result.output
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.err
    assert lines[0].startswith(f"{task}:"), lines[0]
    assert expected in lines[0], lines[0]
    assert not logs_in(user_code / "logs")


PUBLIC = {
    "CORRECT",
    "INCORRECT",
    "PARTIAL",
    "NOANSWER",
    "ChatMessage",
    "EvalLog",
    "EvalResult",
    "GenerateConfig",
    "InputError",
    "ModelOutput",
    "RunConfig",
    "Sample",
    "Score",
    "TaskState",
    "Usage",
    "eval",
    "eval_retry",
    "load_tasks",
    "plan_eval",
    "read_log",
    "__version__",
}


def test_dir_lists_the_public_api_without_importing_it() -> None:
    code = (
        "import sys, evalrun\n"
        "names = dir(evalrun)\n"
        "print(' '.join(names))\n"
        "print('pydantic' in sys.modules, 'litellm' in sys.modules)\n"
        "import evalrun as e\n"
        "missing = [n for n in e.__all__ if getattr(e, n, None) is None]\n"
        "print(missing, 'litellm' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    names, imported, resolved = proc.stdout.splitlines()
    listed = names.split()
    assert listed == sorted(listed)
    assert set(listed) >= PUBLIC, PUBLIC - set(listed)
    assert not [n for n in listed if n.startswith("_") and n != "__version__"]
    assert imported == "False False"  # dir() is free: nothing heavy is imported
    assert resolved == "[] False"  # every listed name resolves, and litellm stays out
    assert set(evalrun_module.__all__) | {"__version__"} == set(dir(evalrun_module))


def test_import_loads_neither_pydantic_nor_litellm() -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import evalrun; dir(evalrun)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "evalrun" in loaded
    assert not {m for m in loaded if m.split(".")[0] in ("pydantic", "litellm")}
