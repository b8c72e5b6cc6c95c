"""The figures quoted in evalrun's comments about one piece of code, each measured here.

Run: python tests/bench/micro.py
Each line names the code it measures and prints the figure its comment quotes (the
comments say "measured by tests/bench/micro.py"). Micro-benchmarks: the best of several
repeats, in-process, on this machine; ratios move less with the machine than times do.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))


def best(work: Callable[[], object], repeats: int = 5) -> float:
    """The best wall time of `repeats` runs of `work`, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:
        return asyncio.new_event_loop()


def task_spawn(n: int = 1000) -> None:
    """engine/_workers.py: an anyio task-group spawn against a plain asyncio task."""
    import anyio

    async def nothing() -> None:
        await asyncio.sleep(0)

    async def with_anyio() -> float:
        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(n):
                group.start_soon(nothing)
            spawned = time.perf_counter() - started
        return spawned

    async def with_asyncio() -> float:
        loop = asyncio.get_running_loop()
        started = time.perf_counter()
        tasks = [loop.create_task(nothing()) for _ in range(n)]
        spawned = time.perf_counter() - started
        await asyncio.gather(*tasks)
        return spawned

    backend = {"use_uvloop": True} if _has("uvloop") else {}
    ours = min(anyio.run(with_asyncio, backend_options=backend) for _ in range(5))
    theirs = min(anyio.run(with_anyio, backend_options=backend) for _ in range(5))
    print(
        f"engine/_workers.py  spawn: anyio task group {theirs / n * 1e6:.1f} us, asyncio task "
        f"{ours / n * 1e6:.1f} us; {n:,} spawns {theirs * 1000:.1f} ms against {ours * 1000:.1f} ms"
    )


def timers(n: int = 1000) -> None:
    """model/_mock.py: a timer per call against one timer per millisecond (`_Clock`)."""
    from evalrun.model._mock import _Clock

    async def per_call() -> None:
        loop = asyncio.get_running_loop()
        futures = []
        for _ in range(n):
            future = loop.create_future()
            loop.call_later(0.001, future.set_result, None)
            futures.append(future)
        await asyncio.gather(*futures)

    async def shared() -> None:
        clock = _Clock()
        await asyncio.gather(*(clock.after(0.001) for _ in range(n)))

    async def nothing() -> None:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(n)]
        for future in futures:
            future.set_result(None)
        await asyncio.gather(*futures)

    def cpu(make: Callable[[], Any]) -> float:
        loop = new_loop()
        try:
            runs = []
            for _ in range(7):
                started = time.process_time()
                loop.run_until_complete(make())
                runs.append(time.process_time() - started)
            return min(runs)
        finally:
            loop.close()

    base = cpu(nothing)
    one_each, one_tick = cpu(per_call) - base, cpu(shared) - base
    print(
        f"model/_mock.py      timers: {one_each / n * 1e6:.1f} us CPU a call with a timer each, "
        f"{one_tick / n * 1e6:.1f} us with one per millisecond ({type(new_loop()).__module__})"
    )


