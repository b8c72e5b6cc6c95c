"""The Python API: what the command line calls, for users who prefer Python.

    from evalrun import eval
    results = eval(["tasks/arithmetic.yaml"], model=["mockllm/model"], epochs=2)

Nothing here prints; pass a `Reporter` to watch progress.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import anyio
from pydantic import ValidationError

from evalrun.config import RunConfig, normalize_options
from evalrun.dataset import Sample
from evalrun.engine import EvalResult, NullReporter, Reporter, RunControl, Unit, plan, run_units
from evalrun.errors import InputError, Location
from evalrun.log import LogSummary, open_log, read_summary
from evalrun.model import ModelPool, ResponseCache
from evalrun.spec import Task, TaskSpec, build, build_source, read_task_files, resolve
from evalrun.spec._models import load_aliases, models_file_path

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
    return _plan(tasks, config or RunConfig())[0]


def _plan(tasks: TaskPaths, run: RunConfig) -> tuple[builtins.list[Unit], ModelPool]:
    """The units and the pool that will run them; every model is made once, here."""
    aliases = _aliases(run)
    units = plan(load_tasks(tasks, run), run, aliases)
    pool = _pool(run, aliases)
    for unit in units:
        pool.get(unit.provider_model, unit.model_args)
    return units, pool


def eval(
    tasks: TaskPaths,
    *,
    config: RunConfig | None = None,
    reporter: Reporter | None = None,
    handle_signals: bool = False,
    **options: Any,
) -> builtins.list[EvalResult]:
    """Run tasks; one `EvalResult` (and one log) per task x model.

    With `handle_signals`, SIGINT and SIGTERM end the run cleanly: every log is closed
    with status `cancelled` and keeps the samples that finished.
    """
    run = make_config(config, **options)
    units, pool = _plan(tasks, run)
    if run.dry_run:
        return [EvalResult(u.task.name, u.model, "planned", Path(), u.total) for u in units]
    return _run(units, run, pool, reporter, RunControl(), handle_signals)


def eval_retry(
    logs: Sequence[str | Path],
    *,
    reporter: Reporter | None = None,
    handle_signals: bool = False,
    **overrides: Any,
) -> builtins.list[EvalResult]:
    """Finish runs from their logs alone: reuse every sample that finished without error,
    run the errored, cancelled and missing ones, and write a new, complete log.

    `overrides` (RunConfig fields) replace the stored run options and are recorded.
    A log that is already complete and successful is returned as is, not re-run.
    """
    results: builtins.list[EvalResult | None] = []
    units: builtins.list[Unit] = []
    runs: builtins.list[RunConfig] = []
    for path in map(Path, logs):
        summary = read_summary(path)
        if summary.status == "success" and summary.results and summary.results.errored_samples == 0:
            results.append(result_from_summary(summary))
            continue
        unit, run = _resume_unit(summary, overrides)
        units.append(unit)
        runs.append(run)
        results.append(None)
    # each resumed unit keeps its own stored run config, so they run one after another
    control = RunControl()
    finished: builtins.list[EvalResult] = []
    for unit, run in zip(units, runs, strict=True):
        pool = _pool(run, _aliases(run))
        finished.extend(_run([unit], run, pool, reporter, control, handle_signals))
    done = iter(finished)
    return [r if r is not None else next(done) for r in results]


def _resume_unit(summary: LogSummary, overrides: dict[str, Any]) -> tuple[Unit, RunConfig]:
    """The unit and run config of a log, with the command line's overrides applied."""
    header = summary.header
    stored = merge_options(header.run_config, {"log_dir": str(summary.path.parent)})
    run = make_config(None, **merge_options(stored, overrides))
    spec = resolve(
        TaskSpec.model_validate(header.task_spec),
        make_config(None, **_task_overrides(overrides)),
        _nowhere,
    )
    reader = open_log(summary.path)
    try:
        samples = [Sample.from_dict(row) for row in reader.iter_dataset()]
    finally:
        reader.close()
    if not samples:
        raise InputError("the log holds no dataset to resume from", Location(summary.path))
    task = build(
        spec,
        base_dir=Path(header.base_dir),
        file=Path(header.task_file) if header.task_file else None,
        samples=samples,
    )
    model_args = {k: v for k, v in header.model_args.items() if v != "***"}
    unit = Unit(
        task,
        header.model,
        model_args,
        samples,
        spec.epochs.count,
        provider_model=header.provider_model or header.model,
        eval_id=header.eval_id or header.run_id,
        previous=summary.path,
        retries=header.retries + 1,
    )
    return unit, run


#: options that change the task itself, applied to the stored (already resolved) spec
_TASK_OPTIONS = {
    "epochs",
    "epochs_reducer",
    "time_limit",
    "token_limit",
    "message_limit",
    "generate",
    "fail_on_error",
}


def _task_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in normalize_options(overrides).items() if k in _TASK_OPTIONS}


def _nowhere(_where: Any) -> None:
    return None


def result_from_summary(summary: LogSummary) -> EvalResult:
    """An `EvalResult` for a log read from disk (for tables and exit statuses)."""
    results = summary.results
    return EvalResult(
        summary.header.task,
        summary.header.model,
        summary.status,
        summary.path,
        summary.total,
        completed=results.completed_samples if results else summary.samples_done,
        errored=results.errored_samples if results else 0,
        scores=[s.model_dump() for s in results.scores] if results else [],
        thresholds=[t.model_dump() for t in results.thresholds] if results else [],
        usage=(summary.stats or {}).get("usage", {}),
        duration=float((summary.stats or {}).get("duration", 0.0)),
        error=(summary.error or {}).get("message"),
    )


def _run(
    units: builtins.list[Unit],
    run: RunConfig,
    pool: ModelPool,
    reporter: Reporter | None,
    control: RunControl,
    handle_signals: bool,
) -> builtins.list[EvalResult]:
    return anyio.run(
        partial(
            run_units,
            units,
            run,
            pool,
            reporter or NullReporter(),
            control,
            handle_signals=handle_signals,
        ),
        backend_options=_backend_options(),
    )


def _backend_options() -> dict[str, Any]:
    """uvloop where it is installed: its C timers and handles make a thousand requests in
    flight cost less event-loop time (measured in tests/bench/engine.py)."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return {}
    return {"use_uvloop": True}


def _aliases(run: RunConfig) -> dict[str, tuple[str, dict[str, Any]]]:
    """The model aliases of the run's models file (none without one)."""
    return load_aliases(models_file_path(run.models))


def _pool(run: RunConfig, aliases: dict[str, tuple[str, dict[str, Any]]]) -> ModelPool:
    cache = None
    if run.cache:
        cache = ResponseCache(Path(run.cache_dir) if run.cache_dir else None, run.cache_expiry)
    return ModelPool(
        max_connections=run.max_connections,
        max_retries=run.max_retries,
        timeout=run.timeout,
        cache=cache,
        aliases=aliases,
    )
