"""Surveys: typed questions asked of agents x scenarios x models, on the task engine.

A survey file (`kind: survey`) compiles into an ordinary task (`_load.py`): one sample
per interview, the `interview` solver step (`_interview.py`) asking the questions, whose
types are a registry kind (`_questions.py`). Checks and planning are in `_check.py`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evalrun.survey._model import Question, Rule, Survey

__all__ = ["Question", "Rule", "Survey", "load_survey", "survey_of_log"]


def load_survey(path: str | Path) -> Survey:
    """Read, check and plan a survey file (its interviews are not read: `survey flow`
    needs only the questions and rules)."""
    from dataclasses import replace

    from evalrun.config import RunConfig
    from evalrun.errors import InputError, Location
    from evalrun.spec import build_source, read_task_file

    sources = read_task_file(Path(path))
    source = sources[0]
    if source.spec.dataset.interviews is None:
        raise InputError("not a survey file (it has no `kind: survey`)", Location(path))
    task = build_source(source, RunConfig())
    step = task.steps[0]
    plan = step.__self__.plan  # type: ignore[attr-defined]
    return replace(plan.survey, name=task.name, path=Path(path))


def survey_of_log(header: dict[str, Any]) -> Survey | None:
    """The survey a log's run asked (rebuilt from its header's task spec, as `eval-retry`
    rebuilds a task), None when the log is not a survey's."""
    from dataclasses import replace

    from evalrun.spec import TaskSpec, build

    spec = TaskSpec.model_validate(header["task_spec"])
    if spec.dataset.interviews is None:
        return None
    base = Path(header.get("base_dir") or ".")
    task = build(spec, base_dir=base, file=None, source=None, samples=[], max_prompt_chars=None)
    plan = task.steps[0].__self__.plan  # type: ignore[attr-defined]
    return replace(plan.survey, name=str(header.get("task") or task.name))
