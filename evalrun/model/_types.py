"""The values that cross the model boundary: messages, generation settings, outputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field

from evalrun.strict import StrictModel

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(slots=True)
class ToolCall:
    """One call of a tool the model asked for: `id` (the provider's, or `call_<n>` from
    the mock) pairs it with the `tool` message that answers it.

    Arguments the model sent that are not a JSON object (malformed JSON, a list, a number)
    are kept as the model wrote them in `raw_arguments`, with `arguments` empty: an agent
    passes that text to `Tool.call`, whose error result tells the model what was wrong.
    `raw_arguments` is None whenever `arguments` holds what the model sent."""

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As logs and cache keys hold it (`raw_arguments` only when set)."""
        out: dict[str, Any] = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.raw_arguments is not None:
            out["raw_arguments"] = self.raw_arguments
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolCall:
        return cls(data["id"], data["name"], data.get("arguments") or {}, data.get("raw_arguments"))


@dataclass(slots=True)
class ChatMessage:
    """One message of a conversation. A dataclass, not pydantic: it is on the hot path.

    An `assistant` message may carry the `tool_calls` the model made (its `content` then
    often empty); a `tool` message answers one of them: `tool_call_id` is the call's id and
    `name` the tool's. Both stay None on every other message."""

    role: Role
    content: str
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """As logs and cache keys hold it: `role` and `content`, and the tool fields only
        when set (so a conversation without tools reads as it always did)."""
        if self.tool_calls is None and self.tool_call_id is None and self.name is None:
            return {"role": self.role, "content": self.content}
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        if self.tool_call_id is not None:
            out["tool_call_id"] = self.tool_call_id
        if self.name is not None:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChatMessage:
        """A message as `to_dict` (a log record) holds it."""
        calls = data.get("tool_calls")
        return cls(
            data["role"],
            data["content"],
            [ToolCall.from_dict(call) for call in calls] if calls else None,
            data.get("tool_call_id"),
            data.get("name"),
        )


@dataclass(slots=True)
class Usage:
    """Tokens and cost of one call, or summed over a sample or a run.

    `cost` (US dollars) sums the calls whose price is known; `unpriced` counts the
    calls whose price is not, so a total is never presented as complete when it is not.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    calls: int = 0
    cost: float = 0.0
    unpriced: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def known_cost(self) -> float | None:
        """The cost, or None when some call had no known price."""
        return None if self.unpriced else self.cost

    def add(self, other: Usage) -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.reasoning_tokens += other.reasoning_tokens
        self.calls += other.calls
        self.cost += other.cost
        self.unpriced += other.unpriced

    def add_dict(self, other: dict[str, Any]) -> None:
        """Add a usage as logs hold it."""
        self.input_tokens += other["input_tokens"]
        self.output_tokens += other["output_tokens"]
        self.reasoning_tokens += other.get("reasoning_tokens", 0)
        self.calls += other["calls"]
        self.cost += other.get("cost", 0.0)
        self.unpriced += other.get("unpriced", 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "total_tokens": self.input_tokens + self.output_tokens,
            "calls": self.calls,
            "cost": self.cost,
            "unpriced": self.unpriced,
        }


@dataclass(slots=True)
class ModelOutput:
    """What one successful model call returned."""

    model: str
    completion: str
    stop_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    time: float = 0.0
    retries: int = 0
    #: served from the response cache (no request was made)
    cached: bool = False
    #: one entry per failed attempt before this answer: {"error": ..., "wait": seconds}
    retry_log: list[dict[str, Any]] = field(default_factory=list)
    #: the tools the model asked to call (empty when it answered in text only; a tuple, so
    #: that the common case costs no list per call)
    tool_calls: tuple[ToolCall, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {
            "model": self.model,
            "completion": self.completion,
            "stop_reason": self.stop_reason,
            "usage": self.usage.to_dict(),
            "time": self.time,
            "retries": self.retries,
        }
        if self.cached:
            out["cached"] = True
        if self.retry_log:
            out["retry_log"] = self.retry_log
        if self.tool_calls:
            out["tool_calls"] = [call.to_dict() for call in self.tool_calls]
        return out


class GenerateConfig(StrictModel):
    """Generation settings sent to the model. `None` means "the provider's default".

    Layers merge with `merged()`: task file < config file < command line < step.
    """

    temperature: float | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, gt=0)
    top_p: float | None = Field(default=None, ge=0, le=1)
    top_k: int | None = Field(default=None, gt=0)
    seed: int | None = None
    stop_seqs: list[str] | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    num_choices: int | None = Field(default=None, gt=0)

    def merged(self, override: GenerateConfig | None) -> GenerateConfig:
        """A copy with every setting `override` sets replacing ours."""
        if override is None:
            return self
        changes = override.model_dump(exclude_none=True)
        return self.model_copy(update=changes) if changes else self

    def settings(self) -> dict[str, Any]:
        """The settings that are set, for requests, cache keys and logs."""
        return self.model_dump(exclude_none=True)


def count_tokens(text: str) -> int:
    """A cheap token estimate (about four characters a token) for offline usage figures."""
    return (len(text) + 3) // 4


def count_message_tokens(messages: list[ChatMessage]) -> int:
    """The same estimate for a conversation: each message's text plus 4 for its framing.
    (A plain loop: the mock runs this once per call, and a generator costs twice as much,
    measured by tests/bench/micro.py.)"""
    total = 0
    for message in messages:
        total += (len(message.content) + 3) // 4 + 4
    return total
