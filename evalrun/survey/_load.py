"""Read a survey file and compile it into a task: one sample per interview (agents x
scenarios, `evalrun.dataset.interview_samples`), the `interview` step as its solver,
iterations as epochs. The engine, limits, cache, logs and eval-retry are the tasks' own.

The compiled task keeps the survey's source map, re-keyed to the task's paths, so every
error found while building it (a question's options, a rule's expression) is reported
at the line and column of the survey file where the user wrote it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from evalrun.spec._errors import explain
from evalrun.spec._load import TaskSource
from evalrun.spec._task import TaskSpec
from evalrun.spec._yaml import PathKey, SourceMap
from evalrun.survey._spec import SurveySpec

#: where each key of a survey file goes in the task it compiles to
_STEP: PathKey = ("solver", 0, "interview")
_MOVED: dict[str, PathKey] = {
    "questions": (*_STEP, "questions"),
    "rules": (*_STEP, "rules"),
    "memory": (*_STEP, "memory"),
    "agent_instruction": (*_STEP, "agent_instruction"),
    "answer_retries": (*_STEP, "answer_retries"),
    "agents": ("dataset", "interviews", "agents"),
    "scenarios": ("dataset", "interviews", "scenarios"),
    "iterations": ("epochs", "count"),
}
#: keys that are the same in both
_KEPT = (
    "name", "description", "version", "tags", "metadata", "models", "model_args", "config",
    "limits", "thresholds", "fail_on_error",
)  # fmt: skip


def read_survey(data: dict[str, Any], path: Path, source: SourceMap) -> TaskSource:
    """The task a survey file compiles to, with its errors located in the survey file."""
    try:
        survey = SurveySpec.model_validate(data)
    except ValidationError as exc:
        raise explain(exc, source) from None
    step: dict[str, Any] = {
        "questions": data["questions"],
        "rules": data.get("rules", []),
        "memory": data.get("memory", "none"),
        "answer_retries": survey.answer_retries,
    }
    if survey.agent_instruction is not None:
        step["agent_instruction"] = survey.agent_instruction
    task: dict[str, Any] = {k: data[k] for k in _KEPT if k in data}
    task.update(
        name=survey.name or path.name.split(".")[0],
        dataset={"interviews": {"agents": data.get("agents"), "scenarios": data.get("scenarios")}},
        solver=[{"interview": step}],
        scorer=["answered"],
        epochs={"count": survey.iterations},
    )
    try:
        spec = TaskSpec.model_validate(task)
    except ValidationError as exc:  # (the survey's own schema has passed: should not happen)
        raise explain(exc, source) from None
    return TaskSource(spec, path, _rekeyed(source), ())


def _rekeyed(source: SourceMap) -> SourceMap:
    """`source` with each survey key also found at its place in the compiled task."""
    moved = SourceMap(source.path, dict(source.values), dict(source.keys))
    for table, out in ((source.values, moved.values), (source.keys, moved.keys)):
        for where, mark in table.items():
            if where and isinstance(where[0], str) and where[0] in _MOVED:
                out[(*_MOVED[where[0]], *where[1:])] = mark
    for where in ((), ("dataset",), ("dataset", "interviews"), ("solver",), ("solver", 0)):
        moved.values.setdefault(where, source.values.get((), (1, 1)))
    moved.values[_STEP] = source.values.get(("questions",), (1, 1))
    return moved
