"""Jobs: the SQLite index of a log dir's runs, `evalrun jobs list | show | reindex`, and
`evalrun.jobs` (issue 12)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import TASKS, logs_in

DATES = str(TASKS / "dates.yaml")
CAPITALS = str(TASKS / "capitals.yaml")
INDEX = ".evalrun-index.sqlite"


def listing(evalrun: Any, *args: str) -> dict[str, Any]:
    result = evalrun("jobs", "list", "logs", "--json", *args)
    assert result.code == 0, result.output
    return json.loads(result.out)


def names(document: dict[str, Any]) -> list[str]:
    return [job["name"] for job in document["jobs"]]


@pytest.fixture
def three_jobs(evalrun: Any, tmp_path: Path) -> Path:
    """alpha (dates, metadata), beta (capitals, every sample failing), gamma (dates on
    another model), in tmp_path/logs, in that order."""
    alpha = evalrun(
        "eval", DATES, "--job", "alpha", "--metadata", "description=first sweep",
        "--metadata", "team=red", "--display", "none",
    )  # fmt: skip
    assert alpha.code == 0, alpha.output
    beta = evalrun("eval", CAPITALS, "--job", "beta", "-M", "error_rate=1", "--display", "none")
    assert beta.code == 1, beta.output
    gamma = evalrun("eval", DATES, "-m", "mockllm/other", "--job", "gamma", "--display", "none")
    assert gamma.code == 0, gamma.output
    return tmp_path / "logs"


def test_each_eval_invocation_is_one_job(evalrun: Any) -> None:
    result = evalrun("eval", DATES, CAPITALS, "--display", "none")
    assert result.code == 0, result.output
    document = listing(evalrun)
    assert document["total"] == 1
    (job,) = document["jobs"]
    assert job["name"].startswith("eval dates+1 ")
    assert job["status"] == "success" and job["run_count"] == 2
    assert job["tasks"] == ["capitals", "dates"] and job["models"] == ["mockllm/model"]
    assert (job["samples_done"], job["samples_total"], job["errors"]) == (28, 28, 0)
    # the header records the job: an eval-retry of a log keeps it
    again = evalrun("eval", DATES, "--display", "none")
    assert again.code == 0
    assert listing(evalrun)["total"] == 2


def test_filters_and_paging(evalrun: Any, three_jobs: Path) -> None:
    everything = listing(evalrun)
    assert sorted(names(everything)) == ["alpha", "beta", "gamma"]
    assert everything["total"] == 3
    by_name = {job["name"]: job for job in everything["jobs"]}
    assert by_name["alpha"]["description"] == "first sweep"
    assert by_name["alpha"]["metadata"] == {"description": "first sweep", "team": "red"}
    beta = by_name["beta"]
    assert beta["status"] == "error" and beta["errors"] > 0
    assert "simulated transient error" in beta["latest_error"]
    assert by_name["gamma"]["models"] == ["mockllm/other"]

    assert names(listing(evalrun, "--status", "error")) == ["beta"]
    assert sorted(names(listing(evalrun, "--status", "success"))) == ["alpha", "gamma"]
    assert names(listing(evalrun, "--status", "running")) == []
    assert names(listing(evalrun, "--search", "red")) == ["alpha"]  # metadata
    assert names(listing(evalrun, "--search", "FIRST SWEEP")) == ["alpha"]  # description
    assert names(listing(evalrun, "--search", "gam")) == ["gamma"]  # name
    assert names(listing(evalrun, "--search", "%")) == []  # no wildcard
    assert names(listing(evalrun, "--model", "other")) == ["gamma"]
    assert names(listing(evalrun, "--task", "capitals")) == ["beta"]
    assert sorted(names(listing(evalrun, "--task", "dates", "--model", "mockllm"))) == [
        "alpha",
        "gamma",
    ]

    first = listing(evalrun, "--page-size", "2")
    second = listing(evalrun, "--page-size", "2", "--page", "2")
    assert (first["total"], first["pages"], len(first["jobs"])) == (3, 2, 2)
    assert len(second["jobs"]) == 1
    assert names(first) + names(second) == names(everything)  # newest first, no overlap
    assert listing(evalrun, "--page", "9")["jobs"] == []

    table = evalrun("jobs", "list", "logs", "--page-size", "2", env={"COLUMNS": "80"})
    assert table.code == 0, table.output
    assert all(len(line) <= 80 for line in table.out.splitlines()), table.out
    assert "page 1 of 2 (3 jobs); --page 2 for more" in table.out
    assert "latest error: " in evalrun("jobs", "list", "logs", "--status", "error").out

    for args in (["--status", "done"], ["--page", "0"], ["--page-size", "0"]):
        bad = evalrun("jobs", "list", "logs", *args)
        assert bad.code == 2 and len(bad.err.splitlines()) == 1, (args, bad.output)
    unknown = evalrun("jobs", "show", "nosuchjob", "--log-dir", "logs")
    assert unknown.code == 2 and unknown.err.startswith("no job `nosuchjob`"), unknown.output
    missing = evalrun("jobs", "list", "nowhere")
    assert missing.code == 2 and "log folder not found" in missing.err


def test_reindex_from_the_logs_gives_the_same_listing(evalrun: Any, three_jobs: Path) -> None:
    before = listing(evalrun)
    shows = {job["id"]: evalrun("jobs", "show", job["id"], "--json").out for job in before["jobs"]}
    for path in three_jobs.glob(INDEX + "*"):
        path.unlink()
    result = evalrun("jobs", "reindex", "logs")
    assert result.code == 0, result.output
    assert "indexed 3 runs in 3 jobs" in result.out
    assert listing(evalrun) == before
    for id, shown in shows.items():
        assert evalrun("jobs", "show", id, "--json").out == shown
    # a reader rebuilds a missing index by itself
    for path in three_jobs.glob(INDEX + "*"):
        path.unlink()
    assert listing(evalrun) == before
    # a log removed: its run (and its job, now empty) leave the index on reindex
    beta = next(j for j in before["jobs"] if j["name"] == "beta")
    (run,) = json.loads(evalrun("jobs", "show", beta["id"], "--json").out)["runs"]
    Path(run["path"]).unlink()
    assert evalrun("jobs", "reindex", "logs").code == 0
    assert sorted(names(listing(evalrun))) == ["alpha", "gamma"]


def test_show_has_the_runs_scores_thresholds_and_logs(evalrun: Any, tmp_path: Path) -> None:
    result = evalrun(
        "eval", DATES, CAPITALS, "--job", "nightly", "--fail-under", "accuracy=0.72",
        "--display", "none",
    )  # fmt: skip
    assert result.code == 1, result.output  # capitals (0.7) misses the threshold
    (job,) = listing(evalrun)["jobs"]
    shown = evalrun("jobs", "show", job["id"], "--json")
    assert shown.code == 0, shown.output
    data = json.loads(shown.out)
    assert data["name"] == "nightly" and data["status"] == "success"
    by_task = {run["task"]: run for run in data["runs"]}
    assert set(by_task) == {"dates", "capitals"}
    for run in data["runs"]:
        log = Path(run["path"])
        assert log.is_file() and log.parent == tmp_path / "logs"
        from evalrun.log import read_summary

        summary = read_summary(log)
        assert summary.results is not None
        assert run["scores"] == [s.model_dump(exclude_unset=True) for s in summary.results.scores]
        assert run["status"] == summary.status == "success"
    capitals = by_task["capitals"]["thresholds"]
    assert [(t["metric"], t["threshold"], t["passed"]) for t in capitals] == [
        ("accuracy", 0.72, False)
    ]
    assert by_task["dates"]["thresholds"][0]["passed"] is True
    # by name too, and as text
    text = evalrun("jobs", "show", "nightly")
    assert text.code == 0, text.output
    assert "threshold accuracy >= 0.72: fail (0.7)" in text.out
    assert f"log: {by_task['dates']['path']}" in text.out


def test_two_processes_writing_one_log_dir(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "evalrun",
                "eval",
                DATES,
                CAPITALS,
                "--job",
                job,
                "-M",
                "latency=0.03",
                "--max-samples",
                "1",
                "--max-tasks",
                "2",
                "--log-dir",
                str(tmp_path / "logs"),
                "--display",
                "none",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for job in ("A", "B")
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
    import sqlite3

    # as the engines left it (before any reader could rebuild it from the logs)
    with sqlite3.connect(tmp_path / "logs" / INDEX) as conn:
        rows = conn.execute("SELECT name, runs, status FROM jobs ORDER BY name").fetchall()
        assert rows == [("A", 2, "success"), ("B", 2, "success")]
        assert conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'success'").fetchone() == (4,)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()
    from evalrun import jobs

    found = jobs.list(tmp_path / "logs")
    assert sorted(job.name for job in found) == ["A", "B"]
    for job in found:
        assert job.status == "success" and job.run_count == 2
        assert (job.samples_done, job.samples_total) == (28, 28)
    assert len(logs_in(tmp_path / "logs")) == 4


def test_python_api(evalrun: Any, three_jobs: Path) -> None:
    import evalrun as package
    from evalrun import jobs

    assert package.jobs is jobs
    page = jobs.list(three_jobs, page_size=2)
    assert page.total == 3 and page.pages == 2 and len(page) == 2
    assert [j.name for j in jobs.list(three_jobs, status="error")] == ["beta"]
    assert [j.name for j in jobs.list(three_jobs, search="red")] == ["alpha"]
    alpha = jobs.load("alpha", log_dir=three_jobs)
    assert alpha.id == next(j.id for j in jobs.list(three_jobs) if j.name == "alpha")
    assert jobs.load(alpha.id[:5], log_dir=three_jobs).name == "alpha"
    (run,) = alpha.runs
    assert run.task == "dates" and run.status == "success" and run.latest
    log = run.log()
    assert log.header.job == "alpha" and len(log.samples) == 8
    assert sum(1 for _ in run.samples()) == 8
    assert run.summary().counts.completed == run.completed == 8
    assert alpha.to_dict(runs=True)["runs"][0]["path"] == str(run.path)
    # a listed job reaches its runs too
    (listed,) = jobs.list(three_jobs, search="gamma")
    assert [r.model for r in listed.runs] == ["mockllm/other"]
    from evalrun.errors import InputError

    with pytest.raises(InputError):
        jobs.load("nosuchjob", log_dir=three_jobs)
    with pytest.raises(InputError):
        jobs.list(three_jobs, status="finished")


def test_a_retry_supersedes_the_run_it_resumed(evalrun: Any, tmp_path: Path) -> None:
    first = evalrun("eval", CAPITALS, "--job", "flaky", "-M", "error_rate=1", "--display", "none")
    assert first.code == 1
    (log,) = logs_in(tmp_path / "logs")
    (job,) = listing(evalrun)["jobs"]
    assert job["status"] == "error"
    retry = evalrun("eval-retry", str(log), "-M", "error_rate=0", "--display", "none")
    assert retry.code == 0, retry.output
    (job,) = listing(evalrun)["jobs"]
    assert job["name"] == "flaky" and job["status"] == "success"
    assert job["run_count"] == 2 and (job["samples_done"], job["samples_total"]) == (20, 20)
    assert job["latest_error"] is None
    runs = json.loads(evalrun("jobs", "show", job["id"], "--json").out)["runs"]
    assert [(r["status"], r["latest"]) for r in runs] == [("error", False), ("success", True)]


def test_an_index_that_cannot_be_written_never_fails_a_run(evalrun: Any, tmp_path: Path) -> None:
    (tmp_path / "logs" / INDEX).mkdir(parents=True)  # a folder where the database would be
    result = evalrun("eval", DATES, "--display", "none")
    assert result.code == 0, result.output
    assert len(logs_in(tmp_path / "logs")) == 1
