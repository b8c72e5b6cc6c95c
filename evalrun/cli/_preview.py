"""`evalrun prompts`, `evalrun estimate` and `evalrun cache`: before and around runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from evalrun.cli import _options as o
from evalrun.cli._app import app, guarded, stdout_console


def _units(tasks: list[str], options: dict[str, Any]) -> Any:
    from evalrun import api
    from evalrun.config import RunConfig

    return api.plan_eval(tasks, RunConfig.from_options(options))


@app.command(
    "prompts", short_help="Show the first messages each sample (or survey question) sends."
)
@guarded
def prompts_command(
    tasks: o.Tasks,
    model: o.ModelOption = None,
    model_args: o.ModelArgs = None,
    model_base_url: o.ModelBaseUrl = None,
    task_args: o.TaskArgs = None,
    models: o.Models = None,
    limit: Annotated[str, o.Opt(metavar="N|A-B", help=o.LIMIT_HELP)] = "3",
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per prompt.")] = False,
) -> None:
    """Show the exact messages each sample sends first (and its generation settings),
    without calling a model. For a survey: each question of each interview, with its
    response cache key."""
    options = {k: v for k, v in locals().items() if k not in ("tasks", "as_json")}
    from evalrun.engine._preview import first_prompts

    for unit in _units(tasks, options):
        for prompt in first_prompts(unit):
            if as_json:
                row: dict[str, Any] = {"task": prompt.task, "model": prompt.model, "sample": prompt.sample_id,
                       "messages": [m.to_dict() for m in prompt.messages], "settings": prompt.settings}  # fmt: skip
                if prompt.question is not None:
                    row.update(question=prompt.question, cache_key=prompt.cache_key)
                print(json.dumps(row))
                continue
            asks = f" · question {prompt.question}" if prompt.question is not None else ""
            print(f"=== {prompt.task} x {prompt.model} · sample {prompt.sample_id}{asks}")
            for message in prompt.messages:
                print(f"[{message.role}] {message.content}")
            if prompt.settings:
                print(f"settings: {json.dumps(prompt.settings)}")
            if prompt.question is not None:
                print(f"cache key: {prompt.cache_key or 'depends on earlier answers'}")
            print()


@app.command("estimate", short_help="Estimate a run's tokens and cost.")
@guarded
def estimate_command(
    tasks: o.Tasks,
    model: o.ModelOption = None,
    model_args: o.ModelArgs = None,
    model_base_url: o.ModelBaseUrl = None,
    task_args: o.TaskArgs = None,
    models: o.Models = None,
    limit: o.Limit = None,
    epochs: o.Epochs = None,
    max_tokens: o.MaxTokens = None,
) -> None:
    """Tokens and cost of a run, as a range, without calling a model."""
    options = {k: v for k, v in locals().items() if k != "tasks"}
    from rich.table import Table

    from evalrun.engine._preview import estimate

    rows = [estimate(unit) for unit in _units(tasks, options)]
    table = Table(
        title="Estimate (first model call of each sample x epoch)",
        title_justify="left",
        header_style="bold",
    )
    for column in ("task", "model", "requests", "input tokens", "output tokens", "cost (USD)"):
        table.add_column(column, justify="left" if column in ("task", "model") else "right")

    def money(low: float | None, high: float | None) -> str:
        return "unknown" if low is None or high is None else f"{low:.4f} - {high:.4f}"

    for r in rows:
        table.add_row(r.task, r.model, str(r.requests), f"{r.input_tokens:,}", f"{r.output_low:,} - {r.output_high:,}",
                      money(r.cost_low, r.cost_high))  # fmt: skip
    if len(rows) > 1:
        known = all(r.cost_low is not None for r in rows)
        table.add_row(
            "total", "", str(sum(r.requests for r in rows)), f"{sum(r.input_tokens for r in rows):,}",
            f"{sum(r.output_low for r in rows):,} - {sum(r.output_high for r in rows):,}",
            money(sum(r.cost_low or 0 for r in rows), sum(r.cost_high or 0 for r in rows)) if known else "unknown",
        )  # fmt: skip
    stdout_console().print(table)


cache_app = typer.Typer(
    help="List, measure or clear the response cache (--cache).", no_args_is_help=True
)
app.add_typer(cache_app, name="cache")
CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        metavar="DIR",
        help=o.default("The cache folder.", "~/.cache/evalrun/responses"),
    ),
]


def _cache(folder: Path | None) -> Any:
    from evalrun.model import ResponseCache

    return ResponseCache(folder)


@cache_app.command("list")
@guarded
def cache_list(cache_dir: CacheDirOption = None) -> None:
    """Cached answers: key, model, age, size."""
    import time

    now = time.time()
    for entry in _cache(cache_dir).entries():
        print(
            f"{entry.key[:16]}  {entry.model:30s}  {(now - entry.created) / 3600:8.1f} h  {entry.size:7d} B"
        )


@cache_app.command("size")
@guarded
def cache_size(cache_dir: CacheDirOption = None) -> None:
    """How many answers are cached, and the bytes they take."""
    cache = _cache(cache_dir)
    entries = list(cache.entries())
    print(f"{len(entries)} entries, {sum(e.size for e in entries):,} bytes in {cache.folder}")


@cache_app.command("clear")
@guarded
def cache_clear(cache_dir: CacheDirOption = None) -> None:
    """Remove every cached answer."""
    cache = _cache(cache_dir)
    print(f"removed {cache.clear()} entries from {cache.folder}")