def token_estimate(n: int = 200_000) -> None:
    """model/_types.py: `count_message_tokens` as a loop against a generator."""
    from evalrun.model._types import ChatMessage, count_message_tokens

    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "What is 12 + 30?")]

    def generator() -> int:
        return sum((len(m.content) + 3) // 4 + 4 for m in messages)

    loop = best(lambda: [count_message_tokens(messages) for _ in range(n)])
    gen = best(lambda: [generator() for _ in range(n)])
    print(
        f"model/_types.py     count_message_tokens: loop {loop / n * 1e9:.0f} ns, "
        f"generator {gen / n * 1e9:.0f} ns ({gen / loop:.1f}x)"
    )


def connection_limit(n: int = 100_000) -> None:
    """model/_limit.py: `ConnectionLimit` against anyio's CapacityLimiter, a free slot."""
    import anyio

    from evalrun.model._limit import ConnectionLimit

    async def ours() -> float:
        limit = ConnectionLimit(10)
        started = time.perf_counter()
        for _ in range(n):
            if not limit.try_acquire():
                await limit.acquire()
            limit.release()
        return time.perf_counter() - started

    async def theirs() -> float:
        limiter = anyio.CapacityLimiter(10)
        started = time.perf_counter()
        for _ in range(n):
            async with limiter:
                pass
        return time.perf_counter() - started

    backend = {"use_uvloop": True} if _has("uvloop") else {}
    a = min(anyio.run(ours, backend_options=backend) for _ in range(5))
    b = min(anyio.run(theirs, backend_options=backend) for _ in range(5))
    print(
        f"model/_limit.py     free slot: ConnectionLimit {a / n * 1e9:.0f} ns, "
        f"anyio CapacityLimiter {b / n * 1e9:.0f} ns ({b / a:.0f}x)"
    )


def log_lines(n: int = 1000) -> bytes:
    """Sample records like the engine's, as one .eval chunk."""
    rows = []
    for i in range(n):
        record = {
            "id": i,
            "epoch": 1,
            "input": f"What is {i} + {i}?",
            "target": [str(2 * i)],
            "messages": [
                {"role": "user", "content": f"What is {i} + {i}?"},
                {"role": "assistant", "content": "Default output from mockllm/model"},
            ],
            "output": {"model": "mockllm/model", "completion": "Default output", "usage": {}},
            "scores": {"match": {"value": "I", "answer": "", "explanation": None}},
            "usage": {"input_tokens": 9, "output_tokens": 9, "calls": 1, "cost": 0.0},
            "total_time": 0.000123 * i,
            "error": None,
        }
        rows.append(json.dumps(record))
    return ("\n".join(rows) + "\n").encode()


def compression() -> None:
    """log/_eval.py: zlib level 1 (the .eval writer's) against the default level."""
    data = log_lines()
    fast = best(lambda: zlib.compress(data, 1), 9)
    default = best(lambda: zlib.compress(data, zlib.Z_DEFAULT_COMPRESSION), 9)
    small, large = len(zlib.compress(data)), len(zlib.compress(data, 1))
    print(
        f"log/_eval.py        zlib level 1: {default / fast:.1f}x faster than the default, "
        f"{(large / small - 1) * 100:.0f}% more bytes (a 1,000-sample chunk)"
    )


def line_memory(n: int = 20_000) -> None:
    """log/_base.py: heap kept per line when orjson's outputs are kept, or copied once."""
    script = (
        "import orjson, resource, sys\n"
        f"rows = [{{'id': i, 'input': 'x' * 200, 'scores': {{'a': {{'value': 'C'}}}}}} for i in range({n})]\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "if sys.argv[1] == 'keep':\n"
        "    kept = [orjson.dumps(r) for r in rows]\n"
        "else:\n"
        "    data = bytearray()\n"
        "    for r in rows:\n"
        "        data += orjson.dumps(r)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)\n"
    )

    def grown(how: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", script, how], capture_output=True, text=True, check=True
        )
        return int(out.stdout)

    keep, copy = grown("keep"), grown("copy")
    print(
        f"log/_base.py        heap per line: {keep / n:.1f} KB keeping orjson's bytes, "
        f"{copy / n:.1f} KB copying them into one buffer (~250-byte lines)"
    )


def two_pass_variance(n: int = 10_000) -> None:
    """scorer/_metrics.py: the two-pass float variance against the statistics module."""
    from evalrun.scorer._metrics import variance

    draw = random.Random(1)
    values = [draw.random() for _ in range(n)]
    ours = best(lambda: variance(values, ddof=1))
    theirs = best(lambda: statistics.variance(values))
    print(
        f"scorer/_metrics.py  variance of {n:,}: two-pass {ours * 1000:.2f} ms, statistics "
        f"{theirs * 1000:.1f} ms ({theirs / ours:.0f}x slower)"
    )


def number_regex(n: int = 20_000) -> None:
    """scorer/_text.py: the number pattern with its leading lookahead, and without."""
    from evalrun.scorer._text import _NUMBER

    plain = re.compile(_NUMBER.pattern.removeprefix(r"(?=[-+.\d])"))
    answers = [
        "The capital of France is Paris, as every schoolchild knows.",
        "Let me think step by step about this question before answering it: 42",
        "Default output from mockllm/model",
    ]
    for text in answers:
        assert _NUMBER.findall(text) == plain.findall(text)
    ours = best(lambda: [_NUMBER.findall(t) for _ in range(n) for t in answers])
    theirs = best(lambda: [plain.findall(t) for _ in range(n) for t in answers])
    print(f"scorer/_text.py     number pattern: the lookahead {theirs / ours:.1f}x faster")


def yaml_loader(rows: int = 5_000) -> None:
    """spec/_yaml.py: libyaml's composer against the pure-Python one, on a large file."""
    import yaml

    text = "samples:\n" + "".join(
        f"  - {{id: {i}, input: 'What is {i} + {i}?', target: '{2 * i}'}}\n" for i in range(rows)
    )
    fast = best(lambda: yaml.compose(text, Loader=yaml.CSafeLoader), 3)
    slow = best(lambda: yaml.compose(text, Loader=yaml.SafeLoader), 3)
    print(f"spec/_yaml.py       YAML compose, {rows:,} rows: libyaml {slow / fast:.1f}x faster")


GC_PROBE = """
import contextlib, sys, time
sys.path.insert(0, {repo!r})
import evalrun
import evalrun.engine._run as run
if sys.argv[1] == "auto":
    run._collect_on_a_timer = contextlib.nullcontext
results = evalrun.eval([{task!r}], model=["mockllm/model"], max_samples=1000,
                       log_dir={logs!r} + sys.argv[1] + sys.argv[2])
print(results[0].duration)
"""


def automatic_gc() -> None:
    """engine/_run.py: the engine's time with Python's automatic collections on."""
    import tempfile

    sys.path.insert(0, str(HERE))
    from _common import make_task

    with tempfile.TemporaryDirectory() as folder:
        task = make_task(Path(folder), 10_000)
        probe = GC_PROBE.format(repo=str(REPO), task=str(task), logs=str(Path(folder) / "logs"))

        def seconds(mode: str) -> float:
            runs = [
                float(
                    subprocess.run(
                        [sys.executable, "-c", probe, mode, str(i)],
                        capture_output=True, text=True, check=True, cwd=folder,
                    ).stdout.split()[-1]
                )
                for i in range(3)
            ]  # fmt: skip
            return min(runs)

        timed, auto = seconds("timed"), seconds("auto")
    print(
        f"engine/_run.py      10,000 samples, 1,000 in flight: {auto:.2f} s with automatic gc, "
        f"{timed:.2f} s collecting on the flush timer ({(auto - timed) / auto:.0%} of the time)"
    )


def openai_resources() -> None:
    """model/_litellm.py: importing litellm, then the OpenAI client's chat resources."""
    script = (
        "import os, time\n"
        "os.environ.setdefault('LITELLM_LOCAL_MODEL_COST_MAP', 'True')\n"
        "started = time.perf_counter()\n"
        "import litellm\n"
        "middle = time.perf_counter()\n"
        "import openai.resources.chat.completions\n"
        "print(middle - started, time.perf_counter() - middle)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    if out.returncode:
        print("model/_litellm.py   (litellm is not installed)")
        return
    first, then = (float(x) for x in out.stdout.split())
    print(
        f"model/_litellm.py   import litellm {first:.2f} s; then import the OpenAI client's "
        f"chat resources {then * 1000:.0f} ms"
    )


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def main() -> None:
    gc.collect()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    for measure in (
        task_spawn,
        timers,
        token_estimate,
        connection_limit,
        compression,
        line_memory,
        two_pass_variance,
        number_regex,
        yaml_loader,
        openai_resources,
        automatic_gc,
    ):
        measure()


if __name__ == "__main__":
    main()
