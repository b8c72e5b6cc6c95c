"""Resolve a task spec against a run config and build what the engine runs.

Resolving applies the command line's overrides (task args, epochs, reducers, limits,
generation settings, fail_on_error) to the spec, so the log records the task as it
actually ran.  Building looks every component up in the registry, compiles templates,
loads the dataset and checks templates against it: every mistake a user can make
surfaces here, at its line, before any model is called.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalrun.config import RunConfig
from evalrun.dataset import (
    FieldMap,
    Sample,
    interview_samples,
    read_rows,
    read_table,
    rows_to_samples,
    shuffled,
)
from evalrun.errors import InputError, Location
from evalrun.registry import BuildContext, Kind, ModelNeed, Requirement, lookup
from evalrun.scorer import Metric, Reducer, Scorer
from evalrun.solver import Step
from evalrun.spec._errors import explain
from evalrun.spec._load import TaskSource
from evalrun.spec._task import SAMPLE_VARIABLES, Component, TaskSpec
from evalrun.spec._yaml import PathKey, SourceMap
from evalrun.strict import suggest
from evalrun.template import DEFAULT_MAX_CHARS, Template
from evalrun.tools import Tool, build_tools

Locate = Callable[[PathKey], Location | None]


@dataclass
class ScorerDef:
    name: str
    score: Scorer
    metrics: list[tuple[str, Metric]]


@dataclass
class Task:
    """A task ready to run: resolved spec, samples and built components."""

    spec: TaskSpec
    file: Path | None
    base_dir: Path
    samples: list[Sample]
    steps: list[Step]
    scorers: list[ScorerDef]
    reducers: list[tuple[str, Reducer]]
    templates: list[Template] = field(default_factory=list)
    requirements: list[Requirement] = field(default_factory=list)
    #: models its components call besides the model under test (a grader)
    models: list[ModelNeed] = field(default_factory=list)
    #: where a key of the task was written (None when rebuilt from a log)
    locate: Locate = field(default=lambda _where: None)
    #: the task's `tools:`, built (imported, described, checked): what `agent` steps offer
    #: unless they name their own
    tools: list[Tool] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name or "task"


def resolve(spec: TaskSpec, run: RunConfig, locate: Locate) -> TaskSpec:
    """The spec with the run config's overrides applied (what the log records)."""
    update: dict[str, Any] = {}
    if run.task_args:
        unknown = [k for k in run.task_args if k not in spec.args]
        if unknown:
            declared = ", ".join(sorted(spec.args)) or "none"
            raise InputError(
                f"-T {unknown[0]}: task `{spec.name}` has no argument `{unknown[0]}`"
                f"{suggest(unknown[0], set(spec.args))} (its arguments: {declared})"
            )
        update["args"] = {**spec.args, **run.task_args}
    if run.epochs_reducer is not None:  # the command line's own: blamed on the option
        count = run.epochs or spec.epochs.count
        for name in run.epochs_reducer:
            try:
                problem = _epochs_problem(name, lookup("reducer", name).info, count)
            except InputError as exc:
                problem = exc.message
            if problem:
                raise InputError(f"--epochs-reducer: {problem}")
    if run.epochs is not None or run.epochs_reducer is not None:
        epochs: dict[str, Any] = {}
        if run.epochs is not None:
            epochs["count"] = run.epochs
        if run.epochs_reducer is not None:
            epochs["reducer"] = run.epochs_reducer
        update["epochs"] = spec.epochs.model_copy(update=epochs)
    limits = {
        k: v
        for k, v in {
            "time": run.time_limit,
            "tokens": run.token_limit,
            "messages": run.message_limit,
        }.items()
        if v is not None
    }
    if limits:
        update["limits"] = spec.limits.model_copy(update=limits)
    if run.generate.settings():
        update["config"] = spec.config.merged(run.generate)
    if run.fail_on_error is not None:
        update["fail_on_error"] = run.fail_on_error
    if spec.dataset.shuffle and spec.dataset.seed is None:
        update["dataset"] = spec.dataset.model_copy(update={"seed": random.randrange(2**31)})
    return spec.model_copy(update=update) if update else spec


