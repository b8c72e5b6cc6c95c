"""Real models through litellm: hosted APIs (`openai/gpt-4o`, `anthropic/...`) and
OpenAI-compatible servers (`openai-compatible/NAME` with a base URL: vLLM, llama.cpp,
Ollama).

litellm is imported only when such a model is made, with its remote price-map fetch
switched off so an offline run never waits on the network, and its own retries off:
evalrun retries (see `Model`), so every retry is counted and logged once. Errors become
`ModelError`s that say what to do: retry (429, 5xx, timeouts, dropped connections,
malformed answers), fail the sample (a prompt past the context window), or fail the run
(a bad key, an unknown model).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from typing import Any

from evalrun.errors import ArgumentError, InputError, ModelError
from evalrun.model._keys import Credentials, resolve_key
from evalrun.model._provider import SHARED_ARGS, Provider
from evalrun.model._request import ModelRequest
from evalrun.model._types import ChatMessage, ModelOutput, ToolCall, Usage
from evalrun.secrets import remember_environment, scrub

_litellm: Any = None


def load_litellm() -> Any:
    """Import and configure litellm once (it takes seconds, measured by
    tests/bench/models.py: never at start-up)."""
    global _litellm
    if _litellm is None:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm

        litellm.suppress_debug_info = True
        litellm.num_retries = 0
        litellm.drop_params = True  # a setting a provider does not take is dropped, not an error
        # the OpenAI client may import its resources on first use: not inside a timed call
        # (what is left to import after litellm is measured by tests/bench/micro.py)
        with contextlib.suppress(ImportError):
            import openai.resources.chat.completions  # noqa: F401
        _litellm = litellm
    return _litellm


class LiteLLM(Provider):
    """A model of one of litellm's providers (`openai/gpt-4o`, `anthropic/...`)."""

    def __init__(self, name: str, args: dict[str, Any]) -> None:
        """Check everything that needs no litellm first: a mistake costs no import."""
        if "api_key" in args:
            raise ArgumentError(
                f"model `{name}`: API keys come from the environment; set `api_key_env` to the "
                "name of the variable that holds the key",
                "api_key",
            )
        self.name = name
        self.base_url: str | None = args.get("base_url")
        self._check_base_url()
        self.default_max_connections = int(args.get("max_connections") or 10)
        _check_prices(name, args.get("prices"))
        # the arguments evalrun does not define go to litellm as provider options
        self._options = {k: v for k, v in args.items() if k not in SHARED_ARGS}
        self._credentials = self._resolve_key(args.get("api_key_env"))
        remember_environment()  # litellm may read other credentials itself: mask those too
        self._check_known(load_litellm())
        self._target = self.target(name)
        #: (input, output) USD per million tokens: the model's settings, else litellm's map
        self._prices = self.prices(name, args)

    @classmethod
    def target(cls, name: str) -> str:
        """What litellm is asked for."""
        return name

    def _check_base_url(self) -> None:
        """Raise `InputError` when this provider needs a base URL and has none."""

    def _resolve_key(self, api_key_env: str | None) -> Credentials:
        return resolve_key(self.name, api_key_env)

    def _check_known(self, litellm: Any) -> None:
        prefix = self.name.partition("/")[0]
        known = {getattr(p, "value", p) for p in litellm.provider_list}
        if prefix not in known:
            raise InputError(
                f"model `{self.name}`: unknown provider `{prefix}` (litellm knows: openai, anthropic, ...)"
            )

    @classmethod
    def count_prompt_tokens(cls, name: str, messages: list[ChatMessage]) -> int:
        """litellm's counter for the model; the cheap estimate when it has none."""
        try:
            return int(
                load_litellm().token_counter(
                    model=cls.target(name), messages=[_openai_message(m) for m in messages]
                )
            )
        except Exception:
            return super().count_prompt_tokens(name, messages)

    @classmethod
    def count_text_tokens(cls, name: str, text: str) -> int:
        if not text:
            return 0
        try:
            return int(load_litellm().token_counter(model=cls.target(name), text=text))
        except Exception:
            return super().count_text_tokens(name, text)

    @classmethod
    def prices(cls, name: str, args: dict[str, Any]) -> tuple[float, float] | None:
        """The model's `prices` setting, else litellm's price map; None when unknown."""
        configured = super().prices(name, args)
        if configured is not None:
            return configured
        cost_map = load_litellm().model_cost
        target = cls.target(name)
        entry = cost_map.get(target) or cost_map.get(target.partition("/")[2]) or {}
        per_in, per_out = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
        if per_in is None or per_out is None:
            return None
        return per_in * 1_000_000, per_out * 1_000_000

    def endpoint(self) -> str:
        return f"{self._target}@{self.base_url or 'default'}"

    def ready(self) -> None:
        if self._credentials.missing is not None:
            raise self._credentials.missing

    def cache_identity(self) -> dict[str, Any]:
        return {
            "provider": self.name.partition("/")[0],
            "model": self.name,
            "base_url": self.base_url,
        }

    async def generate(self, request: ModelRequest) -> ModelOutput:
        litellm = load_litellm()
        kwargs: dict[str, Any] = {
            "model": self._target,
            "messages": [_openai_message(m) for m in request.messages],
            "max_retries": 0,
            **self._options,
            **_settings(request),
        }
        if request.tools:
            kwargs["tools"] = [{"type": "function", "function": tool} for tool in request.tools]
        if request.timeout:
            kwargs["timeout"] = request.timeout
        if self.base_url:
            kwargs["api_base"] = self.base_url
        credentials = self._credentials
        if credentials.missing is not None:  # fatal: no call can succeed without a key
            raise ModelError(str(credentials.missing), transient=False, fatal=True)
        if credentials.key:
            kwargs["api_key"] = credentials.key
        try:
            response = await litellm.acompletion(**kwargs)
            choice = response.choices[0]
            completion = choice.message.content or ""
            calls = getattr(choice.message, "tool_calls", None)
            tool_calls = _tool_calls(calls) if calls else ()
            finish = choice.finish_reason or "stop"
            usage = response.usage
            input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
            output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
            details = getattr(usage, "completion_tokens_details", None)
            reasoning = int(getattr(details, "reasoning_tokens", 0) or 0) if details else 0
        except Exception as exc:
            raise self._error(exc) from None
        cost = self._cost(input_tokens, output_tokens)
        return ModelOutput(
            self.name,
            completion,
            "max_tokens" if finish == "length" else finish,
            Usage(
                input_tokens, output_tokens, reasoning, 1, cost or 0.0, 0 if cost is not None else 1
            ),
            tool_calls=tool_calls,
        )

    def _cost(self, input_tokens: int, output_tokens: int) -> float | None:
        if self._prices is None:
            return None
        return (input_tokens * self._prices[0] + output_tokens * self._prices[1]) / 1_000_000

    def _error(self, exc: Exception) -> ModelError:
        kind = type(exc).__name__
        status = getattr(exc, "status_code", None)
        detail = scrub(_provider_message(str(exc)))
        where = self.name
        if kind == "RateLimitError" or status == 429:
            return ModelError(f"{where}: rate limited (429): {detail}", transient=True, status=429,
                              retry_after=_retry_after(exc), rate_limited=True)  # fmt: skip
        if kind in ("AuthenticationError", "PermissionDeniedError") or status in (401, 403):
            variable = self._credentials.variable
            check = f"; check {variable}" if variable else ""
            return ModelError(
                f"{where}: authentication failed ({status}): {detail}{check}",
                transient=False,
                status=status,
                fatal=True,
            )
        if _NO_CREDENTIALS.search(detail):  # the client found no key: no retry can help
            return ModelError(
                f"{where}: no credentials: {detail}", transient=False, status=status, fatal=True
            )
        if kind == "NotFoundError" or status == 404:
            return ModelError(
                f"{where}: model not found (404): {detail}", transient=False, status=404, fatal=True
            )
        if kind == "ContextWindowExceededError":
            return ModelError(
                f"{where}: prompt too long for the model (400): {detail}",
                transient=False,
                status=400,
            )
        if kind in ("BadRequestError", "UnprocessableEntityError", "UnsupportedParamsError",
                    "ContentPolicyViolationError") or status in (400, 422):  # fmt: skip
            return ModelError(
                f"{where}: request refused ({status}): {detail}", transient=False, status=status
            )
        if kind in ("Timeout", "APITimeoutError") or status == 408:
            return ModelError(f"{where}: request timed out: {detail}", transient=True, status=408)
        # 5xx, dropped connections, malformed answers, and anything unforeseen: try again
        return ModelError(
            f"{where}: {kind} ({status or 'no status'}): {detail}", transient=True, status=status
        )


