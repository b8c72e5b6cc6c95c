"""Options shared by commands, and turning command-line values into run options.

Each option is declared once here as an `Annotated` type, so `eval` and `eval-retry`
spell, type and document it the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

Opt = typer.Option

MaxSamples = Annotated[
    int | None, Opt(help="Samples in flight per task (default: max connections).")
]
MaxTasks = Annotated[int | None, Opt(help="Task x model units in flight (default 1).")]
MaxConnections = Annotated[int | None, Opt(help="Concurrent requests per model endpoint.")]
FailOnError = Annotated[str | None, Opt(help="true, false, a share 0<x<1, or a count x>=1.")]
NoFailOnError = Annotated[bool, Opt("--no-fail-on-error", help="Never fail on sample errors.")]
RetryOnError = Annotated[int | None, Opt(help="Retry an errored sample up to N times.")]
MaxRetries = Annotated[int | None, Opt(help="Retries per model request.")]
Timeout = Annotated[float | None, Opt(help="Seconds per model request.")]
TimeLimit = Annotated[float | None, Opt(help="Seconds per sample.")]
TokenLimit = Annotated[int | None, Opt(help="Tokens per sample.")]
MessageLimit = Annotated[int | None, Opt(help="Messages per sample.")]
MaxPromptChars = Annotated[
    int | None, Opt(help="Characters a rendered template may hold (default 10 million).")
]
Temperature = Annotated[float | None, Opt(help="Sampling temperature.")]
MaxTokens = Annotated[int | None, Opt(help="Most tokens per answer.")]
TopP = Annotated[float | None, Opt(help="Nucleus sampling.")]
TopK = Annotated[int | None, Opt(help="Top-k sampling.")]
Seed = Annotated[int | None, Opt(help="Generation seed.")]
StopSeqs = Annotated[str | None, Opt(help="Stop sequences, comma separated.")]
LogDir = Annotated[str | None, Opt(help="Where logs go (default ./logs, env EVALRUN_LOG_DIR).")]
LogFormat = Annotated[str | None, Opt(help="eval (default) or json.")]
Display = Annotated[str | None, Opt(help="full, plain or none.")]
Cache = Annotated[
    bool | None, Opt("--cache/--no-cache", help="Reuse identical model calls (off by default).")
]
CacheDir = Annotated[
    str | None, Opt(help="Where cached answers live (default: the user cache folder).")
]
CacheExpiry = Annotated[
    str | None, Opt(help="How long a cached answer stays valid: 90, 30m, 12h, 7d.")
]
Models = Annotated[
    str | None, Opt("--models", help="Model aliases file (default configs/models.yaml).")
]
Limit = Annotated[str | None, Opt(help="N or A-B (1-based, inclusive).")]
ModelOption = Annotated[
    list[str] | None, Opt("-m", "--model", help="provider/name or an alias; repeatable.")
]
ModelArg = Annotated[list[str] | None, Opt("-M", help="Model argument key=value; repeatable.")]
ModelBaseUrl = Annotated[str | None, Opt("--model-base-url", help="Base URL of the model API.")]
TaskArg = Annotated[list[str] | None, Opt("-T", help="Task argument key=value; repeatable.")]

#: option names whose text is a comma-separated list
_LISTS = {"epochs_reducer", "sample_id", "tags", "stop_seqs"}
#: generation settings, which the run config keeps under `generate`
_GENERATE = {"temperature", "max_tokens", "top_p", "top_k", "seed", "stop_seqs"}
_NOT_OPTIONS = {
    "tasks", "logs", "model_arg", "task_arg", "model_args", "task_args", "metadata", "no_fail_on_error", "config",
}  # fmt: skip


def collect_options(values: dict[str, Any]) -> dict[str, Any]:
    """The options the user actually gave (None and False mean "not given")."""
    options: dict[str, Any] = {}
    generate: dict[str, Any] = {}
    for key, value in values.items():
        if (
            key in _NOT_OPTIONS
            or value is None
            or value == []
            or (value is False and key != "cache")
        ):
            continue
        if key in _LISTS and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if key in _GENERATE:
            generate[key] = value
        else:
            options[key] = value
    if generate:
        options["generate"] = generate
    if values.get("no_fail_on_error"):
        options["fail_on_error"] = False
    return options


def parse_pairs(file: Path | None, pairs: list[str] | None, flag: str) -> dict[str, Any]:
    """`key=value` pairs (values read as YAML scalars: 3, 0.5, true) over a YAML file's."""
    from evalrun.errors import InputError

    out: dict[str, Any] = {}
    if file is not None:
        from evalrun.spec import load_yaml

        data, source = load_yaml(file)
        if not isinstance(data, dict):
            raise source.error((), f"{flag} file must be a mapping of key: value")
        out.update(data)
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{flag} expects key=value, got `{pair}`")
        out[key.strip()] = _scalar(text)
    return out


def _scalar(text: str) -> Any:
    """`3`, `0.5`, `true`, `null` as YAML reads them; anything else stays text. Only a
    scalar is ever built (a collection, with its aliases, is never expanded)."""
    import yaml

    if not text:
        return ""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return text
    if not isinstance(node, yaml.ScalarNode):
        return text
    value = yaml.SafeLoader("").construct_object(node)
    return value if isinstance(value, str | int | float | bool) or value is None else text
