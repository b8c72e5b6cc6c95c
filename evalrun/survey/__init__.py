"""Surveys: typed questions asked of agents x scenarios x models, on the task engine.

A survey file (`kind: survey`) compiles into an ordinary task (`_load.py`): one sample
per interview, the `interview` solver step (`_interview.py`) asking the questions, whose
types are a registry kind (`_questions.py`). Checks and planning are in `_check.py`.
"""

from __future__ import annotations

from pathlib import Path

from evalrun.survey._model import Question, Rule, Survey

__all__ = ["Question", "Rule", "Survey", "load_survey"]


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
