"""eval-set with the local executor and on Ray, on this machine (issue 14).

Run: python tests/bench/ray.py [SAMPLES]   (needs the `ray` extra)

A latency-bound set: 8 units (8 tasks x mockllm/model) of 200 samples each, mock latency
0.2 s, 5 samples in flight per unit, 8 units at once (`--max-tasks 8`), so that each
unit takes about 8 s of waiting on the model. Prints the wall time from process start
with the local executor; with `--executor ray` on a local instance started beforehand
(`ray start --head --num-cpus 8`: logical CPUs, one per unit in flight, since a
latency-bound unit needs no core of its own), which is the cluster case, twice: the first
set after `ray start` (which finds idle workers Ray started for the cluster's first
driver) and the next (which starts its own, as on a cluster that has run jobs before);
the scheduling overhead per unit ((Ray - local) / units); what connecting costs alone;
and, for reference, `--executor ray` with no address (the command starts its own
instance, with a CPU per core: on 2 cores, 2 units at once).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO, evalrun, measure

UNITS, LATENCY, IN_FLIGHT = 8, 0.2, 5
#: samples per unit (`python tests/bench/ray.py 1000`: longer units, the same overhead)
SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 200
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}


def make_set(folder: Path) -> list[str]:
    folder.mkdir(parents=True)
    with (folder / "d.jsonl").open("w") as handle:
        for i in range(SAMPLES):
            handle.write(json.dumps({"id": i, "input": f"q{i}", "target": f"q{i}"}) + "\n")
    paths = []
    for t in range(UNITS):
        path = folder / f"t{t}.yaml"
        path.write_text(f"name: t{t}\ndataset: {{path: d.jsonl}}\nscorer: [exact]\n")
        paths.append(str(path))
    return paths


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    sys.path.insert(0, str(REPO))
    from evalrun.log import find_logs, read_summary

    os.environ.update(RAY_ENV)  # `measure` runs children with this environment
    port = free_port()
    ray_bin = str(Path(sys.executable).parent / "ray")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        paths = make_set(work / "tasks")
        common = [*paths, "-m", "mockllm/model", "-M", f"latency={LATENCY}", "--max-samples",
                  str(IN_FLIGHT), "--max-tasks", str(UNITS), "--display", "none"]  # fmt: skip
        ideal = SAMPLES / IN_FLIGHT * LATENCY
        print(f"eval-set: {UNITS} units x {SAMPLES} samples, mock latency {LATENCY} s, "
              f"{IN_FLIGHT} in flight per unit, {UNITS} units at once "
              f"(a unit waits {ideal:.1f} s on the model)")  # fmt: skip
        local = measure(evalrun("eval-set", *common, "--log-dir", str(work / "local")))
        assert local.code == 0, local.stderr[-2000:]
        print(f"  local executor: {local.seconds:.2f} s")
        head_log = (work / "head.log").open("w")
        started = time.perf_counter()
        head = subprocess.Popen(
            [ray_bin, "start", "--head", "--num-cpus", str(UNITS), "--port", str(port),
             "--include-dashboard", "false", "--disable-usage-stats", "--block"],
            stdout=head_log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            while "Ray runtime started" not in (work / "head.log").read_text():
                assert head.poll() is None, (work / "head.log").read_text()
                time.sleep(0.1)
            print(f"  (ray start --head: {time.perf_counter() - started:.1f} s, not counted)")
            address = ["--executor", "ray", "--ray-address", f"127.0.0.1:{port}"]
            connect = measure([sys.executable, "-c", "import ray; ray.init(address="
                               f"'127.0.0.1:{port}', logging_level='ERROR')"])  # fmt: skip
            # the first set after `ray start` finds the idle workers Ray started for the
            # cluster's first driver (the connect above) and starts none; the next one, as
            # on a cluster that has run jobs before, starts its own
            for run, label in enumerate(("first set after `ray start`", "next set")):
                logs = work / f"ray{run}"
                began = time.time()
                ray = measure(evalrun("eval-set", *common, "--log-dir", str(logs), *address))
                assert ray.code == 0, ray.stderr[-2000:]
                summaries = [read_summary(p) for p in find_logs(logs)]
                starts = sorted((s.header.started_at or 0.0) - began for s in summaries)
                durations = [float((s.stats or {})["duration"]) for s in summaries]
                overhead = (ray.seconds - local.seconds) / UNITS
                print(f"  Ray, local instance, {label}: {ray.seconds:.2f} s, "
                      f"{100 * (ray.seconds / local.seconds - 1):+.0f}% vs local, scheduling "
                      f"overhead per unit {overhead * 1000:.0f} ms ((Ray - local) / {UNITS}); "
                      f"units started {starts[0]:.1f}-{starts[-1]:.1f} s after the command "
                      f"(once connected and the set's worker process started) and took "
                      f"{min(durations):.2f}-{max(durations):.2f} s each")  # fmt: skip
            print(f"  connecting to the cluster alone: {connect.seconds:.2f} s")
        finally:
            head.terminate()
            head.wait(30)
            head_log.close()
        if SAMPLES != 200:
            return
        own = measure(evalrun("eval-set", *common, "--log-dir", str(work / "own"),
                              "--executor", "ray"))  # fmt: skip
        assert own.code == 0, own.stderr[-2000:]
        print(f"  Ray, no address (the command starts and stops its own instance, "
              f"{os.cpu_count()} CPUs): {own.seconds:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
