"""The Python API: what the command line calls, for users who prefer Python.

    from evalrun import eval
    results = eval(["tasks/arithmetic.yaml"], model=["mockllm/model"], epochs=2)

Nothing here prints; pass a `Reporter` to watch progress.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from pydantic import ValidationError

from evalrun.config import RunConfig, normalize_options
from evalrun.dataset import Sample, select
from evalrun.engine import EvalResult, NullReporter, Reporter, RunControl, Unit, plan, run_units
from evalrun.engine._results import thresholds_of
from evalrun.engine._run import Again
from evalrun.errors import ArgumentError, InputError, Location, unwrap
from evalrun.log import (
    LogSummary,
    SampleCounts,
    check_dataset,
    dataset_digest,
    read_summary,
    resume_chain,
)
from evalrun.log._index import default_job_name
from evalrun.model import ModelPool, ResponseCache
from evalrun.model._model import LimitFactory
from evalrun.spec import (
    Task,
    TaskSpec,
    build,
    build_source,
    load_samples,
    read_task_files,
    resolve,
)
from evalrun.spec._models import load_aliases, models_file_path
from evalrun.strict import suggest

if TYPE_CHECKING:
    from evalrun.log import EvalHeader

#: files, folders or globs naming task files
TaskPaths = str | Path | Sequence[str | Path]


def make_config(config: RunConfig | None = None, **options: Any) -> RunConfig:
    """A run config from `config` with `options` on top (`RunConfig.from_options`:
    RunConfig field names or command-line spellings; mappings merge key by key)."""
    if not options:
        return config or RunConfig()
    base = config.model_dump(exclude_unset=True) if config else None
    return RunConfig.from_options(base, options)


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


def load_tasks(tasks: TaskPaths, config: RunConfig | None = None) -> builtins.list[Task]:
    """Read, validate and build every task named by files, folders or globs."""
    run = config or RunConfig()
    patterns = [str(tasks)] if isinstance(tasks, str | Path) else [str(t) for t in tasks]
    return [build_source(source, run) for source in read_task_files(patterns)]


def plan_eval(tasks: TaskPaths, config: RunConfig | None = None) -> builtins.list[Unit]:
    """Load tasks and plan the task x model units, checking that every model can be made
    (not that it can be called: `prompts` and `estimate` need no API key)."""
    run = config or RunConfig()
    aliases = _aliases(run)
    units = plan(load_tasks(tasks, run), run, aliases)
    _models(units, _pool(run, aliases), ready=False)
    return units


def check_fail_under(units: builtins.list[Unit]) -> None:
    """Each `--fail-under` metric is a metric of some task that runs (`accuracy`, or
    `scorer.metric`): a typo must not pass a gate by checking nothing."""
    for unit in units:
        for key in unit.config.fail_under:
            if not any(key in thresholds_of(u.task, {key: 0.0}) for u in units):
                known = sorted({m for u in units for s in u.task.scorers for m, _ in s.metrics})
                raise InputError(
                    f"--fail-under: `{key}` is not a metric of any task here"
                    f"{suggest(key, set(known))} (metrics: {', '.join(known) or 'none'})"
                )


def _models(units: builtins.list[Unit], pool: ModelPool, *, ready: bool = True) -> ModelPool:
    """Make every model of `units` once, in `pool`, before anything runs; with `ready`,
    check each can be called (its API key is set): a `SetupError` otherwise."""
    for unit in units:
        try:
            model = pool.get(unit.provider_model, unit.model_args)
        except ArgumentError as exc:
            raise _where_written(exc, unit) from None
        if ready:
            model.provider.ready()
        for need in unit.task.models:  # a grader: its arguments and key checked now too
            try:
                other = need.make(pool)
            except ArgumentError as exc:
                raise InputError(exc.message, need.locate(exc.argument)) from None
            if ready:
                other.provider.ready()
    return pool


def _where_written(error: ArgumentError, unit: Unit) -> InputError:
    """A model argument's error at its line, when the task file gave the argument."""
    task, name = unit.task, error.argument
    if (
        unit.model in (task.spec.model, *task.spec.models)
        and name in task.spec.model_args
        and (
            name not in unit.config.model_args  # (-M wins, and has no file to point at)
        )
    ):
        return InputError(error.message, task.locate(("model_args", name)))
    return error


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
    aliases = _aliases(run)
    loaded = load_tasks(tasks, run)
    if run.job is None:  # one job per invocation: its units share it (evalrun jobs list)
        run = run.model_copy(update={"job": default_job_name([t.name for t in loaded])})
    units = plan(loaded, run, aliases)
    check_fail_under(units)
    pool = _models(units, _pool(run, aliases))
    if run.dry_run:
        return [
            EvalResult(u.task.name, u.model, "planned", Path(), SampleCounts(total=u.total))
            for u in units
        ]
    return _run(units, pool, reporter, RunControl(), handle_signals, run.max_tasks)


