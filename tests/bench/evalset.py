"""eval-set figures on this machine, with mockllm at zero latency (issue 12).

Run: python tests/bench/evalset.py
Prints, for 50 tasks x 4 models x 100 samples: the set's wall time and samples/s in the
engine (the sum of its units' durations, which overlap 4 at a time, is also shown) and
from process start; then the wall time of a no-op re-run of the completed set (target:
under 1 s from process start), and of `evalrun jobs list` over its log dir.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, evalrun, measure

TASKS, MODELS, SAMPLES = 50, 4, 100


def make_set(folder: Path) -> Path:
    tasks = folder / "tasks"
    tasks.mkdir(parents=True)
    for t in range(TASKS):
        with (tasks / f"t{t:02d}.jsonl").open("w") as handle:
            for i in range(SAMPLES):
                handle.write(
                    json.dumps({"id": i, "input": f"What is {i} + {t}?", "target": str(i + t)})
                    + "\n"
                )
        (tasks / f"t{t:02d}.yaml").write_text(
            f"name: t{t:02d}\ndataset: {{path: t{t:02d}.jsonl}}\nscorer: [{{match: {{numeric: true}}}}]\n"
        )
    return tasks


def main() -> None:
    sys.path.insert(0, str(REPO))
    from evalrun.log import find_logs, read_summary

    models = [a for m in ("model", "a", "b", "c") for a in ("-m", f"mockllm/{m}")]
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        tasks = make_set(work)
        logs = work / "logs"
        command = evalrun(
            "eval-set", str(tasks), *models, "--log-dir", str(logs), "--display", "none"
        )
        first = measure(command)
        assert first.code == 0, first.stderr[-2000:]
        summaries = [read_summary(p) for p in find_logs(logs)]
        units = len(summaries)
        samples = sum(s.counts.completed for s in summaries)
        engine = sum(float((s.stats or {})["duration"]) for s in summaries)
        print(
            f"eval-set: {TASKS} tasks x {MODELS} models x {SAMPLES} samples = {units} units, {samples:,} samples"
        )
        print(f"  first run: {first.seconds:.2f} s from process start ({samples / first.seconds:,.0f} samples/s); "
              f"units' own durations sum to {engine:.2f} s ({samples / engine:,.0f} samples/s per unit, 4 at a time); "
              f"peak RSS {first.peak_rss_mb:.0f} MB")  # fmt: skip
        runs = []
        for _ in range(3):
            again = measure(command)
            assert again.code == 0, again.stderr[-2000:]
            runs.append(again.seconds)
        print(
            f"  no-op re-run of the completed set: {min(runs):.2f}-{max(runs):.2f} s from process start (3 runs)"
        )
        started = time.perf_counter()
        listing = measure(evalrun("jobs", "list", str(logs)))
        if listing.code == 0:
            print(f"  jobs list over its log dir: {listing.seconds:.2f} s from process start")
        del started


if __name__ == "__main__":
    main()