def build(
    spec: TaskSpec,
    *,
    base_dir: Path,
    file: Path | None = None,
    source: SourceMap | None = None,
    prefix: PathKey = (),
    samples: list[Sample] | None = None,
    max_prompt_chars: int | None = None,
) -> Task:
    """Build a resolved spec. `samples` (from a log) replaces reading the dataset."""

    def locate(where: PathKey) -> Location | None:
        return source.locate((*prefix, *where)) if source else None

    def locate_key(where: PathKey) -> Location | None:
        return source.locate((*prefix, *where), key=True) if source else None

    def fail(exc: ValidationError, where: PathKey) -> InputError:
        if source is None:
            return InputError(f"{'.'.join(map(str, where))}: {exc.errors()[0]['msg']}")
        return explain(exc, source, (*prefix, *where))

    seed = spec.dataset.seed if spec.dataset.seed is not None else spec.config.seed
    ctx = BuildContext(
        base_dir,
        frozenset(SAMPLE_VARIABLES | set(spec.args)),
        (),
        locate,
        seed,
        max_prompt_chars or DEFAULT_MAX_CHARS,
        locate_key=locate_key,
    )

    def make(kind: Kind, component: Component, where: PathKey) -> tuple[str, Any, dict[str, Any]]:
        """Build a component: (its name, the built thing, its entry's info). The name is
        the component's `name:` when it takes one and is given one (`python: {name: x}`)."""
        name, value = (
            (component, None) if isinstance(component, str) else next(iter(component.items()))
        )
        try:
            entry = lookup(kind, name)
        except InputError as exc:
            raise InputError(
                exc.message,
                locate_key((*where, name)) if isinstance(component, dict) else locate(where),
            ) from None
        try:
            args = entry.arguments(value)
        except ValidationError as exc:
            raise fail(exc, (*where, name)) from None
        except InputError as exc:
            raise InputError(exc.message, locate((*where, name))) from None
        label = args.pop("name", None) if entry.info.get("named") else None
        built = (
            entry.factory(ctx.at(*where, name), **args)
            if entry.takes_context
            else entry.factory(**args)
        )
        return label or name, built, entry.info

    tools = build_tools(spec.tools or [], ctx.at("tools"))
    ctx = replace(ctx, tools=tuple(tools))
    steps = [make("solver", c, ("solver", i))[1] for i, c in enumerate(spec.solver)]
    built_scorers = [make("scorer", c, ("scorer", i)) for i, c in enumerate(spec.scorer)]
    names = _scorer_names(spec.scorer, built_scorers, locate)
    scorers = [
        ScorerDef(unique, score, [(m, make("metric", m, ())[1]) for m in info.get("metrics", ())])
        for unique, (_, score, info) in zip(names, built_scorers, strict=True)
    ]
    _apply_metrics(spec, scorers, make, locate)
    reducers = []
    for i, name in enumerate(spec.epochs.reducer):
        _, reduce, info = make("reducer", name, ("epochs", "reducer", i))
        problem = _epochs_problem(name, info, spec.epochs.count)
        if problem:
            raise InputError(problem, locate(("epochs", "reducer", i)))
        reducers.append((name, reduce))
    _check_thresholds(spec, scorers, locate_key)
    if samples is None:
        samples = load_samples(spec, base_dir, locate)
    task = Task(
        spec,
        file,
        base_dir,
        samples,
        steps,
        scorers,
        reducers,
        ctx.templates,
        ctx.requirements,
        ctx.models,
        locate,
        tools,
    )
    check_samples(task)
    return task


def build_source(task: TaskSource, run: RunConfig) -> Task:
    spec = resolve(task.spec, run, task.locate)
    return build(
        spec,
        base_dir=task.path.parent.resolve(),
        file=task.path.resolve(),
        source=task.source,
        prefix=task.prefix,
        max_prompt_chars=run.max_prompt_chars,
    )


def _scorer_names(
    components: list[Component], built: list[tuple[str, Any, dict[str, Any]]], locate: Locate
) -> list[str]:
    """Each scorer's key in results, `metrics:` and `thresholds:`. A name given with
    `name:` is kept and must be unique (among given names and the other scorers' own
    names); a repeated unnamed scorer gets a suffix (`exact`, `exact_2`)."""
    names = [name for name, _, _ in built]
    given = {
        i: name
        for i, (component, (name, _, info)) in enumerate(zip(components, built, strict=True))
        if info.get("named")
        and isinstance(component, dict)
        and isinstance(value := next(iter(component.values())), dict)
        and value.get("name") is not None
    }
    seen: dict[str, int] = {}
    for i, name in given.items():
        clash = seen.get(name)
        if clash is None:
            clash = next(
                (j for j, other in enumerate(names) if other == name and j not in given), None
            )
        if clash is not None:
            raise InputError(
                f"scorer name `{name}` is already used by scorer {clash + 1}; "
                "give each scorer its own name",
                locate(("scorer", i, _name(components[i]), "name")),
            )
        seen[name] = i
    taken = set(given.values())
    out = []
    for i, name in enumerate(names):
        if i not in given:
            if name in taken:
                name = next(f"{name}_{n}" for n in range(2, 10_000) if f"{name}_{n}" not in taken)
            taken.add(name)
        out.append(name)
    return out


