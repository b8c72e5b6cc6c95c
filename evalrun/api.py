"""The Python API: what the command line calls, for users who prefer Python.

    from evalrun import eval
    results = eval(["tasks/arithmetic.yaml"], model=["mockllm/model"], epochs=2)

Nothing here prints; pass a `Reporter` to watch progress.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
from pydantic import ValidationError

from evalrun.config import RunConfig, normalize_options
from evalrun.engine import EvalResult, NullReporter, Reporter, Unit, plan, run_units
from evalrun.errors import InputError
from evalrun.model import ModelPool
from evalrun.spec import Task, build_source, read_task_files

#: files, folders or globs naming task files
TaskPaths = str | Path | Sequence[str | Path]


def make_config(config: RunConfig | None = None, **options: Any) -> RunConfig:
    """A run config from `config` with `options` (RunConfig field names) on top."""
    if not options:
        return config or RunConfig()
    base = config.model_dump(exclude_unset=True) if config else {}
    try:
        return RunConfig.model_validate({**base, **options})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        option = "--" + "-".join(str(p) for p in first["loc"][:1]).replace("_", "-")
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InputError(f"{option}: {message}") from None


def read_config_file(path: Path) -> dict[str, Any]:
    """A `--config` file: run options as YAML, checked with file:line:col errors."""
    from evalrun.spec import load_yaml
    from evalrun.spec._errors import explain

    data, source = load_yaml(path)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise source.error((), "a run config file must be a mapping of options")
    try:
        RunConfig.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, source) from None
    data = normalize_options(data)
    base = path.parent.resolve()
    for key in ("log_dir", "cache_dir"):  # folders in a config file are relative to it
        value = data.get(key)
        if isinstance(value, str) and not Path(value).is_absolute():
            data[key] = str(base / value)
    return data


def merge_options(lower: dict[str, Any], upper: dict[str, Any]) -> dict[str, Any]:
    """`upper` wins; mappings (model_args, task_args, metadata, generate) merge key by key."""
    out = normalize_options(lower)
    for key, value in normalize_options(upper).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def load_tasks(tasks: TaskPaths, config: RunConfig | None = None) -> builtins.list[Task]:
    """Read, validate and build every task named by files, folders or globs."""
    run = config or RunConfig()
    patterns = [str(tasks)] if isinstance(tasks, str | Path) else [str(t) for t in tasks]
    return [build_source(source, run) for source in read_task_files(patterns)]


def plan_eval(tasks: TaskPaths, config: RunConfig | None = None) -> builtins.list[Unit]:
    """Load tasks and plan the task x model units, checking that every model can be made."""
    run = config or RunConfig()
    units = plan(load_tasks(tasks, run), run)
    pool = _pool(run)
    for unit in units:
        pool.get(unit.model, unit.model_args)
    return units


def eval(
    tasks: TaskPaths,
    *,
    config: RunConfig | None = None,
    reporter: Reporter | None = None,
    **options: Any,
) -> builtins.list[EvalResult]:
    """Run tasks; one `EvalResult` (and one log) per task x model."""
    run = make_config(config, **options)
    units = plan_eval(tasks, run)
    if run.dry_run:
        return [EvalResult(u.task.name, u.model, "planned", Path(), u.total) for u in units]
    pool = _pool(run)
    return anyio.run(run_units, units, run, pool, reporter or NullReporter())


def _pool(run: RunConfig) -> ModelPool:
    return ModelPool(
        max_connections=run.max_connections, max_retries=run.max_retries, timeout=run.timeout
    )
