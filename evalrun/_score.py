"""`evalrun.score`: rescore a finished log's outputs, without calling the model under test.

The log's task is rebuilt from its header (as `eval_retry` does) with the task's scorers,
or new ones (`scorers`: YAML components, or a config file's `scorer:`, `metrics:` and
`thresholds:`), and run as a unit whose solver replays each recorded sample
(`evalrun.engine._replay`): a new log is written by the engine's own writer, with the
counts, metrics, reducers and thresholds a run would compute, and the header's
`rescored_from` naming the old log (which is never changed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalrun.config import RunConfig
from evalrun.engine import EvalResult, NullReporter, Reporter, RunControl, Unit
from evalrun.errors import ArgumentError, InputError, Location
from evalrun.log import read_summary
from evalrun.log._index import default_job_name
from evalrun.spec import SourceMap, Task, TaskSpec, build, load_yaml, parse_yaml
from evalrun.spec._errors import explain
from evalrun.strict import suggest

#: the keys of a `--config` file: a task file's, about scoring
CONFIG_KEYS = ("scorer", "metrics", "thresholds")


def score(
    log: str | Path,
    *,
    scorers: Sequence[str | dict[str, Any]] | None = None,
    config: str | Path | None = None,
    log_dir: str | Path | None = None,
    reporter: Reporter | None = None,
    handle_signals: bool = False,
) -> EvalResult:
    """Rescore the samples of `log` and write a new log (beside it, or in `log_dir`).

    `scorers` are scorer components (YAML text such as `"exact"` or
    `"{match: {location: any}}"`, or their parsed values); `config` a YAML file with
    `scorer:` and optionally `metrics:` and `thresholds:`, like a task file's. Without
    either, the task's own scorers run. New scorers drop the task's `metrics:` (unless
    the config gives some) and keep only the thresholds that name their metrics.

    Samples that errored stay errored; the model under test is never called (a scorer
    that tries fails its sample); graders are called as in a run.
    """
    from evalrun.api import _aliases, _pool, _resume_dataset, _run, check_fail_under
    from evalrun.engine._replay import Replay, no_calls_model

    path = Path(log)
    summary = read_summary(path)
    header = summary.header
    given = _given_scorers(scorers)
    options, source = _read_config(Path(config)) if config is not None else ({}, None)
    if given is not None and "scorer" in options:
        raise InputError(
            "the scorers are given twice: with --scorer and in the config file's `scorer:`",
            source.locate(("scorer",), key=True) if source else None,
        )
    stored = dict(header.task_spec)
    replaced = given is not None or "scorer" in options
    new = dict(stored)
    if replaced:
        new.pop("metrics", None)
        new["thresholds"] = {}
    new.update(options)
    if given is not None:
        new["scorer"] = [value for value, _ in given]
    beside = {"log_dir": str(log_dir if log_dir is not None else path.parent)}
    run = RunConfig.from_options(header.run_config, beside)
    alone = {k: v for k, v in stored.items() if k not in ("metrics", "thresholds")}
    ones = [_validate({**alone, "scorer": [value]}, where) for value, where in given or []]
    spec = _validate(new, source)
    samples = _resume_dataset(summary, spec, run)
    base_dir = Path(header.base_dir)
    file = Path(header.task_file) if header.task_file else None
    for one, (_, where) in zip(ones, given or [], strict=True):  # each at its own --scorer
        _build(one, base_dir, file, where, samples, run)
    task = _build(spec, base_dir, file, source, samples, run)
    fail_under = dict(run.fail_under)
    if replaced:  # keep the gates that still name a metric
        known = _metrics(task)
        kept = {k: v for k, v in stored.get("thresholds", {}).items() if k in known}
        task.spec = task.spec.model_copy(
            update={"thresholds": {**kept, **options.get("thresholds", {})}}
        )
        fail_under = {k: v for k, v in fail_under.items() if k in known}
    run = run.model_copy(
        update={"fail_under": fail_under, "job": default_job_name([task.name]), "retry_on_error": 0}
    )
    model = no_calls_model(header.model, run.max_connections or 100)
    replay = Replay(path, model)
    task.steps = [replay.step]
    unit = Unit(
        task,
        header.model,
        dict(header.model_args),
        samples,
        spec.epochs.count,
        config=run,
        provider_model=header.provider_model or header.model,
        replay=replay,
    )
    check_fail_under([unit])
    pool = _pool(run, _aliases(run))
    for need in task.models:  # graders: made and their keys checked before anything runs
        try:
            other = need.make(pool)
        except ArgumentError as exc:
            raise InputError(exc.message, need.locate(exc.argument)) from None
        other.provider.ready()
    control = RunControl()
    return _run([unit], pool, reporter or NullReporter(), control, handle_signals, 1)[0]


def _given_scorers(
    scorers: Sequence[str | dict[str, Any]] | None,
) -> list[tuple[Any, SourceMap | None]] | None:
    """Each `--scorer` parsed (YAML text) with where it was written, or None."""
    if not scorers:
        return None
    out: list[tuple[Any, SourceMap | None]] = []
    for index, item in enumerate(scorers):
        if not isinstance(item, str):
            out.append((item, None))
            continue
        label = "--scorer" if len(scorers) == 1 else f"--scorer {index + 1}"
        value, source = parse_yaml(item, Path(label))
        if value is None:
            raise InputError("no scorer given", Location(label))
        located = SourceMap(source.path)  # its places, as those of `scorer: [it]`
        located.values = {("scorer", 0, *k): v for k, v in source.values.items()}
        located.values[()] = source.values.get((), (1, 1))
        located.keys = {("scorer", 0, *k): v for k, v in source.keys.items()}
        out.append((value, located))
    return out


def _read_config(path: Path) -> tuple[dict[str, Any], SourceMap]:
    data, source = load_yaml(path)
    if data is None:
        return {}, source
    if not isinstance(data, dict):
        raise source.error(
            (), "a score config file must be a mapping (scorer:, metrics:, thresholds:)"
        )
    for key in data:
        if key not in CONFIG_KEYS:
            raise source.error(
                (key,),
                f"unknown key `{key}`{suggest(str(key), set(CONFIG_KEYS))} "
                f"(a score config has {', '.join(CONFIG_KEYS)})",
                key=True,
            )
    return dict(data), source


def _validate(data: dict[str, Any], source: SourceMap | None) -> TaskSpec:
    try:
        return TaskSpec.model_validate(data)
    except ValidationError as exc:
        if source is None:
            error = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in error["loc"])
            raise InputError(f"{where}: {error['msg']}") from None
        raise explain(exc, source) from None


def _build(
    spec: TaskSpec,
    base_dir: Path,
    file: Path | None,
    source: SourceMap | None,
    samples: list[Any],
    run: RunConfig,
) -> Task:
    return build(
        spec,
        base_dir=base_dir,
        file=file,
        source=source,
        samples=samples,
        max_prompt_chars=run.max_prompt_chars,
    )


def _metrics(task: Task) -> set[str]:
    return {m for s in task.scorers for m, _ in s.metrics} | {
        f"{s.name}.{m}" for s in task.scorers for m, _ in s.metrics
    }
