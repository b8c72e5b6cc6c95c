"""Agent-loop figures on this machine: mockllm at zero latency, mock tools (issue 15).

Run: python tests/bench/agents.py [TRAJECTORIES]   (default: 1000)
Each sample is a trajectory of 10 turns: the model calls a `step` tool nine times (each
result tells the next rule which step comes next), then `submit`s. So each turn is one
model call, one tool call and its result, all recorded in the log. Two variants: the tool
as a sync function (run in a worker thread, as every sync tool is, so it can time out)
and as an async one. Prints turns/s in the engine (the run's own duration, from its log)
and from process start, the process's peak RSS (each the median of three runs, the
range beside it), and the `.eval` log's size per trajectory (every step recorded).
Target: >= 5,000 turns/s in the engine, so that agent runs stay bound by the model.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from _common import Measured, evalrun, measure
from engine import engine_seconds

TURNS = 10
RUNS = 3
TASK = """\
name: agents
dataset: {path: samples.jsonl}
tools:
  - {python: "steps:%s", name: step}
  - submit
solver:
  - agent: {max_turns: 20}
scorer: [match]
"""
TOOLS = '''\
def step_sync(n: int) -> str:
    """Take step `n`.

    Args:
        n: the step's number.
    """
    return f"done step {n}."


async def step_async(n: int) -> str:
    """Take step `n`.

    Args:
        n: the step's number.
    """
    return f"done step {n}."
'''


def responses() -> list[dict[str, object]]:
    """The last step's result first: the first rule matching the conversation wins."""
    last = TURNS - 1
    rules: list[dict[str, object]] = [
        {"match": f"done step {last}\\.", "tool_calls": [{"name": "submit", "arguments": {"answer": "done"}}]}
    ]  # fmt: skip
    for n in range(last - 1, 0, -1):
        rules.append(
            {"match": f"done step {n}\\.", "tool_calls": [{"name": "step", "arguments": {"n": n + 1}}]}
        )  # fmt: skip
    rules.append({"match": ".", "tool_calls": [{"name": "step", "arguments": {"n": 1}}]})
    return rules


def make_task(folder: Path, trajectories: int, variant: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "samples.jsonl").open("w") as handle:
        for i in range(trajectories):
            handle.write(json.dumps({"id": i, "input": f"Task {i}: take the steps.", "target": "done"}) + "\n")  # fmt: skip
    (folder / "steps.py").write_text(TOOLS)
    (folder / "responses.jsonl").write_text("".join(json.dumps(r) + "\n" for r in responses()))
    path = folder / "agents.yaml"
    path.write_text(TASK % f"step_{variant}")
    return path


def run(task: Path, logs: Path) -> tuple[Measured, float]:
    options = ["--display", "none", "--log-dir", str(logs), "-M", "responses=responses.jsonl"]
    measured = measure(
        evalrun("eval", str(task), "--model", "mockllm/agent", *options), task.parent
    )
    assert measured.code == 0, measured.stderr
    return measured, engine_seconds(logs)


def check(logs: Path, trajectories: int) -> None:
    """Every trajectory took its 10 turns and submitted (the figures count real turns)."""
    from evalrun.log import read_log

    log = read_log(next(logs.glob("*.eval")))
    assert len(log.samples) == trajectories
    for sample in log.samples:
        assert sample.trajectory is not None and sample.trajectory.turns == TURNS
        assert sample.trajectory.end == "submit" and sample.scores["match"].value == "C"


def main(trajectories: int) -> None:
    turns = trajectories * TURNS
    print(
        f"agents: {trajectories:,} trajectories x {TURNS} turns, mockllm and tools at zero latency"
    )
    with tempfile.TemporaryDirectory() as folder:
        for variant in ("sync", "async"):
            task = make_task(Path(folder) / variant, trajectories, variant)
            runs = [run(task, Path(folder) / f"logs-{variant}-{i}") for i in range(RUNS)]
            check(Path(folder) / f"logs-{variant}-0", trajectories)
            rates = sorted(turns / seconds for _, seconds in runs)
            starts = sorted(turns / m.seconds for m, _ in runs)
            rss = statistics.median(m.peak_rss_mb for m, _ in runs)
            size = next((Path(folder) / f"logs-{variant}-0").glob("*.eval")).stat().st_size
            verdict = "PASS" if statistics.median(rates) >= 5_000 else "MISS"
            print(f"  {variant:>5} tool: {statistics.median(rates):7,.0f} turns/s in the engine "
                  f"(runs {rates[0]:,.0f}-{rates[-1]:,.0f}); {statistics.median(starts):6,.0f} "
                  f"from process start; peak RSS {rss:.0f} MB; log {size / trajectories:,.0f} "
                  f"bytes per trajectory  [{verdict}: target 5,000]")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000)
