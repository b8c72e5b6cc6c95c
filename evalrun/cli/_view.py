"""`evalrun view [LOG_DIR | LOG]`: the log viewer, served on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalrun.cli._app import app, guarded


@app.command("view", short_help="Browse logs in a local, read-only web viewer.")
@guarded
def view_command(
    target: Annotated[
        Path | None,
        typer.Argument(
            metavar="LOG_DIR | LOG",
            help="A log folder, or one log [default: EVALRUN_LOG_DIR, else ./logs]",
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port (0: any free one).")] = 0,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the viewer in the web browser.")
    ] = False,
) -> None:
    """Serve a read-only viewer of a log folder's runs (or of one log) on this machine:
    a JSON API over the logs, on 127.0.0.1 unless --host says otherwise. Prints its URL;
    opens the browser only with --open. Needs the `view` extra (starlette, uvicorn)."""
    import os
    import socket

    from evalrun.errors import InputError, SetupError

    try:
        import uvicorn

        from evalrun.view._app import create_app
    except ImportError as exc:
        raise SetupError(f"evalrun view needs {exc.name}: pip install 'evalrun[view]'") from None
    target = target or Path(os.environ.get("EVALRUN_LOG_DIR") or "logs")
    if target.is_dir():
        application = create_app(target, warm=2)
    elif target.is_file():
        from evalrun.log import open_log

        open_log(target).close()  # an InputError unless it is a log
        application = create_app(target.parent, target, warm=1)
    else:
        raise InputError(f"{target}: no such log folder or log")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"--host/--port: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    url = f"http://{shown}:{bound}/"
    print(f"evalrun view: {url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    config = uvicorn.Config(application, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
