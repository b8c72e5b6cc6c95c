"""`evalrun eval` and `evalrun eval-retry`."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from evalrun.cli import _options as o
from evalrun.cli._app import EXIT_FAILED, EXIT_OK, app, guarded, stdout_console

if TYPE_CHECKING:
    from evalrun.engine import EvalResult


@app.command("eval", short_help="Run tasks against one or more models.")
@guarded
def eval_command(
    tasks: o.Tasks,
    model: o.ModelOption = None,
    model_args: o.ModelArgs = None,
    model_args_file: o.ModelArgsFile = None,
    model_base_url: o.ModelBaseUrl = None,
    task_args: o.TaskArgs = None,
    task_args_file: o.TaskArgsFile = None,
    epochs: o.Epochs = None,
    epochs_reducer: o.EpochsReducer = None,
    limit: o.Limit = None,
    sample_id: o.SampleId = None,
    max_samples: o.MaxSamples = None,
    max_tasks: o.MaxTasks = None,
    max_connections: o.MaxConnections = None,
    fail_on_error: o.FailOnError = None,
    no_fail_on_error: o.NoFailOnError = None,
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
    tags: o.Tags = None,
    metadata: o.Metadata = None,
    job: o.Job = None,
    fail_under: o.FailUnder = None,
    junit: o.Junit = None,
    summary_json: o.SummaryJson = None,
    display: o.Display = None,
    heartbeat: o.Heartbeat = None,
    dry_run: o.DryRun = None,
    config: o.ConfigFile = None,
) -> None:
    """Run task files against one or more models.

    Options come from the task file, then a --config file, then the command line
    (each wins over the one before). Generation settings (--temperature to
    --stop-seqs) default to the task's, else the provider's.
    """
    run_tasks("eval", dict(locals()))


def run_tasks(function: str, given: dict[str, Any]) -> None:
    """What `eval` and `eval-set` do with their options (the same ones): one run config
    (the --config file under the command line), the API's `function` under a progress
    display, then the plan (`--dry-run`) or the results, the reports and the exit status."""
    from evalrun import api
    from evalrun.config import RunConfig

    given = dict(given)
    tasks, config = given.pop("tasks"), given.pop("config")
    reports = {"junit": given.pop("junit", None), "summary_json": given.pop("summary_json", None)}
    files = {"model_args": given.pop("model_args_file"), "task_args": given.pop("task_args_file")}
    file_options = api.read_config_file(config) if config else None
    run = RunConfig.from_options(file_options, files, given)
    with _reporter(run.display, run.heartbeat) as reporter:
        results = getattr(api, function)(tasks, config=run, reporter=reporter, handle_signals=True)
    if run.dry_run:
        for result in results:
            print(f"plan: {result.task} x {result.model}: {result.total} sample-epochs")
        raise typer.Exit(EXIT_OK)
    _finish(results, **reports)


@app.command("eval-retry", short_help="Finish runs that errored or were interrupted.")
@guarded
def eval_retry_command(
    logs: o.Logs,
    model_args: o.ModelArgs = None,
    model_base_url: o.ModelBaseUrl = None,
    max_samples: o.MaxSamples = None,
    max_tasks: o.MaxTasks = None,
    max_connections: o.MaxConnections = None,
    fail_on_error: o.FailOnError = None,
    no_fail_on_error: o.NoFailOnError = None,
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
    log_dir: o.RetryLogDir = None,
    log_format: o.LogFormat = None,
    fail_under: o.FailUnder = None,
    junit: o.Junit = None,
    summary_json: o.SummaryJson = None,
    display: o.Display = None,
    heartbeat: o.Heartbeat = None,
) -> None:
    """Finish runs that errored or were interrupted, reusing every finished sample.

    The run is rebuilt from the log alone. Options given here override those the log
    recorded, and are recorded in the new log; a default shown below applies only when
    the original run did not set the option.
    """
    overrides = dict(locals())
    del overrides["logs"], overrides["junit"], overrides["summary_json"]
    from evalrun import api

    with _reporter(display, heartbeat) as reporter:
        results = api.eval_retry(logs, reporter=reporter, handle_signals=True, **overrides)
    for result, path in zip(results, logs, strict=True):
        if result.log_path == path:
            print(f"{path}: already complete and successful; nothing to retry", file=sys.stderr)
    _finish(results, junit=junit, summary_json=summary_json)


def _finish(
    results: list[EvalResult],
    junit: Path | None = None,
    summary_json: Path | None = None,
    *,
    suite: str = "evalrun",
) -> None:
    """Print the results table, the logs and how to finish what did not finish; write the
    CI reports asked for (and GitHub Actions' step summary and annotations); exit 0 when
    every result passes the CI gate, else 1 (2 when a report cannot be written)."""
    from evalrun.display import results_table, threshold_lines, write_reports

    console = stdout_console()
    shown = [r for r in results if not r.skipped]
    if shown:
        console.print(results_table(shown))
    if len(shown) < len(results):
        skipped = len(results) - len(shown)
        console.print(
            f"{skipped} of {len(results)} units were complete and successful already: their "
            "logs are unchanged (all of them: --summary-json FILE, or evalrun log list)",
            highlight=False,
        )
    lines = [*threshold_lines(shown), *(f"log: {r.log_path}" for r in shown)]
    if lines:  # (one render: a set may have hundreds of units)
        console.print("\n".join(lines), highlight=False, soft_wrap=True)
    for result in results:
        if result.error:
            print(f"{result.task} x {result.model}: {result.error}", file=sys.stderr)
    unfinished = [r.log_path for r in results if not r.ok]
    if unfinished:
        command = shlex.join(["evalrun", "eval-retry", *map(str, unfinished)])
        print(f"To finish this run: {command}", file=sys.stderr)
    failed = [r for r in results if r.failure is not None]
    for result in failed:
        if result.ok:  # (the others' errors are printed above)
            print(f"{result.task} x {result.model}: {result.failure}", file=sys.stderr)
    status = EXIT_FAILED if failed else EXIT_OK
    for line in write_reports(results, status, junit=junit, summary_json=summary_json, suite=suite):
        print(line, flush=True)
    raise typer.Exit(status)


def _reporter(display: str | None, heartbeat: float | None) -> Any:
    """The progress reporter, its options checked first (eval-retry's are otherwise
    checked only once the run is rebuilt, after the reporter has started)."""
    from evalrun.config import RunConfig
    from evalrun.display import reporter_for

    run = RunConfig.from_options({"display": display, "heartbeat": heartbeat})
    return reporter_for(run.display, run.heartbeat)
