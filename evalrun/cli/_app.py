"""The typer application and the error boundary every command shares."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

app = typer.Typer(
    name="evalrun",
    help="Evaluate language models from declarative YAML task files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _show_version(value: bool) -> None:
    if value:
        from evalrun import __version__

        print(f"evalrun {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", help="Show the version and exit.", is_eager=True, callback=_show_version
    ),
) -> None:
    """Evaluate language models from declarative YAML task files."""


F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


def guarded(command: F) -> F:
    """Report the user's mistakes as one line with exit status 2 (a missing key: 1),
    never a traceback.

    Errors raised inside task groups arrive wrapped in exception groups; the error
    they stand for is reported like any other.
    """

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from evalrun.errors import InputError, SetupError, unwrap

        try:
            return command(*args, **kwargs)
        except BaseException as raised:
            error = unwrap(raised)
            if isinstance(error, KeyboardInterrupt):
                print("interrupted", file=sys.stderr)
                raise typer.Exit(EXIT_FAILED) from None
            if isinstance(error, InputError | SetupError):
                print(str(error), file=sys.stderr)
                raise typer.Exit(
                    EXIT_INPUT if isinstance(error, InputError) else EXIT_FAILED
                ) from None
            raise

    return wrapper  # type: ignore[return-value]


def stdout_console(width: int = 160) -> Any:
    """A rich console for standard output: the terminal's width, or `width` when piped
    (so tables in CI logs and files are not squeezed to 80 columns)."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else width)
