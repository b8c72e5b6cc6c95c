"""Engine figures on this machine, with mockllm (issue: the engine at full speed).

Run: python tests/bench/engine.py
Prints samples/s (log writing included) for 10,000 x 1 and 3,000 x 3 epochs at zero
latency, the wall time of a 1-sample run from process start, the efficiency of
latency hiding (ideal N*latency/concurrency over actual) for 2,000 samples at 0.2 s
with --max-samples 10/100/1000, and peak RSS for 100,000 samples.
Targets: >= 2,000 samples/s; 1-sample run < 1 s; efficiency >= 0.9; RSS < 250 MB.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from _common import evalrun, make_task, measure


def engine_seconds(log_dir: Path) -> float:
    """The run's own duration, from its log (process start-up excluded)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from evalrun.log import read_summary

    (path,) = [p for p in log_dir.iterdir() if not p.name.startswith(".")]  # (the job index)
    return float((read_summary(path).stats or {})["duration"])


def run(task: Path, logs: Path, *options: str):
    result = measure(
        evalrun(
            "eval",
            str(task),
            "-m",
            "mockllm/model",
            "--display",
            "none",
            "--log-dir",
            str(logs),
            *options,
        )
    )
    assert result.code == 0, result.stderr
    return result, engine_seconds(logs)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        print("throughput, zero latency, .eval log written (samples = sample x epochs)")
        for samples, epochs in ((10_000, 1), (3_000, 3)):
            task = make_task(work / f"t{samples}", samples, epochs=epochs)
            total = samples * epochs
            measured, seconds = run(task, work / f"logs{samples}", "--max-samples", "100")
            print(f"  {samples:,} x {epochs}: {total / seconds:8,.0f} samples/s in the engine "
                  f"({seconds:.2f} s); {total / measured.seconds:8,.0f} samples/s from process start "
                  f"({measured.seconds:.2f} s)")  # fmt: skip

        one = make_task(work / "one", 1)
        times = [run(one, work / f"one-logs{i}")[0].seconds for i in range(5)]
        print(
            f"1-sample run from process start: median {statistics.median(times):.2f} s, best {min(times):.2f} s"
        )

        print("latency hiding, 2,000 samples at 0.2 s (max connections = max samples)")
        task = make_task(work / "latency", 2_000)
        # the short 1,000 case follows machine noise most: it runs 5 times (median, range)
        for concurrency, repeats in ((10, 1), (100, 1), (1000, 5)):
            ideal = 2_000 * 0.2 / concurrency
            runs = [
                run(task, work / f"lat{concurrency}-{i}", "-M", "latency=0.2",
                    "--max-samples", str(concurrency), "--max-connections", str(concurrency))[1]
                for i in range(repeats)
            ]  # fmt: skip
            seconds = statistics.median(runs)
            spread = (
                f" (median of {repeats}; {ideal / max(runs):.3f}-{ideal / min(runs):.3f})"
                if repeats > 1
                else ""
            )
            print(
                f"  --max-samples {concurrency:5d}: ideal {ideal:6.2f} s, actual {seconds:6.3f} s, "
                f"efficiency {ideal / seconds:.3f}{spread}"
            )

        task = make_task(work / "big", 100_000)
        measured, seconds = run(task, work / "big-logs")
        print(
            f"100,000 samples: peak RSS {measured.peak_rss_mb:.0f} MB, {100_000 / seconds:,.0f} samples/s ({seconds:.1f} s)"
        )


if __name__ == "__main__":
    main()
