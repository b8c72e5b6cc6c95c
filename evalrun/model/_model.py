"""`Model`: a provider plus what every provider needs the same way.

Connection limits (one per endpoint, shared by every task and scorer that calls it),
request timeouts, retries of transient errors with exponential backoff and jitter,
and usage totals.  `ModelPool` hands out one `Model` per (name, arguments), so that
sharing is automatic within a run.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import anyio

from evalrun.errors import ModelError
from evalrun.model._limit import ConnectionLimit
from evalrun.model._provider import Provider, provider_factory
from evalrun.model._request import ModelRequest, current_scope
from evalrun.model._types import ChatMessage, GenerateConfig, ModelOutput


class Model:
    """A callable model: `await model.generate(messages, config)`."""

    def __init__(
        self,
        provider: Provider,
        limiter: ConnectionLimit,
        *,
        max_retries: int | None = None,
        timeout: float | None = None,
        backoff: float = 1.0,
    ) -> None:
        self.provider = provider
        self.name = provider.name
        self.limit = limiter
        self.max_retries = provider.default_max_retries if max_retries is None else max_retries
        self.timeout = timeout
        self._backoff = backoff

    async def generate(
        self, messages: list[ChatMessage], config: GenerateConfig | None = None
    ) -> ModelOutput:
        scope = current_scope()
        config = config or _NO_SETTINGS
        limit = self.limit
        retry = 0
        while True:
            request = ModelRequest(messages, config, scope.epoch, scope.attempt, retry)
            started = time.monotonic()
            if not limit.try_acquire():  # the common case takes a free slot without awaiting
                await limit.acquire()
            try:
                if self.timeout:
                    with anyio.fail_after(self.timeout):
                        output = await self.provider.generate(request)
                else:
                    output = await self.provider.generate(request)
            except TimeoutError:
                error = ModelError(
                    f"{self.name}: request timed out after {self.timeout:g}s", transient=True
                )
            except ModelError as exc:
                error = exc
            else:
                output.time = time.monotonic() - started
                output.retries = retry
                return output
            finally:
                limit.release()
            if not error.transient or retry >= self.max_retries:
                raise error
            retry += 1
            await anyio.sleep(
                min(60.0, self._backoff * 2 ** (retry - 1)) * random.uniform(0.5, 1.0)
            )


_NO_SETTINGS = GenerateConfig()


class ModelPool:
    """One `Model` per (name, arguments) and one connection limiter per endpoint."""

    def __init__(
        self,
        *,
        max_connections: int | None = None,
        max_retries: int | None = None,
        timeout: float | None = None,
    ) -> None:
        self._max_connections = max_connections
        self._max_retries = max_retries
        self._timeout = timeout
        self._models: dict[str, Model] = {}
        self._limiters: dict[str, ConnectionLimit] = {}

    def get(self, name: str, args: dict[str, Any] | None = None) -> Model:
        args = args or {}
        key = name + "\x00" + json.dumps(args, sort_keys=True, default=str)
        model = self._models.get(key)
        if model is None:
            provider = provider_factory(name)(name, dict(args))
            endpoint = provider.endpoint()
            limiter = self._limiters.get(endpoint)
            if limiter is None:
                limiter = ConnectionLimit(self._max_connections or provider.default_max_connections)
                self._limiters[endpoint] = limiter
            backoff = 0.01 if name.startswith("mockllm/") else 1.0
            model = Model(
                provider,
                limiter,
                max_retries=self._max_retries,
                timeout=self._timeout,
                backoff=backoff,
            )
            self._models[key] = model
        return model

    def max_connections(self, model: Model) -> int:
        return model.limit.total