class OpenAICompatible(LiteLLM):
    """`openai-compatible/NAME`: your own server (vLLM, llama.cpp, Ollama) at a base URL,
    spoken to as OpenAI. It gets no real key unless `api_key_env` names one."""

    #: the key sent when no `api_key_env` is set: such servers take any key, the OpenAI
    #: client insists on one, and a real key must never go to them unasked
    NO_KEY = "not-needed"

    @classmethod
    def target(cls, name: str) -> str:
        return f"openai/{name.partition('/')[2]}"

    def _check_base_url(self) -> None:
        if not self.base_url:
            raise InputError(
                f"model `{self.name}` needs a base URL: --model-base-url URL or -M base_url=URL"
            )

    def _resolve_key(self, api_key_env: str | None) -> Credentials:
        if api_key_env:
            return resolve_key(self.name, api_key_env)
        return Credentials(key=self.NO_KEY)

    def _check_known(self, litellm: Any) -> None:
        pass  # any server that speaks the protocol


#: how provider clients say they were given no key at all (often as a 500)
_NO_CREDENTIALS = re.compile(
    r"missing credentials|api[_ ]key (?:client option )?must be set|no api[_ ]key",
    re.IGNORECASE,
)

_PREFIX = re.compile(r"^(?:litellm\.)?\w+(?:Error|Exception)?:\s*")


