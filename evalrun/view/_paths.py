"""Log names resolved safely inside the viewer's log dir: no name can reach a file
outside it (`..`, absolute paths, symlinks out), and only log files can be named."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from evalrun.errors import InputError

#: what a log file's name ends with
LOG_SUFFIXES = (".eval", ".json")


class LogNameError(InputError):
    """A log name that is not allowed (`status` 400) or names no log (`status` 404). Its
    message names the log as asked for, never a path outside the log dir."""

    def __init__(self, message: str, status: int) -> None:
        self.status = status
        super().__init__(message)


def resolve_log(root: Path, name: str) -> Path:
    """The log file `name` names under `root` (a file name directly in it, or a relative
    path below it), resolved with symlinks followed; a `LogNameError` (400) for a name
    that is absolute, holds `..`, a NUL, or resolves outside `root`, and (404) for one
    that is not an existing `.eval` / `.json` log file or is hidden."""
    if not name or "\x00" in name or "\\" in name:
        raise LogNameError("not a log name", 400)
    pure = PurePosixPath(name)
    if pure.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise LogNameError("a log name is relative to the log dir", 400)
    parts = pure.parts
    if any(part in ("..", ".") for part in name.split("/")) or not parts:
        raise LogNameError("a log name cannot hold `..` or `.`", 400)
    if any(part.startswith(".") for part in parts):
        raise LogNameError(f"no log `{name}`", 404)  # hidden files are not logs
    if pure.suffix not in LOG_SUFFIXES:
        raise LogNameError(f"no log `{name}` (a log is a .eval or .json file)", 404)
    base = root.resolve()
    try:
        path = (base / pure).resolve(strict=True)
    except (OSError, RuntimeError):
        raise LogNameError(f"no log `{name}`", 404) from None
    if not path.is_relative_to(base):
        raise LogNameError(f"no log `{name}` in the log dir", 400)
    if not path.is_file() or path.suffix not in LOG_SUFFIXES or path.name.startswith("."):
        raise LogNameError(f"no log `{name}`", 404)
    return path
