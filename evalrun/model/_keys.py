"""Which environment variable holds a model's API key, read by evalrun itself.

litellm would read a provider's key from the environment on its own, but then evalrun
would not know the key and could not mask it when a provider echoes it back. So the
key is read here (from `api_key_env`, else the provider's standard variable, as
litellm's `validate_environment` names them), registered with `evalrun.secrets`, and
passed to litellm explicitly. A missing key is found when the model is made and raised
(`SetupError`) when a run checks that its models are ready, before any call; commands
that call no model (`prompts`, `estimate`) need no key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from evalrun.errors import SetupError
from evalrun.secrets import read_key

#: providers that authenticate with one key, and the variables litellm reads it from
KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "azure": ("AZURE_API_KEY", "AZURE_OPENAI_API_KEY"),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
    "mistral": ("MISTRAL_API_KEY",),
    "groq": ("GROQ_API_KEY",),
    "together_ai": ("TOGETHERAI_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHER_API_KEY"),
    "openrouter": ("OPENROUTER_API_KEY",),
    "deepseek": ("DEEPSEEK_API_KEY",),
    "xai": ("XAI_API_KEY",),
    "fireworks_ai": ("FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY"),
    "cohere": ("COHERE_API_KEY", "CO_API_KEY"),
    "huggingface": ("HUGGINGFACE_API_KEY", "HF_TOKEN"),
    "perplexity": ("PERPLEXITYAI_API_KEY",),
    "replicate": ("REPLICATE_API_KEY",),
    "cerebras": ("CEREBRAS_API_KEY",),
    "nvidia_nim": ("NVIDIA_NIM_API_KEY",),
}


@dataclass(frozen=True)
class Credentials:
    """A model's key and the variable it came from; `missing` says what to set instead."""

    variable: str | None = None
    key: str | None = None
    missing: SetupError | None = None


def resolve_key(name: str, api_key_env: str | None) -> Credentials:
    """The key for model `name` (`provider/model`).

    `api_key_env` wins; then the provider's standard variables. Providers outside
    `KEY_VARIABLES` (Bedrock, Vertex, Ollama, ...) use `<PROVIDER>_API_KEY` when set,
    else litellm's own credentials (whose values `secrets.remember_environment` masks).
    """
    if api_key_env:
        key = read_key(api_key_env)
        if key:
            return Credentials(api_key_env, key)
        return Credentials(
            api_key_env,
            missing=SetupError(
                f"model `{name}`: no API key: environment variable `{api_key_env}` "
                "(its api_key_env) is not set"
            ),
        )
    prefix = name.partition("/")[0]
    known = KEY_VARIABLES.get(prefix)
    for variable in known or (f"{prefix.upper()}_API_KEY",):
        if os.environ.get(variable):
            return Credentials(variable, read_key(variable))
    if not known:
        return Credentials()
    return Credentials(
        known[0],
        missing=SetupError(
            f"model `{name}`: no API key: set {' or '.join(known)} (or name another variable "
            "with api_key_env in a models file)"
        ),
    )
