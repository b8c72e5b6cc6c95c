"""--max-samples, --max-connections and --max-tasks bound what runs at once."""

from __future__ import annotations

from pathlib import Path

from conftest import clear_logs, logs_in, only_log, raw_log, write_jsonl


def overlap(samples: list[dict]) -> int:
    """The largest number of samples running at the same moment."""
    events = sorted(
        [(s["started_at"], 1) for s in samples]
        + [(s["started_at"] + s["total_time"], -1) for s in samples],
        key=lambda e: (e[0], e[1]),
    )
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    return peak


def test_max_samples_and_max_connections(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(12)])
    task = write("t.yaml", "dataset: {path: d.jsonl}\n")
    assert (
        evalrun(
            "eval", str(task), "-m", "mockllm/model", "-M", "latency=0.2", "--max-samples", "3"
        ).code
        == 0
    )
    log = only_log(tmp_path / "logs")
    assert overlap(log["samples"]) == 3
    assert log["stats"]["duration"] >= 0.2 * 12 / 3 - 0.05
    clear_logs(tmp_path / "logs")
    # samples in flight default to the connection limit
    assert (
        evalrun(
            "eval", str(task), "-m", "mockllm/model", "-M", "latency=0.2", "--max-connections", "2"
        ).code
        == 0
    )
    log = only_log(tmp_path / "logs")
    assert log["stats"]["duration"] >= 0.2 * 12 / 2 - 0.05
    assert overlap(log["samples"]) == 2


def test_max_tasks_runs_units_side_by_side(evalrun, write, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(4)])
    write("a.yaml", "dataset: {path: d.jsonl}\n")
    write("b.yaml", "dataset: {path: d.jsonl}\n")
    args = [
        "eval",
        "a.yaml",
        "b.yaml",
        "-m",
        "mockllm/model",
        "-m",
        "mockllm/echo",
        "-M",
        "latency=0.3",
    ]
    assert evalrun(*args, "--max-tasks", "4").code == 0
    logs = [raw_log(p) for p in logs_in(tmp_path / "logs")]
    assert sorted((log["header"]["task"], log["header"]["model"]) for log in logs) == [
        ("a", "mockllm/echo"), ("a", "mockllm/model"), ("b", "mockllm/echo"), ("b", "mockllm/model"),
    ]  # fmt: skip
    all_samples = [s for log in logs for s in log["samples"]]
    assert overlap(all_samples) == 16  # four units of four samples, all at once
    clear_logs(tmp_path / "logs")
    assert evalrun(*args, "--max-tasks", "1").code == 0
    all_samples = [s for p in logs_in(tmp_path / "logs") for s in raw_log(p)["samples"]]
    assert overlap(all_samples) == 4  # one unit at a time
