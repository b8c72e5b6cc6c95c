"""`evalrun view`'s JSON API on a 100,000-sample log (issue 13: each page under 300 ms).

Run: python tests/bench/view.py [samples]
Writes one run with `evalrun eval` on mockllm (a responses file makes the samples whose
ids end in 7 wrong, `error_rate` errors 1% more; each sample has a `topic` and a `group`
in its metadata), starts the real server (`python -m evalrun view LOGDIR --port 0`) and
times requests over one keep-alive httpx client, from sending to the body read:
- the first samples page, asked as soon as the server answers (what a viewer opened at
  once waits: the server reads the newest logs in the background from start-up, and
  answers with the rows read so far), and how long until every row is read;
- the run list and the run; warm pages (first, middle, last); sorted and filtered pages
  (the first request of each query, then its next page); one sample near the start and
  near the end of the log; the score histograms;
- cold: a copy of the log made after the server started, new to it, so that its first
  page is the server's first read of it (the file is in the OS cache, just written),
  how long until every row of it is read, then warm pages of it.
A first request is timed once, a warm one 5 times (median and max). Every line is
checked against the target (its max). The server's peak RSS (VmHWM) is read before the
copy is asked for and after. Exits 0 whatever the figures: a benchmark, not a test.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from _common import evalrun, mock_log, yes_no_task

#: each request answered in under this (ms)
TARGET_MS = 300
#: how often a warm request is timed
REPEAT = 5
TOPICS = ("sums", "dates", "words", "names")
#: wrong on ids ending in 7 (10%)
RULES = [{"match": r"Question \d*7:", "output": "no"}]


def metadata(i: int) -> dict[str, Any]:
    return {"topic": TOPICS[i % len(TOPICS)], "group": i % 100}


class Bench:
    """Times GET requests and prints a line for each."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.missed = 0

    def time(
        self,
        label: str,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        repeat: int = 1,
        absent: str | None = None,
    ) -> httpx.Response:
        """Time `path` once (a first request) or `repeat` times (a warm one); a 404 is
        shown as `absent` when given."""
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = self.client.get(path, params=params)
            response.read()
            times.append((time.perf_counter() - started) * 1000)
        if response.status_code == 404 and absent is not None:
            print(f"  {label:<46} {'n/a':>9}  ({absent})")
            return response
        if response.status_code != 200:
            print(f"  {label:<46} HTTP {response.status_code}: {response.text[:120]}")
            return response
        worst = max(times)
        verdict = "PASS" if worst < TARGET_MS else "MISS"
        self.missed += verdict == "MISS"
        median = f"{statistics.median(times):9.1f}" if repeat > 1 else f"{'once':>9}"
        print(
            f"  {label:<46} {median} {worst:9.1f}  {len(response.content) / 1000:7.1f}  {verdict}"
        )
        return response


