"""Start-up: `evalrun --help` imports nothing heavy (timed in tests/bench/startup.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_evalrun

COMMANDS = [
    "score",
    "eval",
    "eval-retry",
    "diff",
    "view",
    "eval-set",
    "prompts",
    "estimate",
    "jobs",
    "log",
    "cache",
    "results",
    "survey",
]


def test_help_lists_commands() -> None:
    result = run_evalrun("--help")
    assert result.code == 0
    listed = result.out.split("Commands:\n", 1)[1].splitlines()
    assert sorted(line.split()[0] for line in listed if line.strip()) == sorted(COMMANDS)


def test_commands_are_registered_when_the_cli_is_imported() -> None:
    script = (
        "from evalrun.cli import app\n"
        "print(sorted([c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(sorted(COMMANDS))


INTERRUPT_WHILE_LOADING = """
import os, signal, sys

class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, exactly while this module loads
        return None

sys.meta_path.insert(0, Interrupt())
sys.argv = ["evalrun", "eval", {task!r}, "--log-dir", {logs!r}]
from evalrun.cli import main
main()
"""


@pytest.mark.parametrize(
    "module", ["typer", "evalrun.cli._eval", "evalrun.api", "yaml", "anyio", "uvloop"]
)
def test_ctrl_c_while_loading_is_one_line(module: str, tmp_path) -> None:
    from conftest import TASKS

    script = INTERRUPT_WHILE_LOADING.format(
        module=module, task=str(TASKS / "arithmetic.yaml"), logs=str(tmp_path)
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    assert out.stderr == "interrupted\n"


IMPORTS_AFTER = """
import sys
from evalrun.cli import main
sys.argv = {argv!r}
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
print('HEAVY', [m for m in {modules!r} if m in sys.modules])
"""


#: what only `evalrun view` imports (the optional `view` extra)
VIEWER = ("starlette", "uvicorn", "evalrun.view._app")


def test_help_and_mock_runs_do_not_import_litellm(tmp_path) -> None:
    from conftest import TASKS

    help_only = ["evalrun", "--help"]
    mock_run = ["evalrun", "eval", str(TASKS / "dates.yaml"), "--log-dir", str(tmp_path), "--display", "none"]  # fmt: skip
    for argv, modules in (
        (
            help_only,
            ("litellm", "openai", "tiktoken", "pydantic", "jinja2", "anyio", *VIEWER, "ray"),
        ),
        # a task run builds no survey components (~0.2 s of pydantic models)
        (mock_run, ("litellm", "openai", "tiktoken", "evalrun.survey._interview", *VIEWER, "ray")),
    ):
        script = IMPORTS_AFTER.format(argv=argv, modules=modules)
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        assert "HEAVY []" in out, (argv, out)


def test_importing_evalrun_does_not_import_the_viewer() -> None:
    script = f"import sys, evalrun, evalrun.view; print('HEAVY', [m for m in {VIEWER!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout, out.stdout


def test_version() -> None:
    result = run_evalrun("--version")
    assert result.code == 0 and result.out.startswith("evalrun ")


def test_dry_run_calls_no_model(tmp_path) -> None:
    from conftest import TASKS

    result = run_evalrun(
        "eval", str(TASKS / "capitals.yaml"), "--dry-run", "-M", "error_rate=1", cwd=tmp_path
    )
    assert result.code == 0, result.output
    assert "plan: capitals x mockllm/model: 20 sample-epochs" in result.out
    assert not (tmp_path / "logs").exists()


# --- help that reads like a tool's -------------------------------------------------


def _help(*args: str, columns: int = 80) -> str:
    from typer.testing import CliRunner

    from evalrun.cli import app

    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


def _commands() -> list[tuple[str, ...]]:
    """Every command and group, as the words that reach it: (), ("eval",), ("log", "list")..."""
    import typer

    from evalrun.cli import app

    found: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        found.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def test_every_command_is_walked() -> None:
    names = {path for path in _commands() if path}
    assert {(c,) for c in COMMANDS} <= names
    assert {("log", "list"), ("log", "show"), ("log", "dump"), ("cache", "clear")} <= names


def test_dash_h_is_help_everywhere() -> None:
    for args in ([], ["eval"], ["log", "list"], ["cache", "size"]):
        short = run_evalrun(*args, "-h")
        assert short.code == 0, short.output
        assert short.out == run_evalrun(*args, "--help").out
        assert short.out.startswith("Usage: evalrun") and "-h, --help" in short.out


@pytest.mark.parametrize("columns", [80, 120])
def test_help_shows_no_python_types(columns: int) -> None:
    import re

    for path in _commands():
        text = _help(*path, columns=columns)
        for python in ("<list", "[default: None]", "<str>", "<int>", "<float>", "<path>", "<bool>"):  # fmt: skip
            assert python not in text, (path, python, text)
        assert not re.search(r"\{\w+\}", text), (path, text)  # typer's `{tasks}...`
        assert not re.search(r"\b(TEXT|INTEGER|FLOAT)\b", text), (path, text)


def test_metavars_name_what_is_given() -> None:
    text = _help("eval", columns=200)
    assert "Usage: evalrun eval [OPTIONS] TASK..." in text
    for shown in ("-m, --model MODEL", "-M KEY=VALUE", "-T NAME=VALUE", "--model-args FILE",
                  "--limit N|A-B", "--max-connections N", "--timeout SECONDS", "--log-dir DIR",
                  "--config FILE", "--display full|plain|none", "--cache-expiry DURATION"):  # fmt: skip
        assert shown in text, shown
    assert "Usage: evalrun eval-retry [OPTIONS] LOG..." in _help("eval-retry")
    assert "Usage: evalrun log list [OPTIONS] [DIR]" in _help("log", "list")
    assert "--cache-dir DIR" in _help("cache", "list")


def test_defaults_that_matter_are_shown() -> None:
    text = " ".join(_help("eval", columns=200).split())
    for default in ("[default: 5; mockllm 0]", "[default: EVALRUN_LOG_DIR, else ./logs]",
                    "[default: full on a terminal, else plain]", "[default: the task's, else 1]",
                    "mockllm 100]", "[default: no limit]", "[default: off]"):  # fmt: skip
        assert default in text, default
    assert "[default: 3]" in _help("prompts")


def test_model_option_reads_the_same_in_every_command() -> None:
    import typer

    from evalrun.cli import app

    root = typer.main.get_command(app)
    helps = {}
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if "-m" in getattr(param, "opts", []):
                helps[name] = (tuple(param.opts), param.metavar, param.help)
    assert set(helps) >= {"eval", "prompts", "estimate"}
    assert len(set(helps.values())) == 1, helps


def test_root_help_summaries_are_not_cut() -> None:
    import typer

    from evalrun.cli import app

    text = _help(columns=80)
    listed = text.split("Commands:\n", 1)[1]
    assert "…" not in listed and "..." not in listed, listed
    for name, command in typer.main.get_command(app).commands.items():  # type: ignore[attr-defined]
        summary = command.get_short_help_str(limit=1000)
        assert summary and f"  {name}" in listed
        assert " ".join(summary.split()) in " ".join(listed.split()), (name, summary)
    assert all(len(line) <= 80 for line in text.splitlines())


# --- options become a RunConfig in one place ---------------------------------------


def test_run_config_from_options_reads_every_source(tmp_path) -> None:
    from pathlib import Path

    from evalrun.config import RunConfig

    args = tmp_path / "args.yaml"
    args.write_text("latency: 1\nseed: 4\n")
    config_file = {"model": ["mockllm/model"], "temperature": 0.2, "max_samples": 3,
                   "model_args": {"error_rate": 0.5, "seed": 1}, "metadata": {"a": 1}}  # fmt: skip
    command_line = {
        "model": None, "max-samples": None, "model_args": ["seed=7", "responses=r.jsonl"],
        "metadata": ["b=true"], "tags": "x, y,", "epochs_reducer": "mean,max", "sample_id": "1,b",
        "limit": "2-5", "cache_expiry": "12h", "fail_on_error": "0.1", "no_fail_on_error": None,
        "stop_seqs": "###, END", "max_tokens": 9, "dry_run": None,
    }  # fmt: skip
    run = RunConfig.from_options(config_file, {"model_args": Path(args)}, command_line)
    assert run.model == ["mockllm/model"] and run.max_samples == 3  # None is "not given"
    assert run.model_args == {"error_rate": 0.5, "seed": 7, "latency": 1, "responses": "r.jsonl"}
    assert run.metadata == {"a": 1, "b": True}
    assert run.tags == ["x", "y"] and run.epochs_reducer == ["mean", "max"]
    assert run.sample_id == ["1", "b"] and run.limit == (2, 5)
    assert run.cache_expiry == 12 * 3600 and run.fail_on_error == 0.1 and not run.dry_run
    assert run.generate.settings() == {"temperature": 0.2, "max_tokens": 9, "stop_seqs": ["###", "END"]}  # fmt: skip
    assert RunConfig.from_options({"fail_on_error": 0.1}, {"no_fail_on_error": True}).fail_on_error is False  # fmt: skip
    assert RunConfig.from_options({"fail_on_error": 0.1}, {"no_fail_on_error": False}).fail_on_error == 0.1  # fmt: skip


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"limit": "5-2"}, "--limit: limit must be N >= 1 or A-B with 1 <= A <= B, not `5-2`"),
        ({"model_args": ["novalue"]}, "-M expects key=value, got `novalue`"),
        ({"task_args": ["=1"]}, "-T expects key=value, got `=1`"),
        ({"temperature": -1}, "--temperature: input should be greater than or equal to 0"),
        ({"cache_expiry": "soon"}, "--cache-expiry: expected a duration such as 90, 30m, 12h or 7d, not `soon`"),
        ({"fail_on_error": "maybe"}, "--fail-on-error: fail_on_error must be true, false or a number, not `maybe`"),
        ({"max_sample": 3}, "options: unknown key `max_sample`; did you mean `max_samples`?"),
    ],
)  # fmt: skip
def test_run_config_errors_name_the_option(options: dict, message: str) -> None:
    from evalrun.config import RunConfig
    from evalrun.errors import InputError

    with pytest.raises(InputError) as raised:
        RunConfig.from_options(options)
    assert str(raised.value) == message
