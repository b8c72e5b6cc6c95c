"""Solvers: steps that run in order over a `TaskState` (messages, output, store)."""

from evalrun.solver import _steps  # noqa: F401  (registers the built-in steps)
from evalrun.solver._choices import letters, parse_letters
from evalrun.solver._state import Step, TaskState

__all__ = ["Step", "TaskState", "letters", "parse_letters"]
