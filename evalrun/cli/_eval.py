"""`evalrun eval` and `evalrun eval-retry`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from evalrun.cli import _options as o
from evalrun.cli._app import EXIT_FAILED, EXIT_OK, app, guarded, stdout_console

if TYPE_CHECKING:
    from evalrun.engine import EvalResult

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
    limit: o.Limit = None,
    sample_id: Annotated[str | None, Opt(help="Sample id(s), comma separated.")] = None,
    max_samples: o.MaxSamples = None,
    max_tasks: o.MaxTasks = None,
    max_connections: o.MaxConnections = None,
    fail_on_error: o.FailOnError = None,
    no_fail_on_error: o.NoFailOnError = False,
    retry_on_error: o.RetryOnError = None,
    max_retries: o.MaxRetries = None,
    timeout: o.Timeout = None,
    time_limit: o.TimeLimit = None,
    token_limit: o.TokenLimit = None,
    message_limit: o.MessageLimit = None,
    max_prompt_chars: o.MaxPromptChars = None,
    temperature: o.Temperature = None,
    max_tokens: o.MaxTokens = None,
    top_p: o.TopP = None,
    top_k: o.TopK = None,
    seed: o.Seed = None,
    stop_seqs: o.StopSeqs = None,
    cache: o.Cache = None,
    cache_dir: o.CacheDir = None,
    cache_expiry: o.CacheExpiry = None,
    models: o.Models = None,
    log_dir: o.LogDir = None,
    log_format: o.LogFormat = None,
    tags: Annotated[str | None, Opt(help="Tags, comma separated.")] = None,
    metadata: Annotated[list[str] | None, Opt(help="Run metadata key=value; repeatable.")] = None,
    job: Annotated[str | None, Opt(help="Group runs under a job name.")] = None,
    display: o.Display = None,
    dry_run: Annotated[
        bool, Opt("--dry-run", help="Load, validate and plan; call no model.")
    ] = False,
    config: Annotated[Path | None, Opt("--config", help="YAML file of run options.")] = None,
) -> None:
    """Run task files against one or more models."""
    options = o.collect_options(dict(locals()))
    from evalrun import api

    options["model_args"] = o.parse_pairs(model_args, model_arg, "-M")
    options["task_args"] = o.parse_pairs(task_args, task_arg, "-T")
    if metadata:
        options["metadata"] = o.parse_pairs(None, metadata, "--metadata")
    file_options = api.read_config_file(config) if config else {}
    given = {k: v for k, v in options.items() if v not in ({}, None)}
    run = api.make_config(None, **api.merge_options(file_options, given))
    with _reporter(run.display) as reporter:
        results = api.eval(tasks, config=run, reporter=reporter, handle_signals=True)
    if run.dry_run:
        for result in results:
            print(f"plan: {result.task} x {result.model}: {result.total} sample-epochs")
        raise typer.Exit(EXIT_OK)
    _finish(results)


@app.command("eval-retry")
@guarded
def eval_retry_command(
    logs: Annotated[list[Path], typer.Argument(help="Logs to finish.", show_default=False)],
    model_arg: o.ModelArg = None,
    model_base_url: o.ModelBaseUrl = None,
    max_samples: o.MaxSamples = None,
    max_tasks: o.MaxTasks = None,
    max_connections: o.MaxConnections = None,
    fail_on_error: o.FailOnError = None,
    no_fail_on_error: o.NoFailOnError = False,
    retry_on_error: o.RetryOnError = None,
    max_retries: o.MaxRetries = None,
    timeout: o.Timeout = None,
    time_limit: o.TimeLimit = None,
    token_limit: o.TokenLimit = None,
    message_limit: o.MessageLimit = None,
    max_prompt_chars: o.MaxPromptChars = None,
    temperature: o.Temperature = None,
    max_tokens: o.MaxTokens = None,
    top_p: o.TopP = None,
    top_k: o.TopK = None,
    seed: o.Seed = None,
    stop_seqs: o.StopSeqs = None,
    cache: o.Cache = None,
    cache_dir: o.CacheDir = None,
    cache_expiry: o.CacheExpiry = None,
    log_dir: o.LogDir = None,
    log_format: o.LogFormat = None,
    display: o.Display = None,
) -> None:
    """Finish runs that errored or were interrupted, reusing every finished sample."""
    options = o.collect_options(dict(locals()))
    from evalrun import api

    if model_arg:
        options["model_args"] = o.parse_pairs(None, model_arg, "-M")
    with _reporter(display) as reporter:
        results = api.eval_retry(logs, reporter=reporter, handle_signals=True, **options)
    for result, path in zip(results, logs, strict=True):
        if result.log_path == path:
            print(f"{path}: already complete and successful; nothing to retry", file=sys.stderr)
    _finish(results)


def _finish(results: list[EvalResult]) -> None:
    """Print the results table, the logs and how to finish what did not finish."""
    from evalrun.display import results_table, threshold_lines

    console = stdout_console()
    console.print(results_table(results))
    for line in threshold_lines(results):
        console.print(line, highlight=False)
    for result in results:
        console.print(f"log: {result.log_path}", highlight=False, soft_wrap=True)
        if result.error:
            print(f"{result.task} x {result.model}: {result.error}", file=sys.stderr)
    unfinished = [r.log_path for r in results if not r.ok]
    if unfinished:
        command = shlex.join(["evalrun", "eval-retry", *map(str, unfinished)])
        print(f"To finish this run: {command}", file=sys.stderr)
    raise typer.Exit(EXIT_OK if not unfinished else EXIT_FAILED)


def _reporter(display: str | None) -> Any:
    from evalrun.display import reporter_for

    return reporter_for(display)
