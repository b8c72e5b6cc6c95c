"""Shared helpers: run the real CLI in a subprocess, write task files, read logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
TASKS = REPO / "tasks"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def run_evalrun(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """Run `python -m evalrun ARGS` and capture everything it prints."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    full_env.update({"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    proc = subprocess.run(
        [sys.executable, "-m", "evalrun", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def evalrun(tmp_path: Path):
    """`evalrun("eval", "task.yaml", ...)` run in tmp_path, logs in tmp_path/logs."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
        return run_evalrun(
            *args,
            cwd=cwd or tmp_path,
            env={"EVALRUN_LOG_DIR": str(tmp_path / "logs"), **(env or {})},
        )

    return run


@pytest.fixture
def write(tmp_path: Path):
    """Write a dedented text file under tmp_path and return its path."""

    def write_file(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write_file


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def logs_in(folder: Path) -> list[Path]:
    return sorted([*folder.glob("*.eval"), *folder.glob("*.json")])


def clear_logs(folder: Path) -> None:
    """Remove the logs in `folder`, so that the next run's log is its only one."""
    for path in logs_in(folder):
        path.unlink()


def raw_log(path: Path) -> dict[str, Any]:
    """A log (either format) as the plain dicts it holds, checked against the schema."""
    from evalrun.log import open_log, read_log

    assert read_log(path).damage is None  # validates, and finds nothing unreadable
    reader = open_log(path)
    try:
        header = dict(reader.header())
        return {
            "version": header.pop("version"),
            "header": header,
            "dataset": list(reader.iter_dataset()),
            "samples": [json.loads(raw) for raw, _ in reader.iter_samples()],
            **(reader.summary() or {"status": "started"}),
        }
    finally:
        reader.close()


def only_log(folder: Path) -> dict[str, Any]:
    """The single log in `folder`, as plain dicts."""
    paths = logs_in(folder)
    assert len(paths) == 1, f"expected one log in {folder}, found {paths}"
    return raw_log(paths[0])


def metric(
    log: dict[str, Any], name: str, scorer: str | None = None, reducer: str | None = None
) -> float:
    for entry in log["results"]["scores"]:
        if (scorer is None or entry["scorer"] == scorer) and (
            reducer is None or entry["reducer"] == reducer
        ):
            return entry["metrics"][name]
    raise KeyError(f"no metric {name} for {scorer}/{reducer} in {log['results']['scores']}")
