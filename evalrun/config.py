"""`RunConfig`: every option of a run, in one place.

Merged once (config file < command line; the task file's own settings sit below
both and are resolved per task), stored in the log, and read back by `eval-retry`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from evalrun.model import GenerateConfig
from evalrun.strict import StrictModel

Display = Literal["full", "plain", "none"]
LogFormat = Literal["eval", "json"]


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
    display: Display | None = None
    dry_run: bool = False

    @model_validator(mode="before")
    @classmethod
    def _flat_generation_settings(cls, data: Any) -> Any:
        """Accept `temperature: 0` beside the other options, as the command line does."""
        return normalize_options(data) if isinstance(data, dict) else data

    @field_validator("model", "tags", "epochs_reducer", "sample_id", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",")] if value else []
        if isinstance(value, int):
            return [str(value)]
        return value

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


def normalize_options(data: dict[str, Any]) -> dict[str, Any]:
    """Option names with underscores; flat generation settings moved under `generate`."""
    out = {str(k).replace("-", "_"): v for k, v in data.items()}
    flat = {k: out.pop(k) for k in list(out) if k in GenerateConfig.model_fields}
    if flat:
        out["generate"] = {**(out.get("generate") or {}), **flat}
    return out


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
    "normalize_options",
    "parse_fail_on_error",
    "parse_limit",
]
