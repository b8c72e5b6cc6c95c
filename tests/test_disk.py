"""When the log cannot be written: one line, never a traceback. Before any sample ran the
input is at fault (exit 2, no log left behind); a disk that fails mid-run ends the run
with exit 1 and the eval-retry command, and every sample on disk by then is kept."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, logs_in, raw_log, run_evalrun, write_jsonl


def eval_capped(
    task: Path, logs: Path, max_bytes: int, *options: str
) -> subprocess.CompletedProcess[str]:
    """`evalrun eval` with files capped at `max_bytes` (what `ulimit -f` does)."""

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    return subprocess.run(
        [sys.executable, "-m", "evalrun", "eval", str(task), "--log-dir", str(logs), *options],
        cwd=task.parent, env=env, capture_output=True, text=True, preexec_fn=cap, timeout=120,
    )  # fmt: skip


@pytest.fixture
def task(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(100)])
    path = tmp_path / "t.yaml"
    path.write_text("dataset: {path: d.jsonl}\nmodel: mockllm/echo\n")
    return path


def unwritable_folder(tmp_path: Path) -> Path:
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        return folder
    return Path("/sys/evalrun-logs")  # root writes anywhere, but not where the kernel says no


@pytest.mark.parametrize("case", ["a file", "under a file", "unwritable"])
def test_a_log_folder_that_cannot_be_written(case: str, task: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    folder = {
        "a file": tmp_path / "file",
        "under a file": tmp_path / "file" / "logs",
        "unwritable": unwritable_folder(tmp_path),
    }[case]
    result = run_evalrun("eval", str(task), "--log-dir", str(folder))
    assert result.code == 2, result.output
    assert "Traceback" not in result.output and "ExceptionGroup" not in result.output
    (line,) = result.err.strip().splitlines()
    assert line.startswith(f"{folder}: cannot ")


def test_a_file_size_limit_before_any_sample_leaves_no_log(task: Path, tmp_path: Path) -> None:
    result = eval_capped(task, tmp_path / "logs", 512)
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "cannot write log: File too large" in line
    assert logs_in(tmp_path / "logs") == []  # the half-written file is gone


@pytest.mark.parametrize("fmt", ["eval", "json"])
def test_a_disk_that_fails_mid_run(fmt: str, tmp_path: Path) -> None:
    """Large, poorly compressible answers fill a 64 KB file limit after a few flushes."""
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(60)])
    answer = os.urandom(6_000).hex()
    write_jsonl(tmp_path / "r.jsonl", [{"match": ".", "output": answer}])
    task = tmp_path / "t.yaml"
    task.write_text(
        "dataset: {path: d.jsonl}\nmodel: mockllm/model\nmodel_args: {responses: r.jsonl}\n"
    )
    logs = tmp_path / "logs"
    result = eval_capped(
        task, logs, 64_000, "--log-format", fmt, "-M", "latency=0.1", "--max-samples", "2"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (path,) = logs_in(logs)
    assert "t x mockllm/model: writing the log failed: File too large" in result.stderr
    assert f"To finish this run: evalrun eval-retry {path}" in result.stderr
    first = raw_log(path)
    assert 0 < len(first["samples"]) < 60  # what reached the disk is readable
    retry = run_evalrun("eval-retry", str(path), cwd=REPO)
    assert retry.code == 0, retry.output
    final = raw_log(next(p for p in logs_in(logs) if p != path))
    keys = [s["id"] for s in final["samples"]]
    assert sorted(keys) == list(range(60))
    assert final["results"]["reused_samples"] == len(first["samples"])
