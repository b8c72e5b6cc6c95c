"""The model layer's own rules: connection limits that back off, cache expiry, and
providers whose classes declare what differs between them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import REPO, clear_logs, logs_in, raw_log, run_forked, write_jsonl

from evalrun.errors import ModelError
from evalrun.model import (
    ChatMessage,
    ModelOutput,
    ModelPool,
    ModelRequest,
    Provider,
    Usage,
    resolve_path_args,
)
from evalrun.model._estimate import count_prompt_tokens, count_text_tokens, prices_for
from evalrun.model._limit import ConnectionLimit
from evalrun.model._mock import MockLLM
from evalrun.model._provider import PROVIDERS


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
        result = run_forked(*args, "--log-dir", str(tmp_path / "logs"), *options)
        assert result.code == 0, result.output
        return raw_log(logs_in(tmp_path / "logs")[0])

    assert not any(s["output"].get("cached") for s in run()["samples"])
    assert all(s["output"]["cached"] for s in run()["samples"])
    time.sleep(1.2)
    assert not any(s["output"].get("cached") for s in run("--cache-expiry", "1s")["samples"])


class Flaky(Provider):
    """A provider of its own: fails twice, then answers. Its class says how evalrun treats
    it: two retries unless told otherwise, no backoff, `table` is a file, its own counts."""

    default_max_retries = 2
    retry_backoff = 0.0
    path_args = frozenset({"table"})

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        super().__init__(name, args)
        self.calls = 0

    def endpoint(self) -> str:
        return self.name

    def cache_identity(self) -> dict[str, Any]:
        return {"model": self.name}

    async def generate(self, request: ModelRequest) -> ModelOutput:
        self.calls += 1
        if self.calls <= 2:
            raise ModelError(f"{self.name}: failure {self.calls}", transient=True)
        return ModelOutput(self.name, "ok", usage=Usage(1, 1, 0, 1))

    @classmethod
    def count_prompt_tokens(cls, name: str, messages: list[ChatMessage]) -> int:
        return 7 * len(messages)

    @classmethod
    def count_text_tokens(cls, name: str, text: str) -> int:
        return 3

    @classmethod
    def prices(cls, name: str, args: dict[str, Any]) -> tuple[float, float] | None:
        return 1.0, 2.0


def test_a_providers_class_drives_retries_paths_and_estimates(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The registry maps a prefix to a provider class; nothing else knows the prefix."""
    monkeypatch.setitem(PROVIDERS, "flaky", f"{__name__}:Flaky")
    messages = [ChatMessage("user", "hi")]

    model = ModelPool().get("flaky/one")
    assert model.max_retries == 2  # the class's default
    output = anyio.run(model.generate, messages)
    assert output.completion == "ok" and output.retries == 2
    assert [entry["wait"] for entry in output.retry_log] == [0.0, 0.0]  # its backoff: none

    strict = ModelPool(max_retries=0).get("flaky/one")  # the user's setting wins
    with pytest.raises(ModelError, match="failure 1"):
        anyio.run(strict.generate, messages)

    args = {"table": "data/t.csv", "other": "x.csv"}
    assert resolve_path_args("flaky/one", args, tmp_path) == {
        "table": str(tmp_path / "data" / "t.csv"),
        "other": "x.csv",
    }
    assert resolve_path_args("mockllm/model", args, tmp_path) == args  # not the mock's
    assert count_prompt_tokens("flaky/one", messages * 2) == 14
    assert count_text_tokens("flaky/one", "anything") == 3
    assert prices_for("flaky/one", {}) == (1.0, 2.0)


def test_the_mock_declares_its_defaults_and_estimates_what_it_reports(tmp_path: Path) -> None:
    """No retries and a tiny backoff by default, `responses` relative to the task, and
    estimates equal to the usage it reports (free, and known to be)."""
    messages = [ChatMessage("system", "Be brief."), ChatMessage("user", "What is 12 + 30?")]
    assert resolve_path_args("mockllm/model", {"responses": "r.jsonl"}, tmp_path) == {
        "responses": str(tmp_path / "r.jsonl")
    }

    failing = ModelPool().get("mockllm/model", {"error_rate": 1})
    assert failing.max_retries == MockLLM.default_max_retries == 0
    with pytest.raises(ModelError, match="simulated transient error") as raised:
        anyio.run(failing.generate, messages)
    assert raised.value.retry_log == []  # not retried

    retried = ModelPool(max_retries=3).get("mockllm/model", {"error_rate": 1})
    with pytest.raises(ModelError) as raised:
        anyio.run(retried.generate, messages)
    waits = [entry["wait"] for entry in raised.value.retry_log]
    assert len(waits) == 4 and waits[-1] is None
    assert all(0 <= wait <= MockLLM.retry_backoff * 2**3 for wait in waits[:-1])

    output = anyio.run(ModelPool().get("mockllm/echo").generate, messages)
    assert output.usage.input_tokens == count_prompt_tokens("mockllm/echo", messages)
    assert output.usage.output_tokens == count_text_tokens("mockllm/echo", output.completion)
    assert output.usage.cost == 0 and output.usage.unpriced == 0
    assert prices_for("mockllm/echo", {}) == (0.0, 0.0)
    assert prices_for("mockllm/echo", {"prices": {"input": 1, "output": 4}}) == (1.0, 4.0)


def test_a_mock_run_imports_nothing_of_litellm_whatever_the_models_file_names(
    tmp_path: Path,
) -> None:
    """Provider modules load when one of their models is made, not when a models file's
    aliases (here: the repository's, naming litellm models) are read."""
    script = (
        "import sys\n"
        "from evalrun.cli import main\n"
        f"sys.argv = ['evalrun', 'eval', 'tasks/arithmetic.yaml', '--log-dir', {str(tmp_path)!r},"
        " '--display', 'none']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('LOADED', sorted(m for m in sys.modules if 'litellm' in m or 'model._' in m))\n"
    )
    assert (REPO / "configs" / "models.yaml").is_file()
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, check=True
    ).stdout
    loaded = out[out.index("LOADED") :]
    assert "litellm" not in loaded and "evalrun.model._mock" in loaded, loaded
