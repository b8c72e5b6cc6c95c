"""The job index at scale: `evalrun jobs list` over 10,000 indexed runs.

Run: python tests/bench/jobs.py [runs] [runs per job] [repeats]
     (default: 10,000 runs, 10 per job: 1,000 jobs; 7 repeats)

Builds an index of synthetic runs through the index's own API (`JobIndex.record`: the
rows the engine writes, in one transaction), then times, as the median (and range) of
the repeats:
- `evalrun jobs list DIR` from process start (the default page, then with filters);
- `evalrun.jobs.list()` in process, on a new connection and on an open one;
- what the engine pays per unit: `run_started` + `run_finished` on an open index.
Target: the listing over 10,000 indexed runs under 0.3 s from process start (the floor
is the command line's own start, `jobs list --help`: typer and the command modules).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MODELS = ["openai/gpt-4o", "openai/gpt-4o-mini", "anthropic/claude-3-5-sonnet", "mockllm/model"]
STATUSES = ["success"] * 8 + ["error", "cancelled"]


def header(i: int, job: str, created: datetime) -> dict[str, Any]:
    return {
        "run_id": f"{i:032x}",
        "eval_id": f"{i:032x}",
        "created": created.isoformat(timespec="seconds"),
        "started_at": created.timestamp(),
        "task": f"task{i % 50:02d}",
        "model": MODELS[i % len(MODELS)],
        "samples": 100,
        "epochs": 1,
        "job": job,
        "run_config": {"metadata": {"sweep": job.split()[0], "owner": f"team{i % 7}"}},
    }


def summary(i: int, created: datetime) -> dict[str, Any]:
    status = STATUSES[i % len(STATUSES)]
    errored = 3 if status == "error" else 0
    done = 100 if status != "cancelled" else 40
    return {
        "status": status,
        "results": {
            "total_samples": 100,
            "completed_samples": done,
            "scored_samples": done - errored,
            "errored_samples": errored,
            "scores": [{"scorer": "match", "reducer": "mean", "samples": done,
                        "metrics": {"accuracy": (i % 100) / 100, "stderr": 0.04}}],
            "thresholds": [],
        },
        "stats": {"completed_at": (created + timedelta(seconds=30)).isoformat(timespec="seconds"),
                  "cost": 0.0123 * (i % 9)},
        "error": {"message": f"model call failed: rate limited (run {i})"} if status == "error" else None,
    }  # fmt: skip


def build(folder: Path, runs: int, per_job: int) -> float:
    from evalrun.log._index import JobIndex

    start = datetime(2026, 1, 1, tzinfo=UTC)
    entries = []
    for i in range(runs):
        created = start + timedelta(minutes=i)
        job = f"sweep{(i // per_job) % 13} #{i // per_job}"
        entries.append((folder / f"run{i:05d}.eval", header(i, job, created), summary(i, created)))
    started = time.perf_counter()
    index = JobIndex(folder)
    index.record(entries)
    index.mark_indexed()
    index.close()
    return time.perf_counter() - started


def timed(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - started


def show(name: str, times: list[float]) -> None:
    print(
        f"  {name:<46} median {statistics.median(times) * 1000:7.1f} ms"
        f"  (range {min(times) * 1000:.1f}-{max(times) * 1000:.1f})"
    )


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    per_job = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 7
    from evalrun import jobs
    from evalrun.log._index import JobIndex

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seconds = build(folder, runs, per_job)
        size = (folder / ".evalrun-index.sqlite").stat().st_size / 1e6
        print(
            f"index of {runs:,} runs in {-(-runs // per_job):,} jobs: built in {seconds:.2f} s"
            f" (one transaction), {size:.1f} MB"
        )
        command = [sys.executable, "-m", "evalrun", "jobs", "list", str(folder)]
        print("from process start:")
        show("python -c pass (the interpreter alone)", [timed([sys.executable, "-c", "pass"]) for _ in range(repeats)])  # fmt: skip
        cases = {
            "evalrun jobs list --help (the CLI, no index)": ["--help"],
            "evalrun jobs list (first page of 20)": [],
            "evalrun jobs list --json": ["--json"],
            "evalrun jobs list --status error --page 3": ["--status", "error", "--page", "3"],
            "evalrun jobs list --search team3 --model gpt-4o": [
                "--search",
                "team3",
                "--model",
                "gpt-4o",
            ],
            "evalrun jobs list --page-size 1000": ["--page-size", "1000"],
        }
        for name, extra in cases.items():
            show(name, [timed(command + extra) for _ in range(repeats)])
        print("in process:")
        cold = []
        for _ in range(repeats):
            started = time.perf_counter()
            JobIndex.for_dir(folder).close()  # a new connection each time
            page = jobs.list(folder)
            cold.append(time.perf_counter() - started)
        show("jobs.list() on a new connection", cold)
        warm = []
        for _ in range(repeats):
            started = time.perf_counter()
            page = jobs.list(folder)
            warm.append(time.perf_counter() - started)
        show("jobs.list() on an open connection", warm)
        assert page.total == -(-runs // per_job), page.total
        loads = []
        for _ in range(repeats):
            started = time.perf_counter()
            jobs.load(page[0].id, log_dir=folder)
            loads.append(time.perf_counter() - started)
        show("jobs.load(id) with its runs", loads)
        index = JobIndex.for_dir(folder)
        hooks = []
        base = datetime(2027, 1, 1, tzinfo=UTC)
        for n in range(200):
            i = runs + n
            created = base + timedelta(seconds=n)
            head = header(i, "engine hook", created)
            started = time.perf_counter()
            index.run_started(folder / f"hook{n}.eval", head)
            index.run_finished(folder / f"hook{n}.eval", head, summary(i, created))
            hooks.append(time.perf_counter() - started)
        show("per unit: run_started + run_finished", hooks)
        index.close()


if __name__ == "__main__":
    main()
