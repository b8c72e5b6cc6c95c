"""evalrun: evaluate language models from declarative YAML files.

The public API is re-exported here lazily, so `import evalrun` (and `evalrun --help`)
stays fast: nothing heavy is imported until it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "eval": "evalrun.api",
    "eval_retry": "evalrun.api",
    "load_tasks": "evalrun.api",
    "plan_eval": "evalrun.api",
    "RunConfig": "evalrun.config",
    "InputError": "evalrun.errors",
    "EvalResult": "evalrun.engine",
    "Sample": "evalrun.dataset",
    "Score": "evalrun.scorer",
    "TaskState": "evalrun.solver",
    "ChatMessage": "evalrun.model",
    "GenerateConfig": "evalrun.model",
    "ModelOutput": "evalrun.model",
    "read_log": "evalrun.log",
}

if TYPE_CHECKING:
    from evalrun.api import eval, eval_retry, load_tasks, plan_eval
    from evalrun.config import RunConfig
    from evalrun.dataset import Sample
    from evalrun.engine import EvalResult
    from evalrun.errors import InputError
    from evalrun.log import read_log
    from evalrun.model import ChatMessage, GenerateConfig, ModelOutput
    from evalrun.scorer import Score
    from evalrun.solver import TaskState


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evalrun' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ChatMessage",
    "EvalResult",
    "GenerateConfig",
    "InputError",
    "ModelOutput",
    "RunConfig",
    "Sample",
    "Score",
    "TaskState",
    "eval",
    "eval_retry",
    "load_tasks",
    "plan_eval",
    "read_log",
]
