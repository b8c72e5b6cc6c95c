"""The typer application, its help conventions, and the error boundary every command
shares."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption


class _Argument(TyperArgument):
    """An argument shown as a tool shows it: `TASK...` (its metavar, or its name in
    capitals), `[FOLDER]` when optional; never its Python type."""

    def _shown(self) -> str:
        name = self.metavar or (self.name or "").upper()
        return name + "..." if self.nargs != 1 and not name.endswith("...") else name

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        return [self._shown() if self.required else f"[{self._shown()}]"]

    def get_help_record(self, ctx: Any) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        return None if record is None else (self._shown(), record[1])


def help_conventions(command: Any) -> None:
    """Apply the help conventions to a command and every command below it: arguments
    as `_Argument`; an option's value, when it names none, named after the option
    (`--status STATUS`, not `<str>`); a command's summary never cut (its first
    paragraph, wrapped, unless it has a `short_help`)."""
    for param in command.params:
        if isinstance(param, TyperArgument) and not isinstance(param, _Argument):
            param.__class__ = _Argument
        elif isinstance(param, TyperOption) and not param.is_flag and param.metavar is None:
            param.metavar = (param.name or "value").upper()
    if command.short_help is None and command.help:
        command.short_help = " ".join(command.help.split("\n\n")[0].split())
    for sub in getattr(command, "commands", {}).values():
        help_conventions(sub)


class _Root(TyperGroup):
    """The `evalrun` group: its commands, and their commands, follow the help
    conventions (`-h` reaches them through the context settings)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        help_conventions(self)


app = typer.Typer(
    name="evalrun",
    cls=_Root,
    help="Evaluate language models from declarative YAML task files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
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
