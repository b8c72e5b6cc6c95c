"""`RunConfig`: every option of a run, in one place.

Merged once (config file < command line; the task file's own settings sit below
both and are resolved per task), stored in the log, and read back by `eval-retry`.

`RunConfig.from_options(lower, ..., upper)` is the one way options become a run config,
for every command and the Python API: each layer is normalised by `normalize_options`
(names, unset values, command-line text, flat generation settings), the layers are
merged by `merge_options`, and a wrong value is one `InputError` naming the option.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from evalrun.errors import InputError
from evalrun.model import GenerateConfig
from evalrun.strict import StrictModel

Display = Literal["full", "plain", "none"]
LogFormat = Literal["eval", "json"]
Executor = Literal["local", "ray"]


class RunConfig(StrictModel):
    """Options of a run. `None` means "not set here": the task's own value applies."""

    model: list[str] = Field(default_factory=list)
    model_args: dict[str, Any] = Field(default_factory=dict)
    model_base_url: str | None = None
    task_args: dict[str, Any] = Field(default_factory=dict)
    epochs: int | None = Field(default=None, ge=1)
    epochs_reducer: list[str] | None = None
    limit: tuple[int, int] | None = None
    sample_id: list[str] | None = None
    max_samples: int | None = Field(default=None, ge=1)
    max_tasks: int = Field(default=1, ge=1)
    max_connections: int | None = Field(default=None, ge=1)
    fail_on_error: bool | float | None = None
    retry_on_error: int = Field(default=0, ge=0)
    max_retries: int | None = Field(default=None, ge=0)
    timeout: float | None = Field(default=None, gt=0)
    time_limit: float | None = Field(default=None, gt=0)
    token_limit: int | None = Field(default=None, gt=0)
    message_limit: int | None = Field(default=None, gt=0)
    #: characters a rendered template may hold; past it, the sample fails (None: 10 million)
    max_prompt_chars: int | None = Field(default=None, ge=1)
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    cache: bool = False
    cache_dir: str | None = None
    #: seconds a cached answer stays valid (`--cache-expiry 1d`, `12h`, `30m`, `45s`)
    cache_expiry: float | None = None
    #: model aliases and per-model settings (default: EVALRUN_MODELS, then configs/models.yaml)
    models: str | None = None
    log_dir: str = Field(default_factory=lambda: os.environ.get("EVALRUN_LOG_DIR") or "logs")
    log_format: LogFormat = "eval"
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)
    job: str | None = None
    #: thresholds from the command line (`--fail-under accuracy=0.8`), over the task's own
    fail_under: dict[str, float] = Field(default_factory=dict)
    #: eval-set: attempts after a unit's first that ends in error, the wait before the
    #: first of them (doubling each time), and the factor on its connections each time
    retry_attempts: int = Field(default=10, ge=0)
    retry_wait: float = Field(default=30.0, ge=0)
    retry_connections: float = Field(default=1.0, gt=0, le=1)
    #: eval-set: run beside logs of no unit of the set in its log dir
    log_dir_allow_dirty: bool = False
    #: eval-set: where units run (this process, or a Ray cluster: `evalrun.executor`)
    executor: Executor = "local"
    #: eval-set --executor ray: the cluster (default: RAY_ADDRESS, else a local instance)
    ray_address: str | None = None
    display: Display | None = None
    #: seconds between the progress lines of `--display plain`
    heartbeat: float = Field(default=5.0, gt=0)
    dry_run: bool = False

    @classmethod
    def from_options(cls, *layers: Mapping[str, Any] | None) -> RunConfig:
        """The run config of option layers, lowest precedence first: a `--config` file's
        (or a log's stored run config), then the command line's.

        Each layer is given as its source has it (see `normalize_options`: `None` is
        "not given", names may have dashes, `key=value` lists, comma-separated text,
        `--no-fail-on-error`, flat generation settings); mappings merge key by key and
        anything else the upper layer wins. A wrong value is an `InputError` that names
        the option as the command line spells it: `--limit: limit must be N or A-B`.
        """
        try:
            return cls.model_validate(merge_options(*layers))
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            names = [str(p) for p in first["loc"]]
            if names[:1] == ["generate"] and len(names) > 1:  # flat on the command line
                names = names[1:]
            option = "--" + names[0].replace("_", "-") if names else "options"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise InputError(f"{option}: {message[:1].lower()}{message[1:]}") from None

    @model_validator(mode="before")
    @classmethod
    def _normalized(cls, data: Any) -> Any:
        """Accept options as every source writes them (`temperature: 0` beside the other
        options, `key=value` lists, ...): see `normalize_options`."""
        return normalize_options(data) if isinstance(data, dict) else data

    @field_validator("model", "tags", "epochs_reducer", "sample_id", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [str(value)] if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("sample_id", mode="after")
    @classmethod
    def _ids_as_text(cls, value: list[Any] | None) -> list[str] | None:
        return None if value is None else [str(v) for v in value]

    @field_validator("cache_expiry", mode="before")
    @classmethod
    def _expiry(cls, value: Any) -> Any:
        return None if value is None else parse_duration(value)

    @field_validator("limit", mode="before")
    @classmethod
    def _limit(cls, value: Any) -> Any:
        return None if value is None else parse_limit(value)

    @field_validator("fail_on_error", mode="before")
    @classmethod
    def _fail_on_error(cls, value: Any) -> Any:
        return None if value is None else parse_fail_on_error(value)

    def log_path(self) -> Path:
        return Path(self.log_dir)


#: options holding `key: value` mappings, and the flag that gives them as `key=value`
_MAPPINGS = {
    "model_args": "-M",
    "task_args": "-T",
    "metadata": "--metadata",
    "fail_under": "--fail-under",
}
#: options holding lists, which text gives comma separated
_LISTS = {"model", "epochs_reducer", "sample_id", "tags", "stop_seqs"}


def normalize_options(data: Mapping[str, Any]) -> dict[str, Any]:
    """One layer of options as `RunConfig` takes them (idempotent):

    - names with underscores (`max-samples` is `max_samples`);
    - `None` dropped: it means "not given", so a lower layer's value stays;
    - `no_fail_on_error: true` (`--no-fail-on-error`) is `fail_on_error: false`;
    - text for a list option is comma separated (`--tags a,b`);
    - `model_args`, `task_args` and `metadata` may be lists of `key=value` texts (values
      read as YAML scalars: 3, 0.5, true) or a `Path` to a YAML file of `key: value`;
    - flat generation settings (`temperature: 0`) move under `generate`.

    Limits (`N`, `A-B`), durations (`90`, `12h`) and `fail_on_error` text are read by
    `RunConfig`'s own validators.
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        if value is None:
            continue
        if name == "no_fail_on_error":
            if value:
                out["fail_on_error"] = False
            continue
        if name in _LISTS and isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        elif name in _MAPPINGS and not isinstance(value, Mapping):
            value = _mapping(value, _MAPPINGS[name])
        out[name] = value
    flat = {k: out.pop(k) for k in list(out) if k in GenerateConfig.model_fields}
    if flat:
        out["generate"] = {**(out.get("generate") or {}), **flat}
    return out


def merge_options(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Normalised layers, lowest first: the upper wins; mappings (`model_args`,
    `task_args`, `metadata`, `generate`) merge key by key."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in normalize_options(layer or {}).items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = {**out[key], **value}
            else:
                out[key] = value
    return out


def _mapping(value: Any, flag: str) -> Any:
    """`key=value` texts, or a YAML file of `key: value`, as a mapping (anything else is
    left for validation to reject)."""
    if isinstance(value, Path):
        from evalrun.spec import load_yaml

        data, source = load_yaml(value)
        if not isinstance(data, dict):
            raise source.error((), f"{flag} file must be a mapping of key: value")
        return data
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        return value
    out: dict[str, Any] = {}
    for pair in value:
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


def parse_fail_on_error(value: Any) -> bool | float:
    """`true`, `false`, a share 0 < x < 1, or a count x >= 1 (also from command-line text)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "yes", "on"):
            return True
        if text in ("false", "no", "off"):
            return False
        try:
            value = float(text)
        except ValueError:
            raise ValueError(
                f"fail_on_error must be true, false or a number, not `{value}`"
            ) from None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value > 0:
        return float(value)
    raise ValueError("fail_on_error must be true, false, a share 0 < x < 1 or a count x >= 1")


def parse_duration(value: Any) -> float:
    """`90`, `45s`, `30m`, `12h` or `7d` as seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip().lower()
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
        try:
            seconds = (
                float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
            )
        except ValueError:
            raise ValueError(
                f"expected a duration such as 90, 30m, 12h or 7d, not `{value}`"
            ) from None
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


def parse_limit(value: Any) -> tuple[int, int]:
    """`N` (the first N samples) or `A-B` (samples A to B, 1-based, inclusive)."""
    if isinstance(value, list | tuple) and len(value) == 2:
        start, end = int(value[0]), int(value[1])
    elif isinstance(value, int) and not isinstance(value, bool):
        start, end = 1, value
    else:
        text = str(value).strip()
        try:
            if "-" in text:
                a, b = text.split("-", 1)
                start, end = int(a), int(b)
            else:
                start, end = 1, int(text)
        except ValueError:
            raise ValueError(f"limit must be N or A-B, not `{value}`") from None
    if start < 1 or end < start:
        raise ValueError(f"limit must be N >= 1 or A-B with 1 <= A <= B, not `{value}`")
    return start, end


__all__ = [
    "RunConfig",
    "ValidationError",
    "merge_options",
    "normalize_options",
    "parse_fail_on_error",
    "parse_limit",
]
