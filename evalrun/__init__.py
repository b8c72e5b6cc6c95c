"""evalrun: evaluate language models from declarative YAML files.

The public API is re-exported here lazily, so `import evalrun` (and `evalrun --help`)
stays fast: nothing heavy is imported until it is used. `dir(evalrun)` lists it:
running (`eval`, `eval_retry`, `score`, `load_tasks`, `plan_eval`, `RunConfig`, `EvalResult`,
`InputError`), reading logs (`read_log`, `EvalLog`, `results`), comparing two runs (`diff`,
`Comparison`), and writing solver steps and scorers (`TaskState`, `Sample`, `ChatMessage`,
`GenerateConfig`, `ModelOutput`, `Usage`, `Score` and its values `CORRECT`, `INCORRECT`,
`PARTIAL`, `NOANSWER`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "eval": "evalrun.api",
    "eval_retry": "evalrun.api",
    "load_tasks": "evalrun.api",
    "plan_eval": "evalrun.api",
    "score": "evalrun._score",
    "diff": "evalrun._diff",
    "Comparison": "evalrun._diff",
    "RunConfig": "evalrun.config",
    "InputError": "evalrun.errors",
    "EvalResult": "evalrun.engine",
    "Sample": "evalrun.dataset",
    "Score": "evalrun.scorer",
    "CORRECT": "evalrun.scorer",
    "INCORRECT": "evalrun.scorer",
    "PARTIAL": "evalrun.scorer",
    "NOANSWER": "evalrun.scorer",
    "TaskState": "evalrun.solver",
    "ChatMessage": "evalrun.model",
    "GenerateConfig": "evalrun.model",
    "ModelOutput": "evalrun.model",
    "Usage": "evalrun.model",
    "read_log": "evalrun.log",
    "EvalLog": "evalrun.log",
    "results": "evalrun.rows",
    "jobs": "evalrun.jobs",
}

if TYPE_CHECKING:
    from evalrun import jobs
    from evalrun._diff import Comparison, diff
    from evalrun._score import score
    from evalrun.api import eval, eval_retry, load_tasks, plan_eval
    from evalrun.config import RunConfig
    from evalrun.dataset import Sample
    from evalrun.engine import EvalResult
    from evalrun.errors import InputError
    from evalrun.log import EvalLog, read_log
    from evalrun.model import ChatMessage, GenerateConfig, ModelOutput, Usage
    from evalrun.rows import results
    from evalrun.scorer import CORRECT, INCORRECT, NOANSWER, PARTIAL, Score
    from evalrun.solver import TaskState


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalrun' has no attribute {name!r}")
    import importlib

    if module == f"evalrun.{name}":  # a module itself (`evalrun.jobs`)
        return importlib.import_module(module)
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    """The public API (what `__getattr__` exports, and `__version__`), without importing it."""
    return sorted([*__all__, "__version__"])


__all__ = [
    "CORRECT",
    "INCORRECT",
    "NOANSWER",
    "PARTIAL",
    "ChatMessage",
    "Comparison",
    "EvalLog",
    "EvalResult",
    "GenerateConfig",
    "InputError",
    "ModelOutput",
    "RunConfig",
    "Sample",
    "Score",
    "TaskState",
    "Usage",
    "diff",
    "eval",
    "eval_retry",
    "jobs",
    "load_tasks",
    "plan_eval",
    "read_log",
    "results",
    "score",
]
