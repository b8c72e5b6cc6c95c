"""The typer application with every command registered: importing this module is
what registers them (each command module adds its commands to `_app.app`)."""

import evalrun.cli._diff
import evalrun.cli._score  # noqa: F401
from evalrun.cli import _eval, _evalset, _jobs, _log, _preview, _results, _survey  # noqa: F401
from evalrun.cli._app import app

__all__ = ["app"]
