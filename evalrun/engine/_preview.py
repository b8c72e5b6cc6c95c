"""What a run would send, and what it might cost, without calling any model.

The solver steps run as usual until their first model call, which is captured instead
of sent: the messages and settings shown are exactly those a real run sends first.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

import anyio

from evalrun.engine._unit import Unit
from evalrun.errors import ModelError
from evalrun.model import ChatMessage, Model, ModelOutput, ModelPool, ModelRequest, Provider
from evalrun.model._estimate import count_prompt_tokens, count_text_tokens, prices_for
from evalrun.model._limit import ConnectionLimit
from evalrun.solver import TaskState


class _Captured(ModelError):
    def __init__(self, request: ModelRequest) -> None:
        super().__init__("captured", transient=False)
        self.request = request


class _CaptureProvider(Provider):
    """Stands in for the model: records the first request and stops the sample."""

    default_max_connections = 1_000_000
    default_max_retries = 0

    def __init__(self, name: str) -> None:
        self.name = name

    def endpoint(self) -> str:
        return "capture"

    def cache_identity(self) -> dict[str, Any]:
        return {}

    def ready(self) -> None:
        pass

    async def generate(self, request: ModelRequest) -> ModelOutput:
        raise _Captured(request)


@dataclass
class Prompt:
    task: str
    model: str
    sample_id: str | int
    messages: list[ChatMessage]
    settings: dict[str, Any]
    #: the survey question it asks (None for a task's sample)
    question: str | None = None
    #: its response cache key, when it does not depend on earlier answers
    cache_key: str | None = None


def first_prompts(unit: Unit, limit: int | None = None) -> list[Prompt]:
    """The first model request of each sample (epoch 1) of a unit; for a survey, the
    request of each question of each interview."""
    capture = Model(
        _CaptureProvider(unit.provider_model), ConnectionLimit(1_000_000), max_retries=0
    )
    defaults = unit.model_args.get("config")
    out: list[Prompt] = []
    preview = getattr(unit.task.steps[0], "__self__", None) if unit.task.steps else None
    if hasattr(preview, "preview"):
        return _question_prompts(unit, preview, limit)

    async def one(sample: Any) -> None:
        state = TaskState(
            sample, 1, capture, ModelPool(), unit.task.spec.config, unit.task.spec.args
        )
        try:
            for step in unit.task.steps:
                await step(state)
        except _Captured as captured:
            settings = captured.request.config.settings()
            if defaults:
                settings = {**defaults, **settings}
            out.append(
                Prompt(unit.task.name, unit.model, sample.id, captured.request.messages, settings)
            )

    async def run() -> None:
        for sample in unit.samples[:limit] if limit else unit.samples:
            await one(sample)

    anyio.run(run)
    return out


def _question_prompts(unit: Unit, interviewer: Any, limit: int | None) -> list[Prompt]:
    from evalrun.model import ModelPool, ResponseCache

    model = ModelPool().get(unit.provider_model, unit.model_args)
    identity = model.provider.cache_identity()
    settings = unit.task.spec.config  # with the model's defaults under it, as a call merges them
    if model.defaults is not None:
        settings = model.defaults.merged(settings)
    out = []
    for sample in unit.samples[:limit] if limit else unit.samples:
        for question, messages in interviewer.preview(sample):
            request = ModelRequest(messages, settings, 1, 1, 0, None, str(sample.id))
            text = "".join(m.content for m in messages)
            key = None if "<answer to " in text else ResponseCache.key(identity, request)
            out.append(Prompt(unit.task.name, unit.model, sample.id, messages,
                              settings.settings(), question, key))  # fmt: skip
    return out


@dataclass
class Estimate:
    task: str
    model: str
    requests: int
    input_tokens: int
    output_low: int
    output_high: int
    cost_low: float | None
    cost_high: float | None


DEFAULT_MAX_TOKENS = 1024


def estimate(unit: Unit) -> Estimate:
    """Tokens and cost of a unit's first model call per sample x epoch, as a range: output
    from a typical answer (the targets' length) up to `max_tokens`."""
    prompts = first_prompts(unit)
    epochs = unit.epochs
    input_tokens = (
        sum(count_prompt_tokens(unit.provider_model, p.messages) for p in prompts) * epochs
    )
    targets = [
        count_text_tokens(unit.provider_model, " ".join(s.targets))
        for s in unit.samples
        if s.targets
    ]
    typical = max(1, math.ceil(statistics.median(targets))) if targets else 100
    max_tokens = next(
        (p.settings.get("max_tokens") for p in prompts if p.settings.get("max_tokens")), None
    )
    ceiling = int(max_tokens or DEFAULT_MAX_TOKENS)
    requests = len(prompts) * epochs
    low, high = min(typical, ceiling) * requests, ceiling * requests
    prices = prices_for(unit.provider_model, unit.model_args)
    if prices is None:
        cost_low = cost_high = None
    else:
        cost_low = (input_tokens * prices[0] + low * prices[1]) / 1_000_000
        cost_high = (input_tokens * prices[0] + high * prices[1]) / 1_000_000
    return Estimate(
        unit.task.name, unit.model, requests, input_tokens, low, high, cost_low, cost_high
    )


__all__ = ["Estimate", "Prompt", "estimate", "first_prompts"]
