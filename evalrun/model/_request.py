"""What a provider is asked, and the per-sample context the engine sets for it.

The engine enters a sample scope once per sample attempt; every model call made while
it runs (by built-in steps, user steps or scorers) carries the epoch and attempt in
its `ModelRequest`.  Deterministic mocks and the response cache key on them.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass

from evalrun.model._types import ChatMessage, GenerateConfig


@dataclass(slots=True)
class SampleScope:
    epoch: int = 1
    attempt: int = 1


_scope: ContextVar[SampleScope] = ContextVar("evalrun_sample_scope", default=SampleScope())  # noqa: B039 (never mutated)


def current_scope() -> SampleScope:
    return _scope.get()


def enter_scope(epoch: int, attempt: int) -> Token[SampleScope]:
    """Set the scope of the sample attempt now running: pair with `leave_scope(token)`."""
    return _scope.set(SampleScope(epoch, attempt))


def leave_scope(token: Token[SampleScope]) -> None:
    _scope.reset(token)


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

    def prompt_text(self) -> str:
        """All message contents joined by newlines: what `responses` regexes search."""
        return "\n".join(m.content for m in self.messages)
