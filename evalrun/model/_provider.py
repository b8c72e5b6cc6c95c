"""Providers: the interchangeable transports behind every `Model`, and the registry that
maps a model name's prefix (`mockllm` in `mockllm/model`) to one.

A provider turns a `ModelRequest` into a `ModelOutput` or raises `ModelError`.  It
knows nothing of retries, connection limits or usage totals: `Model` adds those,
the same way for the mock and for real APIs.  What does differ between providers is
declared by the provider's class, the way an httpx transport carries its own
behaviour, so that nothing outside a provider asks which provider a model name names:
how `Model` retries its transient errors, which model arguments are file paths, and
how to count tokens and price them without a call (`evalrun estimate`).

A provider's module is imported only when one of its models is looked up: litellm's
import takes seconds (tests/bench/models.py), and neither `--help` nor a mock run pays it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, ClassVar

from evalrun.errors import InputError
from evalrun.model._request import ModelRequest
from evalrun.model._types import ChatMessage, ModelOutput, count_message_tokens, count_tokens


class Provider:
    """The base of every provider: what `Model` calls, and its defaults."""

    #: request-level retries of transient errors when the user sets none (`--max-retries`)
    default_max_retries: ClassVar[int] = 5
    #: the base of the exponential backoff between retries, in seconds (`-M retry_backoff`)
    retry_backoff: ClassVar[float] = 1.0
    #: model arguments that name files: relative paths resolve against the task file
    path_args: ClassVar[frozenset[str]] = frozenset()

    #: the full model name, as the user wrote it (`mockllm/model`)
    name: str
    #: concurrent requests allowed when the user sets none (`--max-connections`)
    default_max_connections: int = 10

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        """Check `args` (the model's arguments) now: a mistake is an error before any call."""
        self.name = name

    def endpoint(self) -> str:
        """Requests to the same endpoint share one connection limit."""
        raise NotImplementedError

    def cache_identity(self) -> dict[str, Any]:
        """What, besides the request, decides an answer: provider, model, base URL."""
        raise NotImplementedError

    def ready(self) -> None:
        """Raise `SetupError` when this provider cannot make calls here (its API key is
        not set). A run checks this before it starts; `prompts` and `estimate` do not."""

    async def generate(self, request: ModelRequest) -> ModelOutput:
        raise NotImplementedError

    @classmethod
    def count_prompt_tokens(cls, name: str, messages: list[ChatMessage]) -> int:
        """Input tokens of `messages` as model `name` would count them (no call made)."""
        return count_message_tokens(messages)

    @classmethod
    def count_text_tokens(cls, name: str, text: str) -> int:
        """Tokens of `text` as model `name` would count them (no call made)."""
        return count_tokens(text)

    @classmethod
    def prices(cls, name: str, args: dict[str, Any]) -> tuple[float, float] | None:
        """(input, output) US dollars per million tokens: the model's `prices` setting;
        None when unknown."""
        prices = args.get("prices")
        if isinstance(prices, dict) and "input" in prices and "output" in prices:
            return float(prices["input"]), float(prices["output"])
        return None


#: provider classes by model-name prefix, as "module:Class" (imported on first use)
PROVIDERS: dict[str, str] = {
    "mockllm": "evalrun.model._mock:MockLLM",
    "openai-compatible": "evalrun.model._litellm:OpenAICompatible",
}
#: every other prefix names one of litellm's providers (`openai/...`, `anthropic/...`)
OTHER_PROVIDERS = "evalrun.model._litellm:LiteLLM"


def provider_class(model_name: str) -> type[Provider]:
    """The provider class of `provider/name`, its module imported now if it was not."""
    prefix, _, rest = model_name.partition("/")
    if not rest:
        raise InputError(
            f"model `{model_name}` must be written `provider/name` (e.g. `mockllm/model`)"
        )
    module, _, attribute = PROVIDERS.get(prefix, OTHER_PROVIDERS).partition(":")
    found: type[Provider] = getattr(importlib.import_module(module), attribute)
    return found


#: model arguments evalrun defines for every provider (the models file's settings,
#: `--model-base-url`, `retry_backoff`); none of them is ever a file path
SHARED_ARGS = frozenset(
    {"base_url", "api_key_env", "max_connections", "prices", "config", "retry_backoff"}
)


def resolve_path_args(model_name: str, args: dict[str, Any], base: Path) -> dict[str, Any]:
    """`args` with the provider's relative file paths made absolute against `base`.

    Only a provider's own arguments can be paths, so a model given none that could be
    (a models file's alias, say) is resolved without importing its provider; and a name
    that is not `provider/name` has none (making the model says what is wrong)."""
    relative = [key for key, value in args.items() if key not in SHARED_ARGS and _relative(value)]
    if not relative or "/" not in model_name:
        return dict(args)
    path_args = provider_class(model_name).path_args
    resolved = dict(args)
    for key in relative:
        if key in path_args:
            resolved[key] = str((base / args[key]).resolve())
    return resolved


def _relative(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not Path(value).is_absolute()
