"""`evalrun eval`: run task files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from evalrun.cli._app import EXIT_FAILED, EXIT_OK, app, guarded
from evalrun.cli._options import collect_options, parse_pairs

Opt = typer.Option


@app.command("eval")
@guarded
def eval_command(
    tasks: Annotated[
        list[str], typer.Argument(help="Task files, folders or globs.", show_default=False)
    ],
    model: Annotated[
        list[str] | None, Opt("-m", "--model", help="provider/name; repeatable.")
    ] = None,
    model_arg: Annotated[
        list[str] | None, Opt("-M", help="Model argument key=value; repeatable.")
    ] = None,
    model_args: Annotated[
        Path | None, Opt("--model-args", help="YAML file of model arguments.")
    ] = None,
    model_base_url: Annotated[
        str | None, Opt("--model-base-url", help="Base URL of the model API.")
    ] = None,
    task_arg: Annotated[
        list[str] | None, Opt("-T", help="Task argument key=value; repeatable.")
    ] = None,
    task_args: Annotated[
        Path | None, Opt("--task-args", help="YAML file of task arguments.")
    ] = None,
    epochs: Annotated[int | None, Opt(help="Epochs (overrides the task's).")] = None,
    epochs_reducer: Annotated[str | None, Opt(help="Reducer(s), comma separated.")] = None,
    limit: Annotated[str | None, Opt(help="N or A-B (1-based, inclusive).")] = None,
    sample_id: Annotated[str | None, Opt(help="Sample id(s), comma separated.")] = None,
    max_samples: Annotated[int | None, Opt(help="Samples in flight per task.")] = None,
    max_tasks: Annotated[int | None, Opt(help="Task x model units in flight.")] = None,
    max_connections: Annotated[
        int | None, Opt(help="Concurrent requests per model endpoint.")
    ] = None,
    fail_on_error: Annotated[str | None, Opt(help="true, false, a share 0<x<1 or a count.")] = None,
    no_fail_on_error: Annotated[
        bool, Opt("--no-fail-on-error", help="Never fail on sample errors.")
    ] = False,
    retry_on_error: Annotated[
        int | None, Opt(help="Retry an errored sample up to N times.")
    ] = None,
    max_retries: Annotated[int | None, Opt(help="Retries per model request.")] = None,
    timeout: Annotated[float | None, Opt(help="Seconds per model request.")] = None,
    time_limit: Annotated[float | None, Opt(help="Seconds per sample.")] = None,
    token_limit: Annotated[int | None, Opt(help="Tokens per sample.")] = None,
    message_limit: Annotated[int | None, Opt(help="Messages per sample.")] = None,
    temperature: Annotated[float | None, Opt()] = None,
    max_tokens: Annotated[int | None, Opt()] = None,
    top_p: Annotated[float | None, Opt()] = None,
    top_k: Annotated[int | None, Opt()] = None,
    seed: Annotated[int | None, Opt()] = None,
    stop_seqs: Annotated[str | None, Opt(help="Stop sequences, comma separated.")] = None,
    log_dir: Annotated[
        str | None, Opt(help="Where logs go (default ./logs, env EVALRUN_LOG_DIR).")
    ] = None,
    log_format: Annotated[str | None, Opt(help="json")] = None,
    tags: Annotated[str | None, Opt(help="Tags, comma separated.")] = None,
    metadata: Annotated[list[str] | None, Opt(help="Run metadata key=value; repeatable.")] = None,
    job: Annotated[str | None, Opt(help="Group runs under a job name.")] = None,
    display: Annotated[str | None, Opt(help="full, plain or none.")] = None,
    dry_run: Annotated[
        bool, Opt("--dry-run", help="Load, validate and plan; call no model.")
    ] = False,
    config: Annotated[Path | None, Opt("--config", help="YAML file of run options.")] = None,
) -> None:
    """Run task files against one or more models."""
    options = collect_options(dict(locals()))
    from evalrun import api
    from evalrun.display import results_table, threshold_lines

    options["model_args"] = {
        **parse_pairs(model_args, model_arg, "-M"),
        **options.get("model_args", {}),
    }
    options["task_args"] = {
        **parse_pairs(task_args, task_arg, "-T"),
        **options.get("task_args", {}),
    }
    if metadata:
        options["metadata"] = parse_pairs(None, metadata, "--metadata")
    if no_fail_on_error:
        options["fail_on_error"] = False
    file_options = api.read_config_file(config) if config else {}
    run = api.make_config(
        None,
        **api.merge_options(
            file_options, {k: v for k, v in options.items() if v not in ({}, None)}
        ),
    )
    results = api.eval(tasks, config=run, reporter=_reporter(run.display))
    from rich.console import Console

    console = Console(width=None if sys.stdout.isatty() else 160)
    if run.dry_run:
        for result in results:
            console.print(f"plan: {result.task} x {result.model}: {result.total} sample-epochs")
        raise typer.Exit(EXIT_OK)
    console.print(results_table(results))
    for line in threshold_lines(results):
        console.print(line, highlight=False)
    for result in results:
        console.print(f"log: {result.log_path}", highlight=False, soft_wrap=True)
        if result.error:
            print(f"{result.task} x {result.model}: {result.error}", file=sys.stderr)
    raise typer.Exit(EXIT_OK if all(r.ok for r in results) else EXIT_FAILED)


def _reporter(display: str | None) -> Any:
    from evalrun.display import reporter_for

    return reporter_for(display)
