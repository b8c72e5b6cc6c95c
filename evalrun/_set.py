"""`eval_set`: run every task x model of a set until it is done, idempotently.

The set lives in one log dir, with a manifest (`evalrun.log._manifest`). Running the
same set again skips each unit whose latest log is complete and successful (without
touching it), resumes the others through eval-retry's path (only unfinished and failed
samples run), and runs the units it has never run. A unit that ends in error is retried
as soon as it does, up to `retry_attempts` times, after `retry_wait` seconds doubling
each time (and with `retry_connections` times the connections, when that is below 1).

The units to run run in this process, or with `--executor ray` on a Ray cluster
(`evalrun.executor`): everything above happens in this process either way.
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalrun.config import RunConfig
from evalrun.engine import EvalResult, NullReporter, Reporter, RunControl, Unit, plan
from evalrun.engine._unit import redact
from evalrun.errors import InputError, Location
from evalrun.log import SampleCounts, find_logs, open_log, prepare_log_dir, read_summary
from evalrun.log._manifest import Manifest, header_key, unit_key

if TYPE_CHECKING:
    from evalrun.executor._ray import RayExecutor

#: the longest wait between two attempts of a unit, in seconds
MAX_RETRY_WAIT = 3600.0
#: units of a set that run at once, unless `--max-tasks` says otherwise (`eval`: 1)
SET_MAX_TASKS = 4


def eval_set(
    tasks: Any,
    *,
    config: RunConfig | None = None,
    reporter: Reporter | None = None,
    handle_signals: bool = False,
    **options: Any,
) -> builtins.list[EvalResult]:
    """Run a set of tasks x models in one log dir until every unit is done (see the
    module's docstring); one `EvalResult` per unit, in the set's order."""
    from evalrun import api

    run = api.make_config(config, **options)
    if run.ray_address and run.executor != "ray":  # a cluster named and not used: a mistake
        raise InputError("--ray-address: only with --executor ray (the cluster units run on)")
    folder = run.log_path()
    update: dict[str, Any] = {}
    max_tasks_given = "max_tasks" in run.model_fields_set
    if not max_tasks_given:
        update["max_tasks"] = SET_MAX_TASKS
    if run.job is None:  # a set is one job, named after it
        update["job"] = f"eval-set {folder.resolve().name}"
    run = run.model_copy(update=update)
    aliases = api._aliases(run)
    units = plan(api.load_tasks(tasks, run), run, aliases)
    api.check_fail_under(units)
    if run.dry_run:
        api._models(units, api._pool(run, aliases))
        return [EvalResult(u.task.name, u.model, "planned", Path(), SampleCounts(total=u.total))
                for u in units]  # fmt: skip
    prepare_log_dir(folder)
    manifest = Manifest.load(folder, run.job or "")
    keys = [_key(unit) for unit in units]
    manifest.units = {
        key: {"task": unit.task.name, "model": unit.model}
        for key, unit in zip(keys, units, strict=True)
    }
    latest = _latest_logs(folder, manifest)
    _refuse_foreign(folder, latest, manifest, run)
    given = run.model_dump(exclude_unset=True, exclude={"model", "log_dir"})
    results: list[EvalResult | None] = []
    to_run: list[Unit] = []
    for key, unit in zip(keys, units, strict=True):
        path, done = latest.get(key, (None, None))
        if done is not None and done.failure is None:
            done.skipped = True
            results.append(done)  # complete and successful: left as it is
            continue
        results.append(None)
        to_run.append(api._resume_unit(read_summary(path), given) if path else unit)
    if to_run:
        cluster = _cluster(run)
        pool = api._models(to_run, api._pool(run, aliases, cluster.limit if cluster else None))
        tries: dict[int, int] = {}

        def again(unit: Unit, result: EvalResult) -> tuple[Unit, float] | None:
            """A unit that ended in error runs again at once, resumed from its log."""
            done = tries.get(id(unit), 0)
            if result.status != "error" or done >= run.retry_attempts:
                return None
            if run.retry_connections < 1:
                limit = pool.get(unit.provider_model, unit.model_args).limit
                limit.resize(int(limit.total * run.retry_connections))
            retry = api._resume_unit(read_summary(result.log_path), given)
            tries[id(retry)] = done + 1
            return retry, min(MAX_RETRY_WAIT, run.retry_wait * 2**done)

        if cluster is None:
            ran = iter(api._run(to_run, pool, reporter, RunControl(), handle_signals,
                                run.max_tasks, again))  # fmt: skip
        else:  # as many at once as the cluster schedules, unless --max-tasks says
            cap = run.max_tasks if max_tasks_given else None
            try:
                ran = iter(cluster.run(to_run, pool, reporter or NullReporter(), RunControl(),
                                       handle_signals, cap, again, given, aliases))  # fmt: skip
            finally:
                cluster.close()
        results = [r if r is not None else next(ran) for r in results]
    final = [r for r in results if r is not None]
    for key, result in zip(keys, final, strict=True):
        seen = manifest.logs.get(key)
        if seen is not None and seen.log == result.log_path.name and seen.result:
            continue  # skipped, as the manifest already has it
        passed = result.failure is None
        manifest.saw(key, result.log_path, _started_at(result.log_path),
                      _to_dict(result) if passed else None)  # fmt: skip
    manifest.save()
    return final


def _cluster(run: RunConfig) -> RayExecutor | None:
    """The Ray cluster the units run on (`--executor ray`), else None: this process."""
    if run.executor != "ray":
        return None
    from evalrun.executor._ray import RayExecutor

    return RayExecutor.connect(run)


def _key(unit: Unit) -> str:
    spec = unit.task.spec.model_dump(mode="json", exclude_none=True)
    return unit_key(spec, unit.model, redact(unit.model_args))


def _latest_logs(folder: Path, manifest: Manifest) -> dict[str, tuple[Path, EvalResult | None]]:
    """Each unit's newest log in `folder`, by key, with its result when it finished
    complete and successful (else None). Keys of no unit of the set are there too (see
    `_refuse_foreign`). A log the manifest saw finish, unchanged since, is not opened."""
    from evalrun.api import result_from_summary

    remembered = {seen.log: (key, seen) for key, seen in manifest.logs.items()}
    newest: dict[str, tuple[float, Path, EvalResult | None]] = {}
    for path in find_logs(folder):
        key_seen = remembered.get(path.name)
        if key_seen is not None and key_seen[1].result and key_seen[1].unchanged(folder):
            key, seen = key_seen
            started, result = seen.started_at, _from_dict(seen.result or {}, path)
        else:
            try:
                summary = read_summary(path)
            except InputError:
                continue  # not a log evalrun can read (`log list` reports it)
            key, started = header_key(summary.header), summary.header.started_at or 0.0
            result = result_from_summary(summary)
            if summary.damaged or result.failure is not None:
                result = None
            elif key in manifest.units:
                manifest.saw(key, path, started, _to_dict(result))
        if key not in newest or started > newest[key][0]:
            newest[key] = (started, path, result)
    return {key: (path, result) for key, (_, path, result) in newest.items()}


def _refuse_foreign(
    folder: Path,
    latest: dict[str, tuple[Path, EvalResult | None]],
    manifest: Manifest,
    run: RunConfig,
) -> None:
    """Logs of no unit of this set (another set's, or of a task since changed) are refused
    unless `--log-dir-allow-dirty`: a set's results must be the set's alone."""
    foreign = sorted(path.name for key, (path, _) in latest.items() if key not in manifest.units)
    if foreign and not run.log_dir_allow_dirty:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        raise InputError(
            f"{len(foreign)} log(s) here belong to no unit of this set "
            f"({', '.join(foreign[:3])}{more}): a task changed, or another set wrote here; "
            "use another --log-dir, or --log-dir-allow-dirty",
            Location(folder),
        )


def _started_at(path: Path) -> float:
    """When the log's run started, from its header (its samples are not read)."""
    reader = open_log(path)
    try:
        return float(reader.header().get("started_at") or 0.0)
    finally:
        reader.close()


def _to_dict(result: EvalResult) -> dict[str, Any]:
    """A finished unit's result as the manifest keeps it (no need to open its log again)."""
    return {
        "task": result.task,
        "model": result.model,
        "status": result.status,
        "counts": result.counts.to_results(),
        "scores": result.scores,
        "thresholds": result.thresholds,
        "usage": result.usage,
        "duration": result.duration,
    }


def _from_dict(data: dict[str, Any], path: Path) -> EvalResult:
    return EvalResult(
        data["task"],
        data["model"],
        data["status"],
        path,
        SampleCounts.from_results(data["counts"]),
        scores=data["scores"],
        thresholds=data["thresholds"],
        usage=data["usage"],
        duration=data["duration"],
    )


__all__ = ["eval_set"]