def _apply_metrics(spec: TaskSpec, scorers: list[ScorerDef], make: Any, locate: Locate) -> None:
    if spec.metrics is None:
        return
    if isinstance(spec.metrics, list):
        built = [
            (_name(c), make("metric", c, ("metrics", i))[1]) for i, c in enumerate(spec.metrics)
        ]
        for scorer in scorers:
            scorer.metrics = list(built)
        return
    by_name = {s.name: s for s in scorers}
    for scorer_name, components in spec.metrics.items():
        if scorer_name not in by_name:
            raise InputError(
                f"metrics: no scorer named `{scorer_name}`{suggest(scorer_name, set(by_name))}",
                locate(("metrics", scorer_name)),
            )
        by_name[scorer_name].metrics = [
            (_name(c), make("metric", c, ("metrics", scorer_name, i))[1])
            for i, c in enumerate(components)
        ]


def _epochs_problem(name: str, info: dict[str, Any], count: int) -> str | None:
    """What is wrong with reducer `name` over `count` epochs (`pass_at_3` needs 3)."""
    needed = int(info.get("epochs", 1))
    if needed > count:
        return f"reducer `{name}` needs at least {needed} epochs (the task runs {count})"
    return None


def _name(component: Component) -> str:
    return component if isinstance(component, str) else next(iter(component))


def _check_thresholds(spec: TaskSpec, scorers: list[ScorerDef], locate: Locate) -> None:
    valid = {m for s in scorers for m, _ in s.metrics} | {
        f"{s.name}.{m}" for s in scorers for m, _ in s.metrics
    }
    for key in spec.thresholds:
        if key not in valid:
            raise InputError(
                f"thresholds: `{key}` is not a metric of this task{suggest(key, valid)} "
                f"(known: {', '.join(sorted(valid)) or 'none'})",
                locate(("thresholds", key)),
            )


def load_samples(spec: TaskSpec, base_dir: Path, locate: Locate) -> list[Sample]:
    """Read and map the dataset, then shuffle it with its seed."""
    data = spec.dataset
    given = data.fields.model_dump(exclude_none=True)
    given.pop("metadata", None)
    fields = FieldMap(
        input=data.fields.input or "input",
        target=data.fields.target or "target",
        id=data.fields.id or "id",
        choices=data.fields.choices or "choices",
        metadata=tuple(data.fields.metadata),
        explicit=frozenset(given),
    )
    if data.interviews is not None:
        table = data.interviews
        samples = interview_samples(
            read_table(table.agents, "agents", base_dir, _under(locate, "agents")),
            read_table(table.scenarios, "scenarios", base_dir, _under(locate, "scenarios"))[0],
        )
    elif data.samples is not None:
        rows = [
            (locate(("dataset", "samples", i)) or Location("<inline>", i + 1), row)
            for i, row in enumerate(data.samples)
        ]
        samples = rows_to_samples(rows, fields)
    else:
        path = Path(data.path or "")
        path = path if path.is_absolute() else base_dir / path
        if not path.exists():
            raise InputError(f"dataset file not found: {path}", locate(("dataset", "path")))
        samples = rows_to_samples(read_rows(path, data.format), fields)
    if not samples:
        raise InputError("the dataset has no samples", locate(("dataset",)))
    if data.shuffle:
        samples = shuffled(samples, data.seed or 0)
    return samples


def _under(locate: Locate, key: str) -> Locate:
    return lambda where: locate(("dataset", "interviews", key, *where[1:]))


def check_samples(task: Task) -> None:
    """Before any model call: every `metadata.X` a template reads exists in every sample,
    and every sample has what each component requires of it (`multiple_choice`: choices)."""
    for requirement in task.requirements:
        for sample in task.samples:
            problem = requirement.check(sample)
            if problem is not None:
                raise InputError(f"sample `{sample.id}` {problem}", requirement.location)
    for template in task.templates:
        if not template.metadata_keys:
            continue
        for sample in task.samples:
            missing = template.missing_metadata(sample.metadata)
            if missing is not None:
                raise InputError(
                    f"unknown placeholder `metadata.{missing}`: sample `{sample.id}` has no metadata "
                    f"`{missing}` (it has: {', '.join(sorted(sample.metadata)) or 'none'})",
                    template.location,
                )
