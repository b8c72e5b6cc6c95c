"""The `evalrun` command line (typer). Commands parse options into one `RunConfig`,
call the API, and map errors to exit statuses: 0 ok, 1 a task failed, 2 bad input."""

from evalrun.cli._app import app, main

__all__ = ["app", "main"]
