"""Start-up: `evalrun --help` imports nothing heavy (timed in tests/bench/startup.py)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_evalrun

COMMANDS = ["eval", "eval-retry", "prompts", "estimate", "log", "cache"]


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


def test_help_and_mock_runs_do_not_import_litellm(tmp_path) -> None:
    from conftest import TASKS

    help_only = ["evalrun", "--help"]
    mock_run = ["evalrun", "eval", str(TASKS / "dates.yaml"), "--log-dir", str(tmp_path), "--display", "none"]  # fmt: skip
    for argv, modules in (
        (help_only, ("litellm", "openai", "tiktoken", "pydantic", "jinja2", "anyio")),
        (mock_run, ("litellm", "openai", "tiktoken")),
    ):
        script = IMPORTS_AFTER.format(argv=argv, modules=modules)
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        assert "HEAVY []" in out, (argv, out)


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