def eval_retry(
    logs: Sequence[str | Path],
    *,
    reporter: Reporter | None = None,
    handle_signals: bool = False,
    **overrides: Any,
) -> builtins.list[EvalResult]:
    """Finish runs from their logs alone: reuse every sample that finished without error,
    run the errored, cancelled, missing and unreadable (damaged) ones, and write a new,
    complete log.

    `overrides` (RunConfig fields) replace the stored run options and are recorded;
    `model_args` and `model_base_url` replace the stored model arguments (a responses
    file or a server that moved). A log that is already complete, successful and whole
    is returned as is, not re-run. Several logs run as one set: `max_tasks` at a time,
    sharing connection limits per endpoint.
    """
    results: builtins.list[EvalResult | None] = []
    units: builtins.list[Unit] = []
    for path in map(Path, logs):
        summary = read_summary(path)
        if _successful(summary) and not summary.damaged:  # read it whole before trusting it
            summary = read_summary(path, verify=True)
            if not summary.damaged:
                results.append(result_from_summary(summary))
                continue
        units.append(_resume_unit(summary, overrides))
        results.append(None)
    if not units:
        return [r for r in results if r is not None]
    check_fail_under(units)
    # one set: the first log's options (with the overrides) for what the units share
    shared = units[0].config
    pool = _models(units, _pool(shared, _aliases(shared)))
    finished = iter(_run(units, pool, reporter, RunControl(), handle_signals, shared.max_tasks))
    return [r if r is not None else next(finished) for r in results]


def _successful(summary: LogSummary) -> bool:
    """Finished successfully with no sample errored, as its summary says."""
    results = summary.results
    return summary.status == "success" and results is not None and results.errored_samples == 0


def _resume_unit(
    summary: LogSummary, overrides: dict[str, Any], model_args: dict[str, Any] | None = None
) -> Unit:
    """The unit of a log, with the command line's overrides applied (and `model_args`
    instead of the log's, whose secrets are masked, when the caller still has them)."""
    header = summary.header
    return unit_from_header(
        header,
        overrides,
        lambda spec, run: _resume_dataset(summary, spec, run),
        log_dir=str(summary.path.parent),
        previous=summary.path,
        retries=header.retries + 1,
        model_args=model_args,
    )


def unit_from_header(
    header: EvalHeader,
    overrides: dict[str, Any],
    samples: Callable[[TaskSpec, RunConfig], builtins.list[Sample]],
    *,
    log_dir: str,
    previous: Path | None,
    retries: int,
    model_args: dict[str, Any] | None = None,
) -> Unit:
    """A unit rebuilt from what a log's header stores (the one way: eval-retry's, and a
    unit sent to another process by `eval-set --executor ray`). `samples(spec, run)` gives
    its dataset; `model_args` replace the header's (which has its secrets masked)."""
    given = normalize_options(overrides)
    if model_args is None:
        model_args = {k: v for k, v in header.model_args.items() if v != "***"}
    model_args = {**model_args, **(given.get("model_args") or {})}
    if given.get("model_base_url"):
        model_args["base_url"] = given["model_base_url"]
    beside = {"log_dir": log_dir}  # stored < beside the old log < given
    run = RunConfig.from_options(header.run_config, beside, given)
    spec = resolve(
        TaskSpec.model_validate(header.task_spec),
        make_config(None, **_task_overrides(given)),
        _nowhere,
    )
    rows = samples(spec, run)
    task = build(
        spec,
        base_dir=Path(header.base_dir),
        file=Path(header.task_file) if header.task_file else None,
        samples=rows,
        max_prompt_chars=run.max_prompt_chars,
    )
    return Unit(
        task,
        header.model,
        model_args,
        rows,
        spec.epochs.count,
        config=run,
        provider_model=header.provider_model or header.model,
        eval_id=header.eval_id or header.run_id,
        previous=previous,
        retries=retries,
    )


