"""Shared helpers: run the real CLI in a new process (fresh, or forked from a warm one),
write task files, read logs."""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import io
import json
import locale
import os
import re
import runpy
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parent.parent
TASKS = REPO / "tasks"
#: the environment the test session started with (not a test's, whichever is first to run)
_SESSION_ENV = dict(os.environ)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err


def run_evalrun(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """Run `python -m evalrun ARGS` and capture everything it prints."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    full_env.update({"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    proc = subprocess.run(
        [sys.executable, "-m", "evalrun", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


# --- runs forked from a warm Python ----------------------------------------------------
#
# A fresh `python -m evalrun` spends about half a second importing the CLI, and seconds more
# importing litellm for a real model: most of the suite's time. `run_forked` runs it in a
# process forked from one that has imported both already (one such server per pytest
# worker): its own process all the same (exit status, standard streams, environment,
# working folder, modules, threads and exit as `python -m evalrun` has them), at a tenth
# of the cost. What only a fresh interpreter shows (imports at start-up, Ctrl-C while
# loading, signals sent by a test) is for `run_evalrun`.


class _Current(io.TextIOBase):
    """Writes to whatever `sys.stderr` is at the time: the stream litellm's log handlers
    get in the server, so that in a forked run they write where a fresh process's would
    (the run's standard error, through the scrubbing the CLI installs)."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


#: modules a run imports on its first model call
_WARM = (
    "uvloop",
    "anyio._backends._asyncio",
    "evalrun.model._litellm",
    "litellm._service_logger",
    "litellm.integrations.generic_api.generic_api_callback",
    "litellm.llms.github_copilot.authenticator",
    "litellm.llms.litellm_proxy.chat.transformation",
    "litellm.llms.openai.chat.gpt_audio_transformation",
    "litellm.llms.openai_like.dynamic_config",
    "litellm.proxy._types",
)


def _serve() -> None:
    """The fork server: warm up, then fork one `python -m evalrun` (or `python -c CODE`)
    per request line (JSON: args or code, env, cwd, out, err), answering with its pid and
    then its exit status."""
    requests, replies = os.fdopen(os.dup(0)), os.fdopen(os.dup(1), "w")
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    sys.path.remove(str(Path(__file__).parent))  # a fresh run would not see tests/
    # what runs import: the CLI (first thing `main` does), then what its commands import
    import evalrun.api
    import evalrun.cli._commands
    import evalrun.display
    import evalrun.scorer
    import evalrun.solver  # noqa: F401

    # litellm as evalrun's `load_litellm` imports it (which each run still calls itself)
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    with contextlib.redirect_stderr(_Current()):
        import litellm
        import openai.resources.chat.completions  # noqa: F401

        for lazy in ("acompletion", "token_counter", "model_cost", "provider_list"):
            getattr(litellm, lazy)
        for module in _WARM:  # what a first call imports (a litellm of another version may
            with contextlib.suppress(ImportError):  # have others: then runs import them)
                importlib.import_module(module)
    sys.stdout.flush()  # nothing of the server's for a run to print
    sys.stderr.flush()
    gc.collect()
    gc.freeze()  # the warm objects stay shared with every fork: the collector skips them
    for line in requests:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _forked_run(request, (requests, replies))
        replies.write(f"{pid}\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(f"{os.waitstatus_to_exitcode(status)}\n")
        replies.flush()


def _forked_run(request: dict[str, Any], server_files: tuple[Any, ...]) -> None:
    """In the forked process: `python -m evalrun ARGS` (or `python -c CODE`), then exit as
    the interpreter does (non-daemon threads joined, atexit functions run, streams
    flushed)."""
    code = 1
    try:
        for file in server_files:
            os.close(file.fileno())
        for fd, path in ((1, request["out"]), (2, request["err"])):
            opened = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        os.chdir(request["cwd"])
        importlib.invalidate_caches()  # `sys.path`'s "" is another folder now
        os.environ.clear()
        os.environ.update(request["env"])
        try:
            if "code" in request:
                sys.argv = ["-c"]
                main = sys.modules["__main__"] = types.ModuleType("__main__")
                exec(compile(request["code"], "<string>", "exec"), main.__dict__)
            else:
                sys.argv = ["evalrun", *request["args"]]
                runpy.run_module("evalrun", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exit:
            if exit.code is None or isinstance(exit.code, int):
                code = exit.code or 0
            else:
                print(exit.code, file=sys.stderr)
        except BaseException:
            sys.excepthook(*sys.exc_info())
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code & 0xFF)


class _ForkServer:
    """The client: one request at a time (a run's timeout kills it, as `subprocess.run`'s
    does)."""

    def __init__(self) -> None:
        tests = str(Path(__file__).parent)
        code = f"import sys; sys.path.insert(0, {tests!r}); import conftest; conftest._serve()"
        self._proc = subprocess.Popen(
            [sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=_SESSION_ENV,
        )
        self._lock = threading.Lock()
        atexit.register(self.close)

    def run(self, what: dict[str, Any], cwd: str, env: dict[str, str], timeout: float) -> Result:
        """Run `what` (`{"args": [...]}` or `{"code": "..."}`) in a new fork."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        with self._lock, tempfile.TemporaryDirectory(prefix="evalrun-fork-") as folder:
            out, err = Path(folder, "out"), Path(folder, "err")
            request = {**what, "env": env, "cwd": cwd, "out": str(out), "err": str(err)}
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
            pid = int(self._proc.stdout.readline() or 0)
            if not pid:
                raise RuntimeError(f"the fork server ended (status {self._proc.poll()})")
            expired = threading.Event()

            def kill() -> None:
                expired.set()
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

            timer = threading.Timer(timeout, kill)
            timer.start()
            try:
                code = int(self._proc.stdout.readline())
            finally:
                timer.cancel()
            encoding = locale.getpreferredencoding(False)  # as `subprocess.run(text=True)`
            texts = [p.read_text(encoding=encoding) if p.exists() else "" for p in (out, err)]
            if expired.is_set():
                command = ["-c", what["code"]] if "code" in what else ["evalrun", *what["args"]]
                raise subprocess.TimeoutExpired(command, timeout, *texts)
            return Result(code, *texts)

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=30)


_server: _ForkServer | None = None


def _fork_server() -> _ForkServer:
    global _server
    if _server is None:
        _server = _ForkServer()
    return _server


def run_forked(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """`run_evalrun` in a process forked from a warm one (see above): what it prints, and
    its exit status. With EVALRUN_TEST_FRESH=1 (or no `os.fork`), in a fresh one."""
    if os.environ.get("EVALRUN_TEST_FRESH") == "1" or not hasattr(os, "fork"):
        return run_evalrun(*args, cwd=cwd, env=env, timeout=timeout)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")}
    full_env.update({"COLUMNS": "200", "NO_COLOR": "1", **(env or {})})
    return _fork_server().run({"args": args}, str(cwd or os.getcwd()), full_env, timeout)


def run_forked_python(
    code: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120
) -> Result:
    """`python -c CODE` with exactly `env` (default: this one's), forked as `run_forked`."""
    full_env = dict(os.environ if env is None else env)
    if os.environ.get("EVALRUN_TEST_FRESH") == "1" or not hasattr(os, "fork"):
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=full_env,
            cwd=cwd, timeout=timeout,
        )  # fmt: skip
        return Result(proc.returncode, proc.stdout, proc.stderr)
    return _fork_server().run({"code": code}, str(cwd or os.getcwd()), full_env, timeout)


@pytest.fixture
def evalrun(tmp_path: Path):
    """`evalrun("eval", "task.yaml", ...)` run in tmp_path, logs in tmp_path/logs (forked
    from a warm Python: `run_forked`)."""

    def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Result:
        return run_forked(
            *args,
            cwd=cwd or tmp_path,
            env={"EVALRUN_LOG_DIR": str(tmp_path / "logs"), **(env or {})},
        )

    return run


@pytest.fixture
def write(tmp_path: Path):
    """Write a dedented text file under tmp_path and return its path."""

    def write_file(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write_file


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def one_error_line(result: Result) -> str:
    """Bad input's contract: exit 2, no traceback, exactly one line on standard error
    (returned, for the caller's check of what it says and where)."""
    assert result.code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    return lines[0]


def logs_in(folder: Path) -> list[Path]:
    """The logs in `folder` (not its hidden files: an eval-set's manifest, the job index)."""
    found = [*folder.glob("*.eval"), *folder.glob("*.json")]
    return sorted(p for p in found if not p.name.startswith("."))


def clear_logs(folder: Path) -> None:
    """Remove the logs in `folder`, so that the next run's log is its only one."""
    for path in logs_in(folder):
        path.unlink()


def raw_log(path: Path) -> dict[str, Any]:
    """A log (either format) as the plain dicts it holds, checked against the schema."""
    from evalrun.log import open_log, read_log

    assert read_log(path).damage is None  # validates, and finds nothing unreadable
    reader = open_log(path)
    try:
        header = dict(reader.header())
        return {
            "version": header.pop("version"),
            "header": header,
            "dataset": list(reader.iter_dataset()),
            "samples": [json.loads(raw) for raw, _ in reader.iter_samples()],
            **(reader.summary() or {"status": "started"}),
        }
    finally:
        reader.close()


def only_log(folder: Path) -> dict[str, Any]:
    """The single log in `folder`, as plain dicts."""
    paths = logs_in(folder)
    assert len(paths) == 1, f"expected one log in {folder}, found {paths}"
    return raw_log(paths[0])


def metric(
    log: dict[str, Any], name: str, scorer: str | None = None, reducer: str | None = None
) -> float:
    for entry in log["results"]["scores"]:
        if (scorer is None or entry["scorer"] == scorer) and (
            reducer is None or entry["reducer"] == reducer
        ):
            return entry["metrics"][name]
    raise KeyError(f"no metric {name} for {scorer}/{reducer} in {log['results']['scores']}")


class Viewer:
    """`python -m evalrun view DIR --port 0` in a subprocess (no EVALRUN_ variables),
    once `/api/runs` answers: its URL is on its first line. `stop()` is Ctrl-C."""

    def __init__(self, log_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "evalrun", "view", str(log_dir), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={k: v for k, v in os.environ.items() if not k.startswith("EVALRUN_")},
        )  # fmt: skip
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not match:
            self.stop()
            raise AssertionError(f"evalrun view printed no URL: {line!r}")
        self.url = match.group(0)
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(self.url + "api/runs", timeout=10)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.05)

    def api(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(self.url + path, params=params, timeout=10)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
