"""`evalrun survey flow`: looking at a survey file without running it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from evalrun.cli._app import app, guarded

survey_app = typer.Typer(help="Look at survey files without running them.", no_args_is_help=True)
app.add_typer(survey_app, name="survey")


@survey_app.command("flow", short_help="Print a survey's question graph (Mermaid or DOT).")
@guarded
def survey_flow(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A survey file (kind: survey).")],
    fmt: Annotated[
        str,
        typer.Option("--format", metavar="mermaid|dot", help="Mermaid flowchart or Graphviz DOT."),
    ] = "mermaid",
) -> None:
    """The question graph of a survey: order, skips, jumps, stops, piping and memory, as
    Mermaid text (renders in GitHub, notebooks and issues) or Graphviz DOT (`dot -Tsvg`).
    The file is loaded and checked as `eval` would, but nothing runs."""
    from evalrun.errors import InputError
    from evalrun.survey import load_survey
    from evalrun.survey._flow import FORMATS, Format, flow

    if fmt not in FORMATS:
        raise InputError(f"--format: `{fmt}` is not one of {', '.join(FORMATS)}")
    survey = load_survey(file)
    typer.echo(flow(survey, cast(Format, fmt)), nl=False)
