"""Log figures for 100,000 short Q/A samples on mockllm (issue: logs that survive anything).

Run: python tests/bench/logs.py [samples]
Prints: bytes per sample on disk (.eval and .json), peak RSS of the run, time for
`evalrun log list`, and the time `eval-retry` takes to run its first missing sample
after a run was killed half way.
Targets: < 1 KB per sample, peak RSS < 250 MB, eval-retry starts within 5 s.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import evalrun, make_task, measure

RETRY_PROBE = """
import sys, time
started = time.perf_counter()
import evalrun
class FirstSample:
    first = None
    def unit_started(self, unit, path): pass
    def sample_done(self, unit, record):
        if self.first is None:
            self.first = time.perf_counter() - started
    def unit_finished(self, unit, result): self.result = result
probe = FirstSample()
evalrun.eval_retry([sys.argv[1]], reporter=probe)
print(f"{probe.first:.2f} {probe.result.counts.reused} {probe.result.counts.completed}")
"""


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        task = make_task(work, samples)
        print(f"{samples:,} samples x 1 epoch, mockllm/model, zero latency")
        for fmt in ("eval", "json"):
            logs = work / f"logs-{fmt}"
            run = measure(evalrun("eval", str(task), "-m", "mockllm/model", "--display", "none",
                                  "--log-dir", str(logs), "--log-format", fmt))  # fmt: skip
            assert run.code == 0, run.stderr
            size = sum(p.stat().st_size for p in logs.iterdir())
            print(f"  .{fmt:4s} log: {size / samples:7.1f} bytes/sample  ({size / 1e6:.1f} MB)   "
                  f"run {run.seconds:5.1f} s, peak RSS {run.peak_rss_mb:5.0f} MB")  # fmt: skip
            listing = measure(evalrun("log", "list", str(logs)))
            print(f"  evalrun log list ({fmt}): {listing.seconds:.2f} s")

        # a run killed half way, then eval-retry
        logs = work / "logs-killed"
        proc = subprocess.Popen(
            evalrun(
                "eval",
                str(task),
                "-m",
                "mockllm/model",
                "-M",
                "latency=0.001",
                "--max-samples",
                "200",
                "--display",
                "none",
                "--log-dir",
                str(logs),
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from evalrun.log import read_summary

        deadline = time.monotonic() + 300
        done = 0
        while time.monotonic() < deadline and done < samples // 2:
            time.sleep(0.2)
            paths = list(logs.glob("*.eval")) if logs.exists() else []
            if paths:
                try:
                    done = read_summary(paths[0]).samples_done
                except Exception:
                    done = 0
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        (killed,) = list(logs.glob("*.eval"))
        partial = read_summary(killed).samples_done
        probe = measure([sys.executable, "-c", RETRY_PROBE, str(killed)])
        assert probe.code == 0, probe.stderr
        first, reused, completed = probe.stdout.split()
        print(f"  killed at {partial:,} samples; eval-retry ran its first missing sample after {first} s "
              f"(reused {int(reused):,}, total {int(completed):,} done; whole retry {probe.seconds:.1f} s, "
              f"peak RSS {probe.peak_rss_mb:.0f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
