"""Helpers for the benchmark scripts: datasets, logs written by `evalrun eval` on mockllm,
and timing a command with its peak RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    code: int
    stdout: str
    stderr: str


def make_task(folder: Path, samples: int, *, epochs: int = 1, name: str = "bench") -> Path:
    """Short Q/A samples (numbers to add) and a task scoring them with `match`."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.jsonl").open("w") as handle:
        for i in range(samples):
            handle.write(
                json.dumps({"id": i, "input": f"What is {i} + {i}?", "target": str(2 * i)}) + "\n"
            )
    task = folder / f"{name}.yaml"
    task.write_text(
        f"name: {name}\ndataset: {{path: {name}.jsonl}}\nepochs: {epochs}\n"
        "scorer: [{match: {numeric: true}}]\nfail_on_error: false\n"
    )
    return task


def yes_no_task(
    folder: Path,
    samples: int,
    *,
    name: str = "bench",
    metadata: Callable[[int], dict[str, Any]] | None = None,
) -> Path:
    """Samples `Question {i}: yes or no?` (id `i`, target `yes`) and a task scoring them
    with `exact`, errored samples kept (`fail_on_error: false`). A responses file (see
    `mock_log`) makes chosen samples wrong by their ids' digits, e.g. `Question \\d*7:`.
    `metadata(i)`, when given, is sample `i`'s metadata."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.jsonl").open("w") as handle:
        for i in range(samples):
            row: dict[str, Any] = {"id": i, "input": f"Question {i}: yes or no?", "target": "yes"}
            if metadata is not None:
                row["metadata"] = metadata(i)
            handle.write(json.dumps(row) + "\n")
    task = folder / f"{name}.yaml"
    task.write_text(
        f"name: {name}\ndataset: {{path: {name}.jsonl}}\nscorer: [exact]\nfail_on_error: false\n"
    )
    return task


def mock_log(task: Path, rules: list[dict[str, str]], log_dir: Path, *model_args: str) -> Path:
    """Run `task` with `evalrun eval` on mockllm into `log_dir`, answering by `rules`
    (responses-file rules, `{"match": REGEX, "output": TEXT}`, first match wins) and `yes`
    to the rest; `model_args` are more `-M` settings (e.g. `error_rate=0.01`). The log."""
    responses = log_dir.parent / f"{log_dir.name}-responses.jsonl"
    rules = [*rules, {"match": ".", "output": "yes"}]
    responses.write_text("".join(json.dumps(rule) + "\n" for rule in rules))
    settings = [arg for setting in model_args for arg in ("-M", setting)]
    made = measure(evalrun("eval", str(task), "-m", "mockllm/model", "-M",
                           f"responses={responses}", *settings, "--display", "none",
                           "--log-dir", str(log_dir)))  # fmt: skip
    assert made.code == 0, made.stderr
    (log,) = log_dir.glob("*.eval")
    return log


def measure(args: list[str], cwd: Path | None = None) -> Measured:
    """Run `args`, returning wall time and the child's peak resident memory. Its output
    goes to temporary files (a pipe would block a child that prints more than it holds
    while this waits for the child's rusage)."""
    import tempfile

    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=err, text=True)
        # wait4 gives the rusage of this very child (peak RSS in KiB on Linux)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(seconds, usage.ru_maxrss / 1024, proc.returncode, out.read(), err.read())


def evalrun(*args: str) -> list[str]:
    return [sys.executable, "-m", "evalrun", *args]
