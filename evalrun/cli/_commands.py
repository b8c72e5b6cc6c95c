"""The typer application with every command registered: importing this module is
what registers them (each command module adds its commands to `_app.app`), in the
order of `evalrun.cli._MODULES`."""

import importlib

from evalrun.cli import _MODULES
from evalrun.cli._app import app

for _module in dict.fromkeys(_MODULES.values()):
    importlib.import_module(f"evalrun.cli.{_module}")

__all__ = ["app"]
