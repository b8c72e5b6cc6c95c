"""Solvers: steps that run in order over a `TaskState` (messages, output, store)."""

from evalrun.solver import _agent, _steps  # noqa: F401  (register the built-in steps)
from evalrun.solver._choices import letters, parse_letters
from evalrun.solver._state import Step, TaskState
from evalrun.solver._trajectory import Trajectory

__all__ = ["Step", "TaskState", "Trajectory", "letters", "parse_letters"]
