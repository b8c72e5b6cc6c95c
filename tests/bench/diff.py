"""`evalrun diff` on two 100,000-sample logs (issue 13: target under 3 s).

Run: python tests/bench/diff.py [samples]
Writes two runs of one task with `evalrun eval` on mockllm (responses files make run B
wrong on 10% more samples and right on 1% that A got wrong), then times `evalrun diff`
from process start (table and JSON) and `evalrun.diff()` in process (B read in a forked
process beside A, the default for big logs, and both in this one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import evalrun, mock_log, yes_no_task

RESPONSES = {
    # A: wrong on ids ending in 7 (10%)
    "a": [{"match": r"Question \d*7:", "output": "no"}],
    # B: also wrong on ids ending in 3; right on those ending in 17 (1%)
    "b": [
        {"match": r"Question \d*3:", "output": "no"},
        {"match": r"Question \d*17:", "output": "yes"},
        {"match": r"Question \d*7:", "output": "no"},
    ],
}


def timed(args: list[str], out: Path) -> tuple[float, float, int]:
    """Seconds from process start to exit, peak RSS (MB) and exit status of `args`, its
    output to `out` (`_common.measure` pipes it: a big JSON output would fill the pipe)."""
    with out.open("w") as handle:
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        task = yes_no_task(work, samples, name="diffbench")
        logs = {
            run: mock_log(task, rules, work / f"logs-{run}") for run, rules in RESPONSES.items()
        }
        size = sum(p.stat().st_size for p in logs.values()) / 1e6
        print(f"two logs of {samples:,} samples x 1 epoch ({size:.1f} MB in all), 1 scorer")

        for fmt in ("table", "json"):
            runs = []
            for _ in range(3):
                args = evalrun("diff", str(logs["a"]), str(logs["b"]), "--format", fmt)
                runs.append(timed(args, work / f"out.{fmt}"))
                assert runs[-1][2] == 0, (work / f"out.{fmt}").read_text()
            seconds, rss, _ = min(runs)
            print(f"  evalrun diff --format {fmt:5s} from process start: {seconds:.2f} s "
                  f"(best of 3), peak RSS {rss:.0f} MB")  # fmt: skip

        started = time.perf_counter()
        import evalrun as package

        imported = time.perf_counter() - started
        for parallel in (True, False):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                comparison = package.diff(logs["a"], logs["b"], parallel=parallel)
                times.append(time.perf_counter() - started)
            how = "B in a forked process" if parallel else "one process"
            print(f"  evalrun.diff() in process ({how}): {min(times):.2f} s (best of 3)")
        print(f"  (import evalrun: {imported:.2f} s)")
        s = comparison.scorers[0]
        print(f"  A {s.a:.4f}  B {s.b:.4f}  B - A {s.difference:+.4f} "
              f"[{s.ci_low:+.4f}, {s.ci_high:+.4f}]  {s.test} p {s.p_value:.2g}  "
              f"regressions {len(s.regressions):,}, improvements {len(s.improvements):,}")  # fmt: skip


if __name__ == "__main__":
    main()
