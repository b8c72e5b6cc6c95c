"""Token counts and prices without calling a model (for `evalrun estimate`)."""

from __future__ import annotations

from typing import Any

from evalrun.model._types import ChatMessage, count_message_tokens, count_tokens


def count_prompt_tokens(provider_model: str, messages: list[ChatMessage]) -> int:
    """Input tokens as the model would count them: litellm's counter for real models, the
    mock's own estimate for `mockllm/...` (so estimates match what the mock reports)."""
    if provider_model.startswith("mockllm/"):
        return count_message_tokens(messages)
    from evalrun.model._litellm import load_litellm, target_model

    litellm = load_litellm()
    try:
        return int(
            litellm.token_counter(
                model=target_model(provider_model), messages=[m.to_dict() for m in messages]
            )
        )
    except Exception:
        return count_message_tokens(messages)


def count_text_tokens(provider_model: str, text: str) -> int:
    if provider_model.startswith("mockllm/") or not text:
        return count_tokens(text)
    from evalrun.model._litellm import load_litellm, target_model

    try:
        return int(load_litellm().token_counter(model=target_model(provider_model), text=text))
    except Exception:
        return count_tokens(text)


def prices_for(provider_model: str, args: dict[str, Any]) -> tuple[float, float] | None:
    """(input, output) US dollars per million tokens: the model's settings, else litellm's
    price map; None when unknown. The mock is free."""
    prices = args.get("prices")
    if isinstance(prices, dict) and "input" in prices and "output" in prices:
        return float(prices["input"]), float(prices["output"])
    if provider_model.startswith("mockllm/"):
        return 0.0, 0.0
    from evalrun.model._litellm import load_litellm, target_model

    cost_map = load_litellm().model_cost
    target = target_model(provider_model)
    entry = cost_map.get(target) or cost_map.get(target.partition("/")[2]) or {}
    per_in, per_out = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if per_in is None or per_out is None:
        return None
    return per_in * 1_000_000, per_out * 1_000_000
