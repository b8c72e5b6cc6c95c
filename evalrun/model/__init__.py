"""Models: one interface over the mock and real providers.

`Model` adds connection limits, timeouts, retries and usage to any `Provider`;
`ModelPool` shares them per endpoint within a run.
"""

from evalrun.model._cache import ResponseCache, default_cache_dir
from evalrun.model._model import Model, ModelPool
from evalrun.model._provider import PATH_ARGS, Provider, resolve_path_args
from evalrun.model._request import (
    ModelRequest,
    SampleScope,
    current_scope,
    enter_scope,
)
from evalrun.model._types import ChatMessage, GenerateConfig, ModelOutput, Usage, count_tokens

__all__ = [
    "PATH_ARGS",
    "ChatMessage",
    "GenerateConfig",
    "Model",
    "ModelOutput",
    "ModelPool",
    "ModelRequest",
    "Provider",
    "ResponseCache",
    "SampleScope",
    "Usage",
    "count_tokens",
    "current_scope",
    "default_cache_dir",
    "enter_scope",
    "resolve_path_args",
]
