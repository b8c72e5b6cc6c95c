"""The provider protocol: the interchangeable transport behind every `Model`.

A provider turns a `ModelRequest` into a `ModelOutput` or raises `ModelError`.  It
knows nothing of retries, connection limits or usage totals: `Model` adds those,
the same way for the mock and for real APIs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from evalrun.model._request import ModelRequest
from evalrun.model._types import ModelOutput


class Provider(Protocol):
    #: the full model name, as the user wrote it (`mockllm/model`)
    name: str
    #: concurrent requests allowed when the user sets none
    default_max_connections: int
    #: request-level retries of transient errors when the user sets none
    default_max_retries: int

    def endpoint(self) -> str:
        """Requests to the same endpoint share one connection limit."""
        ...

    def cache_identity(self) -> dict[str, Any]:
        """What, besides the request, decides an answer: provider, model, base URL."""
        ...

    def ready(self) -> None:
        """Raise `SetupError` when this provider cannot make calls here (its API key is
        not set). A run checks this before it starts; `prompts` and `estimate` do not."""
        ...

    async def generate(self, request: ModelRequest) -> ModelOutput: ...


ProviderFactory = Callable[[str, dict[str, Any]], Provider]

#: model argument names whose relative paths resolve against the task file, per provider
PATH_ARGS: dict[str, frozenset[str]] = {"mockllm": frozenset({"responses"})}


def resolve_path_args(model_name: str, args: dict[str, Any], base: Path) -> dict[str, Any]:
    """`args` with the provider's relative file paths made absolute against `base`."""
    path_args = PATH_ARGS.get(model_name.partition("/")[0], frozenset())
    return {
        key: str((base / value).resolve())
        if key in path_args and isinstance(value, str) and value and not Path(value).is_absolute()
        else value
        for key, value in args.items()
    }


def provider_factory(model_name: str) -> ProviderFactory:
    """The factory for `provider/name`. Imports the provider's module only when asked."""
    from evalrun.errors import InputError

    prefix, _, rest = model_name.partition("/")
    if not rest:
        raise InputError(
            f"model `{model_name}` must be written `provider/name` (e.g. `mockllm/model`)"
        )
    if prefix == "mockllm":
        from evalrun.model._mock import MockLLM

        return MockLLM
    from evalrun.model._litellm import LiteLLM  # imports litellm itself only when called

    return LiteLLM