def _resume_dataset(summary: LogSummary, spec: TaskSpec, run: RunConfig) -> builtins.list[Sample]:
    """The dataset a resumed run must run, whole: the log's own; else, when the log was
    cut or damaged while its dataset was written, the same rows from the log it
    continued or from the task's data file, checked against the digest in the header."""
    header = summary.header
    for path, reader in resume_chain(summary.path):
        earlier = reader.header()
        if path != summary.path and earlier.get("dataset_digest") != header.dataset_digest:
            continue
        rows = check_dataset(reader, header, keep=True)
        if rows is not None:
            return [Sample.from_dict(row) for row in rows]
    if header.dataset_digest:
        try:
            loaded = load_samples(spec, Path(header.base_dir), _nowhere)
            samples = select(loaded, run.limit, run.sample_id)
        except InputError:
            samples = []
        if dataset_digest(s.to_dict() for s in samples) == header.dataset_digest:
            return samples
    raise InputError(
        f"cannot resume: the log's dataset is incomplete ({header.samples} rows expected) and "
        "the task's data file is gone or has changed since; run the task again with evalrun eval",
        Location(summary.path),
    )


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


def eval_set(tasks: TaskPaths, **kwargs: Any) -> builtins.list[EvalResult]:
    """Run a set of tasks x models in one log dir until every unit is done, idempotently:
    see `evalrun._set`."""
    from evalrun._set import eval_set as run_set

    return run_set(tasks, **kwargs)


def result_from_summary(summary: LogSummary) -> EvalResult:
    """An `EvalResult` for a log read from disk (for tables and exit statuses)."""
    results = summary.results
    return EvalResult(
        summary.header.task,
        summary.header.model,
        summary.status,
        summary.path,
        summary.counts,
        scores=[s.model_dump() for s in results.scores] if results else [],
        thresholds=[t.model_dump() for t in results.thresholds] if results else [],
        usage=(summary.stats or {}).get("usage", {}),
        duration=float((summary.stats or {}).get("duration", 0.0)),
        error=(summary.error or {}).get("message"),
    )


def _run(
    units: builtins.list[Unit],
    pool: ModelPool,
    reporter: Reporter | None,
    control: RunControl,
    handle_signals: bool,
    max_tasks: int,
    again: Again | None = None,
) -> builtins.list[EvalResult]:
    try:
        return anyio.run(
            partial(
                run_units,
                units,
                pool,
                reporter or NullReporter(),
                control,
                max_tasks=max_tasks,
                handle_signals=handle_signals,
                again=again,
            ),
            backend_options=_backend_options(),
        )
    except BaseExceptionGroup as group:  # callers get the error itself, not its task group
        raise unwrap(group) from None


def _backend_options() -> dict[str, Any]:
    """uvloop where it is installed: its C timers and handles cost the event loop less
    when a thousand requests are in flight."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return {}
    return {"use_uvloop": True}


def _aliases(run: RunConfig) -> dict[str, tuple[str, dict[str, Any]]]:
    """The model aliases of the run's models file (none without one)."""
    return load_aliases(models_file_path(run.models))


def _pool(
    run: RunConfig,
    aliases: dict[str, tuple[str, dict[str, Any]]],
    limits: LimitFactory | None = None,
) -> ModelPool:
    """The run's models; `limits` makes each endpoint's connection limit (by default one
    in this process; `eval-set --executor ray` gives one shared by the whole cluster)."""
    cache = None
    if run.cache:
        cache = ResponseCache(Path(run.cache_dir) if run.cache_dir else None, run.cache_expiry)
    return ModelPool(
        max_connections=run.max_connections,
        max_retries=run.max_retries,
        timeout=run.timeout,
        cache=cache,
        aliases=aliases,
        limits=limits,
    )
