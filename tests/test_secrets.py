"""API keys never reach a log, a cache file, an error message or the terminal, whoever
reads the key (evalrun or litellm) and wherever it comes back (an error body, a
completion, a failed metric). A missing key stops a run before any call, in one line."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, logs_in, only_log, run_forked, run_forked_python, write_jsonl
from fake_openai import FakeOpenAI

#: what `OPENAI_API_KEY` holds: litellm would read it itself for `openai/...`
ENV_KEY = "sk-evalrun-env-0123456789abcdef"
#: what the variable a models file names (`api_key_env`) holds
NAMED_KEY = "sk-evalrun-named-fedcba9876543210"
KEYS = {"OPENAI_API_KEY": ENV_KEY, "EVALRUN_NAMED_KEY": NAMED_KEY}


def written_texts(*folders: Path) -> list[str]:
    """Every file under `folders`, as text; `.eval` logs unzipped entry by entry."""
    texts = []
    for folder in folders:
        for path in folder.rglob("*"):
            if not path.is_file():
                continue
            texts.append(path.read_bytes().decode("latin-1"))
            if path.suffix == ".eval":
                with zipfile.ZipFile(path) as archive:
                    texts.extend(archive.read(n).decode("utf-8") for n in archive.namelist())
    return texts


def model_options(model: str, named: bool, server: FakeOpenAI, tmp_path: Path) -> list[str]:
    if not named:
        return ["-m", model, "--model-base-url", server.base_url]
    models = tmp_path / "models.yaml"
    models.write_text(
        f"models:\n  m:\n    model: {model}\n    base_url: {server.base_url}\n"
        "    api_key_env: EVALRUN_NAMED_KEY\n"
    )
    return ["-m", "m", "--models", str(models)]


@pytest.mark.parametrize("named", [False, True], ids=["provider-variable", "api_key_env"])
@pytest.mark.parametrize("model", ["openai/gpt-4o-mini", "openai-compatible/fake"])
def test_keys_echoed_back_are_masked_everywhere(model: str, named: bool, tmp_path: Path) -> None:
    rows = [{"id": i, "input": f"say {i}", "target": f"say {i}"} for i in range(5)]
    write_jsonl(tmp_path / "d.jsonl", [*rows, {"id": "r", "input": "refuse this"}])
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nscorer: [includes]\n")
    logs, cache = tmp_path / "logs", tmp_path / "cache"
    with FakeOpenAI(echo_auth=True) as server:
        options = model_options(model, named, server, tmp_path)
        ran = run_forked(
            "eval", str(task), *options, "--log-dir", str(logs), "--cache", "--cache-dir",
            str(cache), "--max-retries", "2", "-M", "retry_backoff=0.01", "--no-fail-on-error",
            env=KEYS,
        )  # fmt: skip
        sent = dict(server.stats.auth)
    assert ran.code == 0, ran.output
    (path,) = logs_in(logs)
    shown = run_forked("log", "show", str(path))
    dumped = run_forked("log", "dump", str(path))
    listed = run_forked("log", "list", str(logs))
    # the server really saw (and echoed) the key this case is about
    key = NAMED_KEY if named else ENV_KEY if model.startswith("openai/") else "not-needed"
    assert set(sent) == {f"Bearer {key}"}, sent
    for text in [
        *(r.output for r in (ran, shown, dumped, listed)),
        *written_texts(logs, cache),
    ]:
        assert ENV_KEY not in text and NAMED_KEY not in text
    # what came back is masked, not dropped: in completions, retries and errors alike
    log = only_log(logs)
    masked = "Bearer ***" if key != "not-needed" else "Bearer not-needed"
    samples = {s["id"]: s for s in log["samples"]}
    assert all(masked in samples[i]["output"]["completion"] for i in range(5))
    assert all(masked in samples[i]["retries"][0]["error"] for i in range(5))
    assert masked in samples["r"]["error"]["message"]
    assert len(list(cache.rglob("*.json"))) == 5


def test_a_failed_metric_does_not_print_or_log_a_key(tmp_path: Path) -> None:
    """Errors outside any sample (here: fail_on_error tripped by a score value no metric
    can use, its message quoted in the run's error) are scrubbed."""
    write_jsonl(tmp_path / "d.jsonl", [{"id": 1, "input": "hi"}])
    (tmp_path / "leaky.py").write_text(
        "import os\n\ndef score(state, target):\n    return os.environ['EVALRUN_NAMED_KEY']\n"
    )
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\nscorer:\n  - python: 'leaky:score'\n")
    with FakeOpenAI() as server:
        options = model_options("openai-compatible/fake", True, server, tmp_path)
        ran = run_forked("eval", str(task), *options, "--log-dir", str(tmp_path / "logs"), env=KEYS)
    assert ran.code == 1
    assert "fail_on_error" in ran.err and "ValueError: score value '***'" in ran.err
    log = only_log(tmp_path / "logs")
    assert log["status"] == "error" and "'***'" in log["error"]["message"]
    for text in [ran.output, *written_texts(tmp_path / "logs")]:
        assert NAMED_KEY not in text


@pytest.mark.parametrize(
    ("named", "variable"), [(False, "OPENAI_API_KEY"), (True, "EVALRUN_NAMED_KEY")]
)
def test_a_missing_key_stops_the_run_before_any_call(
    named: bool, variable: str, tmp_path: Path
) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(20)])
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\n")
    with FakeOpenAI() as server:
        options = model_options("openai/gpt-4o-mini", named, server, tmp_path)
        ran = run_forked(
            "eval", str(task), *options, "--log-dir", str(tmp_path / "logs"),
            env={"OPENAI_API_KEY": "", "EVALRUN_NAMED_KEY": ""},
        )  # fmt: skip
        calls = server.stats.calls
    assert ran.code == 1, ran.output
    assert calls == 0  # not retried as a transient error: nothing was sent at all
    assert ran.err.count("\n") == 1 and "Traceback" not in ran.output
    assert "no API key" in ran.err and variable in ran.err
    assert not (tmp_path / "logs").exists() or not logs_in(tmp_path / "logs")


