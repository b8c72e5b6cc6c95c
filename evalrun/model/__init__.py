"""Models: one interface over the mock and real providers.

`Model` adds connection limits, timeouts, retries and usage to any `Provider`;
`ModelPool` shares them per endpoint within a run.
"""

from evalrun.model._cache import ResponseCache
from evalrun.model._model import Model, ModelPool
from evalrun.model._provider import Provider, resolve_path_args
from evalrun.model._request import ModelRequest, SampleScope, enter_scope
from evalrun.model._types import ChatMessage, GenerateConfig, ModelOutput, ToolCall, Usage

__all__ = [
    "ChatMessage",
    "GenerateConfig",
    "Model",
    "ModelOutput",
    "ModelPool",
    "ModelRequest",
    "Provider",
    "ResponseCache",
    "SampleScope",
    "ToolCall",
    "Usage",
    "enter_scope",
    "resolve_path_args",
]