def _provider_message(text: str) -> str:
    """The provider's own words, without litellm's layered class-name prefixes."""
    if "Exception - " in text:
        text = text.split("Exception - ", 1)[1]
    while _PREFIX.match(text):
        text = _PREFIX.sub("", text, count=1)
    return text.strip()[:500]


def _retry_after(exc: Exception) -> float | None:
    headers = getattr(exc, "litellm_response_headers", None) or getattr(
        getattr(exc, "response", None), "headers", None
    )
    if not headers:
        return None
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        return None
    return None


def _openai_message(message: ChatMessage) -> dict[str, Any]:
    """A message as the OpenAI chat format has it: an assistant's tool calls with their
    arguments as JSON text (the model's own text when it was not a JSON object), a tool
    result with the id of the call it answers."""
    if message.tool_calls is None and message.tool_call_id is None:
        return {"role": message.role, "content": message.content}
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["content"] = message.content or None  # OpenAI's form for "calls, no text"
        out["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.raw_arguments
                    if call.raw_arguments is not None
                    else json.dumps(call.arguments, ensure_ascii=False),
                },
            }
            for call in message.tool_calls
        ]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.name is not None:
        out["name"] = message.name
    return out


def _tool_calls(calls: Any) -> tuple[ToolCall, ...]:
    """The tool calls of an OpenAI-format answer. Arguments that are not a JSON object
    are kept as the model wrote them (`ToolCall.raw_arguments`), for the agent to report."""
    parsed: list[ToolCall] = []
    for number, call in enumerate(calls, start=1):
        function = getattr(call, "function", None)
        name = str(getattr(function, "name", None) or "")
        text = getattr(function, "arguments", None)
        raw: str | None = None
        arguments: dict[str, Any] = {}
        if isinstance(text, dict):  # (some providers' adapters give the object itself)
            arguments = text
        elif text is None or text == "":
            pass  # no arguments at all: an empty object
        else:
            try:
                value = json.loads(text)
            except (TypeError, ValueError):
                value = None
            if isinstance(value, dict):
                arguments = value
            else:
                raw = str(text)
        parsed.append(
            ToolCall(str(getattr(call, "id", None) or f"call_{number}"), name, arguments, raw)
        )
    return tuple(parsed)


def _settings(request: ModelRequest) -> dict[str, Any]:
    config = request.config
    out: dict[str, Any] = {}
    for ours, theirs in (
        ("temperature", "temperature"), ("max_tokens", "max_tokens"), ("top_p", "top_p"), ("top_k", "top_k"),
        ("seed", "seed"), ("stop_seqs", "stop"), ("frequency_penalty", "frequency_penalty"),
        ("presence_penalty", "presence_penalty"), ("num_choices", "n"),
    ):  # fmt: skip
        value = getattr(config, ours)
        if value is not None:
            out[theirs] = value
    return out


def _check_prices(name: str, prices: Any) -> None:
    """`prices: {input: 2.5, output: 10}` in dollars per million tokens."""
    if prices is None:
        return
    try:
        float(prices["input"]), float(prices["output"])
    except (TypeError, KeyError, ValueError):
        raise ArgumentError(
            f"model `{name}`: prices must be {{input: USD per million, output: USD per million}}",
            "prices",
        ) from None
