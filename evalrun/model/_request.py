"""What a provider is asked, and the per-sample context the engine sets for it.

Each sample worker enters one scope (in its own task's context) and sets its epoch
and attempt for every sample it runs; every model call made meanwhile (by built-in
steps, user steps or scorers) carries them in its `ModelRequest`.  Deterministic mocks
and the response cache key on them.  One mutable scope per worker, rather than a
context variable set and reset per sample, keeps the per-sample path short.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from evalrun.model._types import ChatMessage, GenerateConfig


@dataclass(slots=True)
class SampleScope:
    epoch: int = 1
    attempt: int = 1


_scope: ContextVar[SampleScope] = ContextVar("evalrun_sample_scope", default=SampleScope())  # noqa: B039 (never mutated)


def current_scope() -> SampleScope:
    return _scope.get()


def enter_scope() -> SampleScope:
    """Give the current task (a sample worker) its own scope, to update per sample."""
    scope = SampleScope()
    _scope.set(scope)
    return scope


@dataclass(slots=True)
class ModelRequest:
    """One call as a provider sees it. `retry` counts request-level retries from 0."""

    messages: list[ChatMessage]
    config: GenerateConfig
    epoch: int = 1
    attempt: int = 1
    retry: int = 0
    #: seconds the provider's own client should give the request (evalrun enforces it too)
    timeout: float | None = None
    #: who asks, when identical messages from two askers must not share a cached answer
    #: (two survey agents with the same traits); part of the cache key when set
    salt: str | None = None
    #: the tools offered, as OpenAI-format function schemas (`Tool.schema()`); None: none
    tools: list[dict[str, Any]] | None = None

    def prompt_text(self) -> str:
        """All message contents joined by newlines: what `responses` regexes search."""
        return "\n".join(m.content for m in self.messages)
