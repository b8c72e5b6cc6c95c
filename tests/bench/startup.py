"""Start-up figures: wall time of `evalrun --help` and of a 1-sample mock run.

Run: python tests/bench/startup.py [repeats]
Prints the median and best of several runs, and whether litellm was imported.
Targets: --help well under 0.5 s; a 1-sample run under 1 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        (work / "one.jsonl").write_text('{"input": "2+2", "target": "4"}\n')
        (work / "one.yaml").write_text("dataset: {path: one.jsonl}\nscorer: [exact]\n")
        cases = {
            "evalrun --help": [sys.executable, "-m", "evalrun", "--help"],
            "1-sample eval (mockllm)": [
                sys.executable, "-m", "evalrun", "eval", "one.yaml", "-m", "mockllm/model",
                "--display", "none", "--log-dir", str(work / "logs"),
            ],
        }  # fmt: skip
        for name, args in cases.items():
            times = [timed(args, work) for _ in range(repeats)]
            print(
                f"{name:28s} median {statistics.median(times) * 1000:6.0f} ms   best {min(times) * 1000:6.0f} ms"
            )
    probe = "import sys; from evalrun.cli import main; sys.argv=['evalrun','--help']\ntry: main()\nexcept SystemExit: pass\nprint('litellm' in sys.modules)"
    loaded = (
        subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
        .stdout.strip()
        .splitlines()[-1]
    )
    print(f"litellm imported by --help: {loaded}")


if __name__ == "__main__":
    main()