def test_a_rejected_key_names_the_variable_to_check(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "d.jsonl", [{"id": i, "input": f"q{i}"} for i in range(20)])
    task = tmp_path / "t.yaml"
    task.write_text("dataset: {path: d.jsonl}\n")
    with FakeOpenAI(api_key="the-right-key") as server:
        ran = run_forked(
            "eval", str(task), "-m", "openai/gpt-4o-mini", "--model-base-url", server.base_url,
            "--log-dir", str(tmp_path / "logs"), env={"OPENAI_API_KEY": ENV_KEY},
        )  # fmt: skip
        calls = server.stats.calls
    assert ran.code == 1 and calls <= 10
    (line,) = [x for x in ran.err.splitlines() if "authentication failed" in x]
    assert "(401): Incorrect API key provided: ***.; check OPENAI_API_KEY" in line
    assert ENV_KEY not in ran.output


def test_cheap_model_errors_do_not_import_litellm(tmp_path: Path) -> None:
    """A missing base URL is found before litellm (seconds to import) loads; a missing
    key is a `SetupError` for Python callers too."""
    write_jsonl(tmp_path / "d.jsonl", [{"input": "hi"}])
    (tmp_path / "t.yaml").write_text("dataset: {path: d.jsonl}\n")
    script = (
        "import sys, evalrun\n"
        "from evalrun.errors import InputError, SetupError\n"
        "try:\n"
        f"    evalrun.eval([{str(tmp_path / 't.yaml')!r}], model=[MODEL], log_dir={str(tmp_path)!r})\n"
        "except (InputError, SetupError) as exc:\n"
        "    print(type(exc).__name__, exc, 'litellm' in sys.modules)\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    # in a fresh Python, which has imported nothing
    out = subprocess.run(
        [sys.executable, "-c", script.replace("MODEL", "'openai-compatible/x'")],
        capture_output=True, text=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    (first,) = out.stdout.splitlines()
    assert first.startswith("InputError model `openai-compatible/x` needs a base URL")
    assert first.endswith(" False")  # litellm was never imported for it
    # forked from a warm Python (which has imported litellm already)
    missing_key = run_forked_python(script.replace("MODEL", "'openai/gpt-4o'"), REPO, env)
    assert missing_key.code == 0, missing_key.err
    (second,) = missing_key.out.splitlines()
    assert second.startswith("SetupError model `openai/gpt-4o`: no API key: set OPENAI_API_KEY")
