"""`Model`: a provider plus what every provider needs the same way.

Connection limits (one per endpoint, shared by every task and scorer that calls it,
halved on sustained rate limits and raised again as calls succeed), the response
cache, request timeouts, retries of transient errors (exponential backoff with jitter,
at least as long as a provider's Retry-After), and generation defaults. `ModelPool`
hands out one `Model` per (name, arguments), so that sharing is automatic within a run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import anyio

from evalrun.errors import ModelError
from evalrun.model._cache import ResponseCache
from evalrun.model._limit import ConnectionLimit
from evalrun.model._provider import Provider, provider_class
from evalrun.model._request import ModelRequest, current_scope
from evalrun.model._types import ChatMessage, GenerateConfig, ModelOutput, ToolCall
from evalrun.secrets import KEYS, scrub


class Model:
    """A callable model: `await model.generate(messages, config)`."""

    def __init__(
        self,
        provider: Provider,
        limit: ConnectionLimit,
        *,
        max_retries: int | None = None,
        timeout: float | None = None,
        backoff: float | None = None,
        cache: ResponseCache | None = None,
        defaults: GenerateConfig | None = None,
    ) -> None:
        self.provider = provider
        self.name = provider.name
        self.limit = limit
        self.max_retries = provider.default_max_retries if max_retries is None else max_retries
        self.timeout = timeout
        self._backoff = provider.retry_backoff if backoff is None else backoff
        self._cache = cache
        #: generation settings from the model's own arguments (`config:`), under each call's
        self.defaults = defaults

    async def generate(
        self,
        messages: list[ChatMessage],
        config: GenerateConfig | None = None,
        *,
        salt: str | None = None,
        tools: list[dict[str, Any]] | None = None,
    ) -> ModelOutput:
        """`salt` (see `ModelRequest.salt`) keeps askers' cached answers apart; `tools`
        (OpenAI-format function schemas, `Tool.schema()`) are offered to the model, whose
        calls come back in `ModelOutput.tool_calls`."""
        scope = current_scope()
        config = config or _NO_SETTINGS
        if self.defaults is not None:
            config = self.defaults.merged(config)
        request = ModelRequest(
            messages, config, scope.epoch, scope.attempt, 0, self.timeout, salt, tools or None
        )
        key = None
        if self._cache is not None:
            key = self._cache.key(self.provider.cache_identity(), request)
            hit = self._cache.get(key)
            if hit is not None:
                return hit
        try:
            output = await self._call(request)  # the first attempt costs no retry machinery
        except ModelError as error:
            if not error.transient or self.max_retries == 0:
                raise
            output = await self._retry(request, error)
        if key is not None and self._cache is not None:
            self._cache.put(key, output)
        return output

    async def _call(self, request: ModelRequest) -> ModelOutput:
        limit = self.limit
        if not limit.try_acquire():  # the common case takes a free slot without awaiting
            await limit.acquire()
        started = time.monotonic()
        try:
            if self.timeout:
                with anyio.fail_after(self.timeout):
                    output = await self.provider.generate(request)
            else:
                output = await self.provider.generate(request)
        except TimeoutError:
            raise ModelError(
                f"{self.name}: request timed out after {self.timeout:g}s", transient=True
            ) from None
        except ModelError as error:
            if error.rate_limited:
                limit.throttle(time.monotonic())
            raise
        finally:
            limit.release()
        limit.recover()
        output.time = time.monotonic() - started
        output.retries = request.retry
        if KEYS:  # a provider may echo a key back: mask it before a log or cache sees it
            output.completion = scrub(output.completion)
            for call in output.tool_calls:
                _scrub_call(call)
        return output

    async def _retry(self, request: ModelRequest, first: ModelError) -> ModelOutput:
        """Retry a transient failure, with backoff, up to `max_retries` times (tenacity)."""
        from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
        from tenacity.wait import wait_random_exponential

        log: list[dict[str, Any]] = []
        backoff = wait_random_exponential(multiplier=self._backoff, max=60)

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            seconds = backoff(state)
            if isinstance(error, ModelError) and error.retry_after:
                seconds = max(seconds, error.retry_after)
            return seconds

        def record(state: RetryCallState) -> None:
            """One entry per failed attempt that is followed by a wait (tenacity asks for
            the wait before it decides to stop, so `wait` cannot be the place)."""
            error = state.outcome.exception() if state.outcome else None
            pause = state.next_action.sleep if state.next_action else 0.0
            log.append({"error": str(error), "wait": round(pause, 3)})

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_retries),
            wait=wait,
            retry=retry_if_exception(lambda e: isinstance(e, ModelError) and e.transient),
            sleep=anyio.sleep,
            before_sleep=record,
            reraise=True,
        )
        log.append({"error": str(first), "wait": round(_first_wait(first, self._backoff), 3)})
        await anyio.sleep(log[-1]["wait"])
        try:
            async for attempt in retrying:
                with attempt:
                    request.retry = attempt.retry_state.attempt_number
                    output = await self._call(request)
        except ModelError as error:
            log.append({"error": str(error), "wait": None})  # the attempt that gave up
            error.retry_log = log  # the sample's record shows every failed attempt
            raise
        output.retry_log = log
        return output


def _scrub_call(call: ToolCall) -> None:
    """Mask registered keys in a tool call's arguments (its text when masking the JSON
    would leave no JSON object: then the arguments are kept as raw text)."""
    if call.raw_arguments is not None:
        call.raw_arguments = scrub(call.raw_arguments)
    text = json.dumps(call.arguments, ensure_ascii=False)
    masked = scrub(text)
    if masked != text:
        try:
            call.arguments = json.loads(masked)
        except ValueError:
            call.arguments, call.raw_arguments = {}, masked


def _first_wait(error: ModelError, backoff: float) -> float:
    import random

    return max(error.retry_after or 0.0, random.uniform(0, backoff))


_NO_SETTINGS = GenerateConfig()

#: makes an endpoint's connection limit: (endpoint, its max connections) -> the limit
LimitFactory = Callable[[str, int], ConnectionLimit]


class ModelPool:
    """One `Model` per (name, arguments) and one connection limit per endpoint."""

    def __init__(
        self,
        *,
        max_connections: int | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
        cache: ResponseCache | None = None,
        aliases: dict[str, tuple[str, dict[str, Any]]] | None = None,
        limits: LimitFactory | None = None,
    ) -> None:
        self._aliases = aliases or {}
        #: a limit per endpoint in this process, unless the caller shares them wider
        self._make_limit: LimitFactory = limits or (lambda _endpoint, total: ConnectionLimit(total))
        self._max_connections = max_connections
        self._max_retries = max_retries
        self._timeout = timeout
        self._cache = cache
        self._models: dict[str, Model] = {}
        self._limits: dict[str, ConnectionLimit] = {}

    def resolve(self, name: str) -> tuple[str, dict[str, Any]]:
        """(provider model, its arguments) for an alias of the models file; `name` and no
        arguments for anything else."""
        return self._aliases.get(name, (name, {}))

    def get(self, name: str, args: dict[str, Any] | None = None) -> Model:
        """The model `name` (a `provider/name` or an alias of the models file) with `args`."""
        if name in self._aliases and not args:
            name, args = self._aliases[name]
        args = args or {}
        key = name + "\x00" + json.dumps(args, sort_keys=True, default=str)
        model = self._models.get(key)
        if model is None:
            settings = dict(args)
            defaults = settings.pop("config", None)
            backoff = settings.pop("retry_backoff", None)  # else the provider's own
            backoff = None if backoff is None else float(backoff)
            provider = provider_class(name)(name, settings)
            endpoint = provider.endpoint()
            limit = self._limits.get(endpoint)
            if limit is None:
                total = self._max_connections or provider.default_max_connections
                limit = self._make_limit(endpoint, total)
                self._limits[endpoint] = limit
            model = Model(
                provider,
                limit,
                max_retries=self._max_retries,
                timeout=self._timeout,
                backoff=backoff,
                cache=self._cache,
                defaults=GenerateConfig.model_validate(defaults) if defaults else None,
            )
            self._models[key] = model
        return model

    def max_connections(self, model: Model) -> int:
        return model.limit.total
