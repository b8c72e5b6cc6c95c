"""Start-up: `evalrun --help` imports nothing heavy (timed in tests/bench/startup.py)."""

from __future__ import annotations

import subprocess
import sys

from conftest import run_evalrun


def test_help_lists_commands() -> None:
    result = run_evalrun("--help")
    assert result.code == 0
    assert "eval" in result.out


def test_help_and_mock_runs_do_not_import_litellm(tmp_path) -> None:
    script = (
        "import sys\n"
        "from evalrun.cli import main\n"
        "sys.argv = ['evalrun', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('litellm', 'openai', 'tiktoken', 'pydantic', 'jinja2', 'anyio') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out


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
