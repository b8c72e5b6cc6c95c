"""`TaskState`: what solver steps and scorers see and change for one sample x epoch."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from evalrun.dataset import Sample
from evalrun.errors import LimitExceededError
from evalrun.model import ChatMessage, GenerateConfig, Model, ModelOutput, ModelPool, Usage
from evalrun.solver._trajectory import Trajectory


class TaskState:
    """The conversation and results of one sample in one epoch.

    Limits on messages and tokens are checked here, where messages are added and
    models are called, so no step (built-in or user code) can go around them.
    """

    __slots__ = (
        "_args",
        "answer",
        "config",
        "epoch",
        "message_limit",
        "messages",
        "metadata",
        "model",
        "models",
        "output",
        "retries",
        "sample",
        "store",
        "token_limit",
        "trajectory",
        "usage",
    )

    def __init__(
        self,
        sample: Sample,
        epoch: int,
        model: Model,
        models: ModelPool,
        config: GenerateConfig,
        args: dict[str, Any],
        *,
        message_limit: int | None = None,
        token_limit: int | None = None,
    ) -> None:
        self.sample = sample
        self.epoch = epoch
        self.model = model
        self.models = models
        self.config = config
        self._args = args
        self.messages: list[ChatMessage] = [ChatMessage("user", sample.input)]
        self.output: ModelOutput | None = None
        #: the answer a step extracted (multiple_choice: the letter in the original order)
        self.answer: str | None = None
        self.store: dict[str, Any] = {}
        self.metadata: dict[str, Any] = sample.metadata
        self.usage = Usage()
        #: the failed attempts behind this sample's model calls: {"error", "wait"} each
        self.retries: list[dict[str, Any]] = []
        self.message_limit = message_limit
        self.token_limit = token_limit
        #: the steps an `agent` step took (None when no agent ran): a `python:` scorer
        #: may read it (`state.trajectory.calls("search")`, `.turns`)
        self.trajectory: Trajectory | None = None

    @property
    def completion(self) -> str:
        return self.output.completion if self.output else ""

    @property
    def prompt(self) -> str:
        """The text of the last user message: what `prompt_template` rewrites."""
        for message in reversed(self.messages):
            if message.role == "user":
                return message.content
        return ""

    @prompt.setter
    def prompt(self, text: str) -> None:
        for message in reversed(self.messages):
            if message.role == "user":
                message.content = text
                return
        self.add_message(ChatMessage("user", text))

    def template_vars(self) -> dict[str, Any]:
        """What templates see: the sample's fields, the task's args and the current prompt."""
        sample = self.sample
        return {
            "input": sample.input,
            "target": sample.target,
            "choices": sample.choices,
            "id": sample.id,
            "metadata": sample.metadata,
            **self._args,
            "prompt": self.prompt,
        }

    def add_message(self, message: ChatMessage) -> None:
        self.messages.append(message)
        self._check_messages(len(self.messages))

    def add_messages(self, messages: list[ChatMessage]) -> None:
        self.messages.extend(messages)
        self._check_messages(len(self.messages))

    async def generate(
        self,
        config: GenerateConfig | None = None,
        model: Model | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> ModelOutput:
        """Call the model on the conversation, append its answer and account for usage.
        With `tools` (OpenAI-format function schemas) offered, the answer appended carries
        the model's tool calls; answering them is the caller's (an agent's) work."""
        if self.message_limit is not None:
            self._check_messages(len(self.messages) + 1)
        settings = self.config if config is None else self.config.merged(config)
        if tools:
            output = await (model or self.model).generate(self.messages, settings, tools=tools)
        else:
            output = await (model or self.model).generate(self.messages, settings)
        self.output = output
        if output.tool_calls:
            calls = list(output.tool_calls)
            self.messages.append(ChatMessage("assistant", output.completion, calls))
        else:
            self.messages.append(ChatMessage("assistant", output.completion))
        self.charge(output)
        return output

    def charge(self, output: ModelOutput) -> None:
        """Count a call's usage against this sample (also for calls outside the conversation)."""
        self.usage.add(output.usage)
        if output.retry_log:
            self.retries.extend(output.retry_log)
        if self.token_limit is not None and self.usage.total_tokens > self.token_limit:
            raise LimitExceededError("tokens", self.token_limit, self.usage.total_tokens)

    def _check_messages(self, count: int) -> None:
        if self.message_limit is not None and count > self.message_limit:
            raise LimitExceededError("messages", self.message_limit, count)


Step = Callable[[TaskState], Awaitable[None]]
