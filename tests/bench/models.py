"""litellm's per-call overhead: calls/s against the local OpenAI-compatible test server
at concurrency 100, through evalrun's model path (Model + litellm) and a bare httpx client,
and the client's own CPU time per call (what the client path costs, whatever the server).

Run: python tests/bench/models.py [calls]
The server runs in its own process, so it does not share the client's CPU; being a
small threaded test server, it caps calls/s for both clients alike.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[1]))
CONCURRENCY = 100


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def bare_httpx(base_url: str, calls: int) -> float:
    import httpx

    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        semaphore = anyio.Semaphore(CONCURRENCY)

        async def one(i: int) -> None:
            async with semaphore:
                body = {"model": "fake", "messages": [{"role": "user", "content": f"ping {i}"}]}
                response = await client.post("/chat/completions", json=body)
                response.json()["choices"][0]["message"]["content"]

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for i in range(calls):
                group.start_soon(one, i)
        return time.perf_counter() - started


async def through_evalrun(base_url: str, calls: int) -> float:
    from evalrun.model import ChatMessage, ModelPool

    model = ModelPool(max_connections=CONCURRENCY).get(
        "openai-compatible/fake", {"base_url": base_url}
    )
    await model.generate([ChatMessage("user", "warm up")])
    semaphore = anyio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with semaphore:
            await model.generate([ChatMessage("user", f"ping {i}")])

    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for i in range(calls):
            group.start_soon(one, i)
    return time.perf_counter() - started


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(HERE.parent / "fake_openai.py"), str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        server.stdout.readline()  # "listening on ..."
        base_url = f"http://127.0.0.1:{port}/v1"
        started = time.perf_counter()
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm  # noqa: F401

        print(
            f"import litellm: {time.perf_counter() - started:.2f} s (only when a real model is used)"
        )
        cpu = time.process_time()
        bare = anyio.run(bare_httpx, base_url, calls)
        bare_cpu, cpu = time.process_time() - cpu, time.process_time()
        ours = anyio.run(through_evalrun, base_url, calls)
        ours_cpu = time.process_time() - cpu
        print(f"{calls} calls at concurrency {CONCURRENCY} against the local test server:")
        print(
            f"  bare httpx:        {calls / bare:6.0f} calls/s, client CPU {bare_cpu / calls * 1000:.2f} ms a call"
        )
        print(
            f"  evalrun + litellm: {calls / ours:6.0f} calls/s, client CPU {ours_cpu / calls * 1000:.2f} ms a call"
        )
        print(
            f"  litellm path overhead: {(ours_cpu - bare_cpu) / calls * 1000:.2f} ms of client CPU a call"
        )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