def start_server(log_dir: Path, work: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`evalrun view LOG_DIR --port 0` and its URL, once `/api/runs` answers. Its output
    goes to files (a pipe nobody reads could fill and block it)."""
    with (work / "server.out").open("w") as out, (work / "server.err").open("w") as err:
        args = evalrun("view", str(log_dir), "--port", "0")
        proc = subprocess.Popen(args, stdout=out, stderr=err)
    deadline = time.monotonic() + 30
    url = None
    while url is None:
        match = re.search(r"http://127\.0\.0\.1:\d+/", (work / "server.out").read_text())
        if match:
            url = match.group(0)
        elif proc.poll() is not None or time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError(f"evalrun view did not start: {(work / 'server.err').read_text()}")
        else:
            time.sleep(0.05)
    while True:
        try:
            httpx.get(url + "api/runs", timeout=10)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_server(proc)
                raise
            time.sleep(0.05)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else None


def main() -> None:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        started = time.perf_counter()
        task = yes_no_task(work, samples, name="viewbench", metadata=metadata)
        log = mock_log(task, RULES, work / "logs", "error_rate=0.01")
        print(f"one log of {samples:,} samples x 1 epoch ({log.stat().st_size / 1e6:.1f} MB), "
              f"1 scorer, written in {time.perf_counter() - started:.1f} s")  # fmt: skip
        started = time.perf_counter()
        proc, url = start_server(log.parent, work)
        print(f"server answering {time.perf_counter() - started:.2f} s after its start")
        done = False
        try:
            with httpx.Client(base_url=url, timeout=120) as client:
                run(Bench(client), log, samples, proc.pid)
            done = True
        finally:
            stop_server(proc)  # (its stderr is complete only then)
            if not done:
                errors = (work / "server.err").read_text()
                print(f"server's stderr (the end):\n{errors[-3000:]}", file=sys.stderr)


def read_to_end(bench: Bench, rows: str, first: dict[str, Any]) -> None:
    """The server answers a log's first pages from the rows it has read so far (a read
    slice at a time, on in a thread): say how many the first page saw, and wait until
    every row is read (`complete`), saying how long that took."""
    started = time.perf_counter()
    body = first
    while not body.get("complete", True):
        time.sleep(0.05)
        body = bench.client.get(rows).json()
    waited = time.perf_counter() - started
    print(f"    (the first answer saw {first.get('indexed', first['total']):,} rows read; "
          f"every row read {waited:.2f} s later: {body['total']:,})")  # fmt: skip


def run(bench: Bench, log: Path, samples: int, pid: int) -> None:
    base = f"/api/runs/{quote(log.name)}"
    rows = f"{base}/samples"
    print(f"target: each request answered in under {TARGET_MS} ms (a warm one: the max of "
          f"{REPEAT}); pages of 50 rows")  # fmt: skip
    print(f"  {'request':<46} {'median':>9} {'max':>9}  {'kB':>7}")
    # first, as a viewer opened at once would ask
    first = bench.time("samples page 1, first request after start", rows).json()
    read_to_end(bench, rows, first)
    total = bench.client.get(rows).json()["total"]
    bench.time("/api/runs", "/api/runs", repeat=REPEAT)
    summary = bench.time("/api/runs/NAME", base, repeat=REPEAT).json()
    scorer = summary["results"]["scores"][0]["scorer"]
    bench.time("samples page 1", rows, repeat=REPEAT)
    middle = samples // 2
    bench.time(f"samples offset {middle:,}", rows, {"offset": middle}, repeat=REPEAT)
    last = bench.time(
        "samples last page", rows, {"offset": max(total - 50, 0)}, repeat=REPEAT
    ).json()

    where = f"score.{scorer} == 'I' and metadata.topic == 'dates' and id > {middle}"
    print(f"  (EXPR: {where})")
    pages: list[tuple[str, dict[str, Any]]] = [
        ("sort=-tokens", {"sort": "-tokens"}),
        (f"sort=score.{scorer}", {"sort": f"score.{scorer}"}),
        ("failed=1", {"failed": 1}),
        ("errors=1", {"errors": 1}),
        ("where=EXPR", {"where": where}),
    ]
    for label, params in pages:
        found = bench.time(f"{label}: first", rows, params)
        bench.time(f"{label}: next page", rows, {**params, "offset": 50}, repeat=REPEAT)
        if found.status_code == 200:
            print(f"    ({found.json()['total']:,} matching)")

    for place, row in (("start", first["rows"][0]), ("end", last["rows"][-1])):
        label = f"sample {row['id']} (near the {place}): first"
        bench.time(label, f"{rows}/{row['id']}")
        bench.time(f"sample {row['id']} (near the {place})", f"{rows}/{row['id']}", repeat=REPEAT)

    absent = "no scores endpoint on this server yet"
    scores = bench.time("/api/runs/NAME/scores: first", f"{base}/scores", absent=absent)
    if scores.status_code != 404:
        bench.time("/api/runs/NAME/scores", f"{base}/scores", repeat=REPEAT)

    rss = peak_rss_mb(pid)

    # cold: a copy of the log, new to the server, so that its first read is this request
    copy = log.parent / f"cold-{log.name}"
    shutil.copyfile(log, copy)
    print("  a copy of the log, new to the server (its first read is the first request):")
    cold = f"/api/runs/{quote(copy.name)}/samples"
    read_to_end(bench, cold, bench.time("copy: samples page 1 (cold)", cold).json())
    bench.time("copy: samples page 1", cold, repeat=REPEAT)
    bench.time(f"copy: samples offset {middle:,}", cold, {"offset": middle}, repeat=REPEAT)

    both = peak_rss_mb(pid)
    shown = [f"{mb:.0f} MB" if mb is not None else "n/a" for mb in (rss, both)]
    print(f"server peak RSS (VmHWM): {shown[0]} with the log read, {shown[1]} with its copy too")
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"load average (1, 5, 15 min) {load} on {os.cpu_count()} CPUs: others' work slows "
          "every figure")  # fmt: skip
    print(f"{bench.missed} line(s) over {TARGET_MS} ms" if bench.missed else "all lines PASS")


if __name__ == "__main__":
    main()
