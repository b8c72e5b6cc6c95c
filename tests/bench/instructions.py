"""Instructions per sample: a figure the machine's load does not move.

Wall-clock figures on a shared 2-core machine drift by tens of percent from hour to
hour; instruction counts do not. This runs a 2,000- and a 6,000-sample `evalrun eval`
(mock model, a system message and a prompt template, the numeric `match` scorer, an
`.eval` log) under valgrind's cachegrind and prints the difference per sample: the
engine's own cost of one more sample, start-up and fixed costs cancelled out. It takes
a few minutes.

    python tests/bench/instructions.py            # needs valgrind (Debian: valgrind)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SAMPLES = (2000, 6000)


def count(folder: Path, samples: int) -> int:
    data = folder / f"d{samples}.jsonl"
    with data.open("w") as handle:
        for i in range(samples):
            handle.write(json.dumps({"id": i, "input": f"What is {i} + 1?", "target": str(i + 1)}))
            handle.write("\n")
    task = folder / f"t{samples}.yaml"
    task.write_text(
        f"dataset: {{path: {data.name}}}\n"
        'solver: [{system_message: "Be brief."}, {prompt_template: "{{ input }} Answer."}, generate]\n'
        "scorer: [{match: {numeric: true}}]\n"
    )
    out = folder / f"cachegrind.{samples}"
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
         sys.executable, "-m", "evalrun", "eval", str(task), "-m", "mockllm/echo",
         "--log-dir", str(folder / f"logs{samples}"), "--display", "none"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    assert found, result.stderr[-2000:]
    return int(found.group(1).replace(",", ""))


def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install -y valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        small, large = (count(Path(tmp), n) for n in SAMPLES)
    per_sample = (large - small) / (SAMPLES[1] - SAMPLES[0])
    print(f"instructions: {small:,} for {SAMPLES[0]:,} samples, {large:,} for {SAMPLES[1]:,}")
    print(f"per sample: {per_sample:,.0f}")


if __name__ == "__main__":
    main()
