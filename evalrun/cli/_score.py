"""`evalrun score LOG`: rescore a finished log's outputs with the task's scorers or new
ones, without calling the model under test; a new log records what it rescored."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from evalrun.cli import _options as o
from evalrun.cli._app import app, guarded


@app.command("score", short_help="Rescore a log's outputs (no model under test is called).")
@guarded
def score_command(
    log: Annotated[
        Path, typer.Argument(metavar="LOG", help="The log to rescore.", show_default=False)
    ],
    scorer: Annotated[
        list[str] | None,
        o.Opt(
            "--scorer",
            metavar="SPEC",
            help="A scorer as YAML: exact, or '{match: {location: any}}'; repeatable.  "
            "[default: the task's scorers]",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        o.Opt(
            "--config",
            metavar="FILE",
            help="YAML file with scorer:, and optionally metrics: and thresholds:.",
        ),
    ] = None,
    log_dir: o.RetryLogDir = None,
    display: o.Display = None,
    heartbeat: o.Heartbeat = None,
) -> None:
    """Rescore LOG's samples and write a new log (the old one is not changed).

    The scorers run on each sample's recorded messages, answer and store; the model
    under test is never called (a scorer that tries fails its sample), graders are.
    Samples that errored stay errored. Exit 0 when the rescored run passes the CI gate
    (success, complete, thresholds met), else 1; 2 for bad input.
    """
    from evalrun._score import score
    from evalrun.cli._eval import _finish, _reporter

    with _reporter(display, heartbeat) as reporter:
        result = score(
            log, scorers=scorer, config=config, log_dir=log_dir, reporter=reporter,
            handle_signals=True,
        )  # fmt: skip
    _finish([result])
