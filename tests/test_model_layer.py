"""The model layer's own rules: connection limits that back off, and cache expiry."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import anyio
from conftest import clear_logs, logs_in, raw_log, run_evalrun, write_jsonl

from evalrun.model import ChatMessage, ModelPool
from evalrun.model._limit import ConnectionLimit


def test_limit_halves_on_rate_limits_and_grows_back() -> None:
    limit = ConnectionLimit(16)
    limit.throttle(now=100.0)
    assert limit.total == 8
    limit.throttle(now=100.5)  # at most once a second
    assert limit.total == 8
    limit.throttle(now=101.0)
    assert limit.total == 4
    for _ in range(4):  # additive increase: one more slot after as many successes as slots
        limit.recover()
    assert limit.total == 5
    for _ in range(200):
        limit.recover()
    assert limit.total == 16  # never past the configured ceiling


def test_mock_calls_due_together_share_a_tick_wake_on_time_and_cancel_alone() -> None:
    """Simulated latency wakes calls in 1 ms ticks: each wakes at its latency (to the
    loop clock's millisecond), and a call cancelled (a time limit) leaves the others due
    in the same tick to finish."""

    async def main() -> tuple[list[float], float]:
        model = ModelPool().get("mockllm/model", {"latency": 0.1})
        messages = [ChatMessage("user", "hi")]
        elapsed: list[float] = []

        async def call() -> None:
            started = time.monotonic()
            output = await model.generate(messages)
            assert output.completion == "Default output from mockllm/model"
            elapsed.append(time.monotonic() - started)

        async def cancelled() -> float:
            started = time.monotonic()
            with anyio.move_on_after(0.02):
                await model.generate(messages)
            return time.monotonic() - started

        async with anyio.create_task_group() as group:
            for _ in range(50):
                group.start_soon(call)
            early = await cancelled()
        return elapsed, early

    loops = [{}, {"use_uvloop": True}] if importlib.util.find_spec("uvloop") else [{}]
    for options in loops:  # (uvloop keeps time in whole milliseconds)
        elapsed, early = anyio.run(main, backend_options=options)
        assert len(elapsed) == 50
        assert min(elapsed) >= 0.1 - 0.0025  # uvloop's clock: whole, maybe coarse, ms
        assert max(elapsed) < 0.1 + 0.5  # all woke (a lost wake-up would hang)
        assert early < 0.1


def test_waiters_are_served_in_order_and_cancellation_frees_the_slot() -> None:
    async def main() -> list[int]:
        limit = ConnectionLimit(1)
        order: list[int] = []
        await limit.acquire()

        async def waiter(i: int) -> None:
            await limit.acquire()
            order.append(i)
            limit.release()

        async with anyio.create_task_group() as group:
            for i in range(3):
                group.start_soon(waiter, i)
                await anyio.sleep(0.01)
            with anyio.move_on_after(0.05):  # a cancelled waiter must not leak a slot
                await limit.acquire()
            limit.release()
        assert limit.in_use == 0
        return order

    assert anyio.run(main) == [0, 1, 2]


def test_cache_hits_and_expiry(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"input": f"q{i}"} for i in range(5)])
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\n")
    cache = tmp_path / "cache"

    def run(*options: str) -> dict:
        clear_logs(tmp_path / "logs")
        args = ["eval", str(task), "-m", "mockllm/echo", "--cache", "--cache-dir", str(cache)]
        result = run_evalrun(*args, "--log-dir", str(tmp_path / "logs"), *options)
        assert result.code == 0, result.output
        return raw_log(logs_in(tmp_path / "logs")[0])

    assert not any(s["output"].get("cached") for s in run()["samples"])
    assert all(s["output"]["cached"] for s in run()["samples"])
    time.sleep(1.2)
    assert not any(s["output"].get("cached") for s in run("--cache-expiry", "1s")["samples"])
