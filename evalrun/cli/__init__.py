"""The `evalrun` command line (typer). Commands parse options into one `RunConfig`,
call the API, and map errors to exit statuses: 0 ok, 1 a task failed, 2 bad input.

`evalrun.cli.app` is the typer application with every command registered. `main()`
imports it inside its own error boundary, so Ctrl-C at any moment, even while the
commands are still loading, ends with one line and never a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evalrun.cli._commands import app


def main() -> None:
    try:
        from evalrun.cli._commands import app
        from evalrun.secrets import scrub_output

        scrub_output()
        app(prog_name="evalrun")  # `python -m evalrun` too: usage lines say `evalrun`
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(1)


def __getattr__(name: str) -> Any:
    if name == "app":
        from evalrun.cli._commands import app

        return app
    raise AttributeError(f"module 'evalrun.cli' has no attribute {name!r}")


__all__ = ["app", "main"]
