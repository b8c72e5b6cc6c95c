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


#: the module that registers each command: a command's run imports only its own, so
#: typer builds only its options (building all of them cost ~0.1 s of every start);
#: `evalrun.cli._commands` imports them all, in this order
_MODULES = {  # (in the order `evalrun --help` lists them)
    "eval": "_eval",
    "eval-retry": "_eval",
    "eval-set": "_evalset",
    "prompts": "_preview",
    "estimate": "_preview",
    "cache": "_preview",
    "score": "_score",
    "results": "_results",
    "diff": "_diff",
    "view": "_view",
    "jobs": "_jobs",
    "log": "_log",
    "survey": "_survey",
}


def _app_for(argv: list[str]) -> Any:
    """The typer app with `argv`'s command registered (with every command when `argv`
    names none, or asks for the root's help or version)."""
    import importlib

    first = argv[0] if argv else None
    module = _MODULES.get(first or "")
    if module is None:
        from evalrun.cli._commands import app

        return app
    importlib.import_module(f"evalrun.cli.{module}")
    from evalrun.cli._app import app

    return app


def main() -> None:
    try:
        app = _app_for(sys.argv[1:])
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
