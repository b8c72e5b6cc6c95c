"""Token counts and prices without calling a model (for `evalrun estimate`): each model's
provider class says how (`Provider.count_prompt_tokens`, `count_text_tokens`, `prices`)."""

from __future__ import annotations

from typing import Any

from evalrun.model._provider import provider_class
from evalrun.model._types import ChatMessage


def count_prompt_tokens(provider_model: str, messages: list[ChatMessage]) -> int:
    """Input tokens of `messages` as the model would count them."""
    return provider_class(provider_model).count_prompt_tokens(provider_model, messages)


def count_text_tokens(provider_model: str, text: str) -> int:
    """Tokens of `text` as the model would count them."""
    return provider_class(provider_model).count_text_tokens(provider_model, text)


def prices_for(provider_model: str, args: dict[str, Any]) -> tuple[float, float] | None:
    """(input, output) US dollars per million tokens; None when unknown."""
    return provider_class(provider_model).prices(provider_model, args)
